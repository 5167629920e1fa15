/* The CUDA engine for OPT: host/engine.h on an NVIDIA GPU.
 *
 * Weights live on the device in fp16 or bf16 (or fp32), GEMMs run on cuBLAS with fp32
 * accumulation, and the KV cache of every slot sits on the device in the weight dtype,
 * sized for n_slots x max_len up front (the create call fails, saying how many slots would
 * fit, when the card's free memory cannot hold it). A step runs every requested slot as one
 * batch, each at its own position: one GEMM per linear layer, attention over ragged KV
 * lengths, then sampling on the device; only the requests go in and the sampled tokens with
 * their log p / log q come out. Steps replay CUDA graphs captured per batch-size bucket.
 * Semantics (slots, pending last token, forks, errors) are the CPU engine's. */
#ifndef PSAMP_ENGINE_CUDA_H
#define PSAMP_ENGINE_CUDA_H

#include <stdint.h>

#include "engine.h"
#include "opt_checkpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    psamp_dtype dtype; /* PSAMP_F16, PSAMP_BF16 or PSAMP_F32 */
    int device;        /* CUDA device ordinal */
} psamp_cuda_options;

/* CUDA devices usable by this process; 0 when there is no driver or no GPU (never fails). */
int psamp_cuda_device_count(void);

/* Builds the engine from ck (which may be closed afterwards). n_slots >= 1;
 * 2 <= max_len <= the model's max_position_embeddings. opts NULL: fp16 on device 0. */
int psamp_engine_cuda_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                             const psamp_cuda_options *opts, psamp_engine **out,
                             psamp_err *err);

/* Steps replay CUDA graphs by default; off launches every kernel directly (for debugging
 * and for tests that compare the two). e must come from psamp_engine_cuda_create. */
void psamp_engine_cuda_use_graphs(psamp_engine *e, int on);

#ifdef __cplusplus
}
#endif
#endif
