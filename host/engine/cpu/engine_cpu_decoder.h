/* The fp32 CPU engine (engine_cpu.h) for Qwen2, Llama and Phi-3 checkpoints: the same slots,
 * prefill, fork, batched step and sampling as OPT's, over decoder_forward_cpu.h. A sampled
 * token ends its sequence when it is any of config.json's eos_token_id(s). */
#ifndef PSAMP_ENGINE_CPU_DECODER_H
#define PSAMP_ENGINE_CPU_DECODER_H

#include <stdint.h>

#include "decoder_checkpoint.h"
#include "engine_cpu.h"

/* ck may be closed afterwards (the engine keeps its own fp32 copy). n_slots >= 1;
 * 1 <= max_len <= max_position_embeddings. opts may be NULL. */
int psamp_engine_cpu_decoder_create(const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                                    const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err);

/* How many slots of max_len tokens fit in the memory available now (as
 * psamp_engine_cpu_max_slots does for OPT). */
int psamp_engine_cpu_decoder_max_slots(const decoder_checkpoint *ck, int32_t max_len, int32_t *slots,
                                       psamp_err *err);

#endif
