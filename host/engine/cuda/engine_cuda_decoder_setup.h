/* The Qwen2 / Llama / Phi-3 part of the CUDA engine's life cycle (engine_cuda_decoder_setup.c):
 * which shapes the decoder kernels take, the device memory such an engine needs, building its
 * forward pass on the engine's main lane, and freeing it. */
#ifndef PSAMP_ENGINE_CUDA_DECODER_SETUP_H
#define PSAMP_ENGINE_CUDA_DECODER_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "decoder_checkpoint.h"
#include "engine_cuda_state.h"

/* Device bytes of a decoder engine: a part that does not grow with slots or rows (weights,
 * RoPE tables), one slot's (its KV cache and fork triple), one row's (the forward's buffers
 * and the engine's row and result). The main lane's workspace and the margin are the
 * caller's to add. */
typedef struct {
    size_t fixed, per_slot, per_row;
} cuda_decoder_bytes;
cuda_decoder_bytes cuda_decoder_engine_bytes(const decoder_config *c, psamp_dtype dtype, int32_t max_len);

/* Fails, naming the shape, when the decoder kernels cannot run c's heads in dtype. */
int cuda_decoder_engine_check(const decoder_config *c, psamp_dtype dtype, psamp_err *err);

/* Builds e->dec for ck: the forward pass (weights uploaded in e->dtype, KV cache for n_slots x
 * max_len, buffers for e->rows_cap rows) on e->main_lane, and the longrope bookkeeping. e's
 * device, lane, dtype and rows_cap are set. */
int cuda_decoder_engine_init(cuda_engine *e, const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                             psamp_err *err);
/* Frees what init made (any part of it); the lane stays e's. */
void cuda_decoder_engine_free(cuda_engine *e);

#endif
