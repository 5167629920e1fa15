/* The Qwen2 / Llama / Phi-3 side of --model: a checkpoint directory whose config.json has
 * model_type "qwen2", "llama" or "phi3", and its engine. Text needs the checkpoint's
 * tokenizer.json, which psamp does not read yet: encode and decode refuse, and commands take
 * token ids (psamp score --tokens). */
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
int psamp_decoder_model_decode(const psamp_decoder_model *m, const int32_t *ids, int32_t n, char **text,
                               size_t *len, psamp_err *err);
/* The CPU engine; "cuda" is refused (no CUDA engine for these architectures yet), "auto" is cpu. */
int psamp_decoder_model_engine(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t n_slots,
                               int32_t max_len, psamp_engine **out, psamp_err *err);
int psamp_decoder_model_max_slots(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t max_len,
                                  int32_t *slots, psamp_err *err);

#endif
