/* What `--model PATH` names: a toy-world spec (a .json file), a Hugging Face OPT checkpoint
 * directory (config.json, model.safetensors, vocab.json, merges.txt), or a Qwen2 / Llama /
 * Phi-3 checkpoint directory (config.json's model_type; model.safetensors or its sharded index). This is
 * the one place that knows both, so commands can encode prompts, decode samples and make
 * an engine without caring which it is. */
#ifndef PSAMP_MODEL_H
#define PSAMP_MODEL_H

#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "decoder_checkpoint.h"
#include "opt_checkpoint.h"
#include "toy_world.h"

typedef struct psamp_model psamp_model;

typedef struct {
    const char *backend; /* "auto" (cuda when a GPU is present, else cpu), "cpu", "cuda" */
    psamp_dtype dtype;   /* cuda weights: PSAMP_F16 or PSAMP_BF16 */
    int n_threads;       /* cpu: BLAS threads (0 = library default) */
    int kv_fp8;          /* cuda, OPT: the KV cache in fp8 (psamp_cuda_options.kv_fp8) */
} psamp_backend_options;

int psamp_model_open(psamp_model **out, const char *path, psamp_err *err);
void psamp_model_close(psamp_model *m);

/* The toy world behind the model, or NULL for an OPT checkpoint. */
const toy_world *psamp_model_toy(const psamp_model *m);
/* The OPT checkpoint behind the model, or NULL for a toy world or another architecture. */
const opt_checkpoint *psamp_model_opt(const psamp_model *m);
/* The Qwen2 / Llama / Phi-3 checkpoint behind the model (config.json's model_type), or NULL. */
const decoder_checkpoint *psamp_model_decoder(const psamp_model *m);
/* Longest sequence (prompt included) the model can take. */
int32_t psamp_model_max_len(const psamp_model *m);
int32_t psamp_model_vocab_size(const psamp_model *m);

/* Prompt text to ids: OPT prepends </s> (the BOS) to the BPE ids; Qwen2 / Llama / Phi-3
 * encode with their tokenizer.json as transformers does with add_special_tokens=True (the
 * file's BOS if it has one; an empty prompt without BOS fails); a toy world reads the text
 * as a concatenation of its token strings (longest match first; "" is empty). */
int psamp_model_encode(const psamp_model *m, const char *text, int32_t **ids, int32_t *n,
                       psamp_err *err);
/* ids to text (malloc'd, NUL-terminated; *len excludes the NUL), every token included
 * (special tokens too: "</s>", "<|im_end|>"). */
int psamp_model_decode(const psamp_model *m, const int32_t *ids, int32_t n, char **text,
                       size_t *len, psamp_err *err);
/* Whether a sampled id ends a sequence: OPT's eos_token_id, any of a Qwen2 / Llama / Phi-3
 * config.json's eos_token_id (a number or a list); never for a toy world (its automaton
 * ends sequences itself). */
int psamp_model_is_eos(const psamp_model *m, int32_t id);
/* The BOS id of config.json (OPT's </s>, Llama-3's <|begin_of_text|> ...), or -1 when it
 * has none or the model is a toy world. */
int32_t psamp_model_bos_id(const psamp_model *m);
/* The text a task judges, from a chain's generated ids: a final EOS (psamp_model_is_eos)
 * of a sequence that ended is left out; for tokenizer.json models every special token is
 * left out too, as the paper's scripts decode (skip_special_tokens=True). OPT and toy
 * worlds: psamp_model_decode of the rest. */
int psamp_model_completion_text(const psamp_model *m, const int32_t *ids, int32_t n, int ended, char **text,
                                size_t *len, psamp_err *err);
/* Checks every id is in the vocabulary; err names the first bad one. */
int psamp_model_check_ids(const psamp_model *m, const int32_t *ids, int32_t n, psamp_err *err);

/* An engine over the model with n_slots slots of max_len tokens. For a toy world the
 * backend is always "toy". */
int psamp_model_engine(psamp_model *m, const psamp_backend_options *opts, int32_t n_slots,
                       int32_t max_len, psamp_engine **out, psamp_err *err);

/* How many slots of max_len tokens psamp_model_engine has room for with these options
 * (memory of the device or host; a toy world's engine: INT32_MAX / 4). */
int psamp_model_max_slots(psamp_model *m, const psamp_backend_options *opts, int32_t max_len,
                          int32_t *slots, psamp_err *err);

#endif
