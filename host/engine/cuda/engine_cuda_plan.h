/* The CUDA engine's memory plans (engine_cuda_plan.c). */
#ifndef PSAMP_ENGINE_CUDA_PLAN_H
#define PSAMP_ENGINE_CUDA_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "decoder_checkpoint.h"
#include "engine_cuda_state.h"

/* Rows one forward pass may carry: n_slots, or a prefill chunk (at most 64 rows) if more. */
int32_t cuda_plan_rows(int32_t n_slots, int32_t max_len);

/* OPT: fails, naming the slots that would fit, when e's plan of n_slots x max_len (weights,
 * KV cache, buffers, the lanes' workspaces and a margin) exceeds the card's free memory. */
int cuda_plan_check(const cuda_engine *e, int32_t n_slots, int32_t max_len, psamp_err *err);
/* OPT: the slots of max_len tokens that fit in free_b bytes (elem: bytes per weight;
 * kv_fp8: the fp8 KV cache). */
int32_t cuda_plan_slots(const opt_config *c, size_t elem, int kv_fp8, int32_t max_len,
                        size_t free_b);

/* The same for a Qwen2 / Llama / Phi-3 engine (engine_cuda_decoder_setup.c's bytes). */
int cuda_plan_check_decoder(const cuda_engine *e, const decoder_config *c, int32_t n_slots, int32_t max_len,
                            psamp_err *err);
int32_t cuda_plan_decoder_slots(const decoder_config *c, psamp_dtype dtype, int32_t max_len, size_t free_b);

#endif
