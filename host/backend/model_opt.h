/* The OPT side of --model: checkpoint + tokenizer, and the choice of CPU or CUDA engine. */
#ifndef PSAMP_MODEL_OPT_H
#define PSAMP_MODEL_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "model.h"
#include "opt_checkpoint.h"

typedef struct psamp_opt_model psamp_opt_model;

int psamp_opt_model_open(psamp_opt_model **out, const char *dir, psamp_err *err);
void psamp_opt_model_close(psamp_opt_model *m);
const opt_checkpoint *psamp_opt_model_checkpoint(const psamp_opt_model *m);
int psamp_opt_model_encode(const psamp_opt_model *m, const char *text, int32_t **ids, int32_t *n,
                           psamp_err *err);
/* How an id the model has but vocab.json lacks is written in decoded text. */
#define PSAMP_OPT_UNK_FORMAT "<unk:%d>"
int psamp_opt_model_decode(const psamp_opt_model *m, const int32_t *ids, int32_t n, char **text,
                           size_t *len, psamp_err *err);
int psamp_opt_model_engine(psamp_opt_model *m, const psamp_backend_options *opts, int32_t n_slots,
                           int32_t max_len, psamp_engine **out, psamp_err *err);

/* The engine opts->backend names over any checkpoint (a loaded one or an in-memory random
 * one, as psamp bench uses). */
int psamp_opt_checkpoint_engine(const opt_checkpoint *ck, const psamp_backend_options *opts, int32_t n_slots,
                                int32_t max_len, psamp_engine **out, psamp_err *err);

/* How many slots of max_len tokens the engine psamp_opt_checkpoint_engine would make has
 * room for (device memory for cuda, host memory for cpu). */
int psamp_opt_checkpoint_max_slots(const opt_checkpoint *ck, const psamp_backend_options *opts,
                                   int32_t max_len, int32_t *slots, psamp_err *err);

#endif
