/* The Qwen2 / Llama / Phi-3 side of --model: a checkpoint directory whose config.json has
 * model_type "qwen2", "llama" or "phi3", its tokenizer and its engine. Text goes through the
 * checkpoint's tokenizer.json (tokenizer_hf.h) as transformers' fast tokenizer does it:
 * prompts with add_special_tokens=True (the BOS the file's post-processor adds: Llama-3's
 * <|begin_of_text|>, Phi-3.5's <s>, none for Qwen2.5). A directory without tokenizer.json
 * still opens: it takes token ids (psamp score --tokens), and text fails naming the folder. */
#ifndef PSAMP_MODEL_DECODER_H
#define PSAMP_MODEL_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "decoder_checkpoint.h"
#include "engine.h"
#include "model.h"

typedef struct psamp_decoder_model psamp_decoder_model;

/* Whether DIR/config.json names one of these architectures (model_type); 0 when it does not
 * or cannot be read (the OPT loader then reports what is wrong). */
int psamp_decoder_model_is_decoder_dir(const char *dir);

int psamp_decoder_model_open(psamp_decoder_model **out, const char *dir, psamp_err *err);
void psamp_decoder_model_close(psamp_decoder_model *m);
const decoder_checkpoint *psamp_decoder_model_checkpoint(const psamp_decoder_model *m);
int psamp_decoder_model_encode(const psamp_decoder_model *m, const char *text, int32_t **ids, int32_t *n,
                               psamp_err *err);
/* skip_special: leave out the tokenizer's special tokens (HF skip_special_tokens=True). */
int psamp_decoder_model_decode(const psamp_decoder_model *m, const int32_t *ids, int32_t n, int skip_special,
                               char **text, size_t *len, psamp_err *err);
/* Whether id is one of config.json's eos_token_id (Llama-3 lists several). */
int psamp_decoder_model_is_eos(const psamp_decoder_model *m, int32_t id);
/* The engine opts->backend names: "cpu", or "cuda" (the CUDA engine, weights in opts->dtype:
 * psamp_engine_cuda_decoder_create). "auto" is cpu for these architectures, not cuda as for
 * OPT: their CUDA engine is checked against the CPU engine on the block emulator only until a
 * GPU run of tests/gpu/test_gpu_engine_decoder.c passes, and scores in 16-bit dtypes differ
 * from the fp32 reference by the dtype's rounding. */
int psamp_decoder_model_engine(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t n_slots,
                               int32_t max_len, psamp_engine **out, psamp_err *err);
int psamp_decoder_model_max_slots(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t max_len,
                                  int32_t *slots, psamp_err *err);

#endif
