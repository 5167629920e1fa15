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

/* Kernel variants, switchable on a live engine for A/B comparisons (bench_cuda, the GPU
 * tests). An engine starts with the environment's choice (psamp_cuda_variants_from_env). */
typedef enum {
    PSAMP_CUDA_ATTN_WARP = 0, /* kernels/attention_warp.cu: warps per (row, head), one launch */
    PSAMP_CUDA_ATTN_SPLIT = 1 /* kernels/attention.cu: 128-position splits, then a combine */
} psamp_cuda_attention;
typedef enum {
    PSAMP_CUDA_GEMM_GEMV = 0,  /* batches of at most 8 rows through kernels/gemv.cu, the rest cuBLAS */
    PSAMP_CUDA_GEMM_CUBLAS = 1 /* every GEMM through cuBLAS */
} psamp_cuda_gemm;
typedef struct {
    psamp_cuda_attention attention;
    psamp_cuda_gemm gemm;
} psamp_cuda_variants;

/* PSAMP_ATTN (warp | split) and PSAMP_GEMM (gemv | cublas) from the environment, unset or
 * empty meaning the first (the default); any other value fails naming the variable. */
int psamp_cuda_variants_from_env(psamp_cuda_variants *out, psamp_err *err);
/* "warp+gemv", "split+cublas", ...; "?" for values outside the enums. */
const char *psamp_cuda_variants_name(const psamp_cuda_variants *v);
/* Switches e's kernels from the next call on; graphs captured so far are dropped (each
 * batch size captures again on its next step). e must come from psamp_engine_cuda_create. */
int psamp_engine_cuda_set_variants(psamp_engine *e, const psamp_cuda_variants *v,
                                   psamp_err *err);
psamp_cuda_variants psamp_engine_cuda_variants(const psamp_engine *e);

/* Steps replay CUDA graphs by default; off launches every kernel directly (for debugging
 * and for tests that compare the two). e must come from psamp_engine_cuda_create. */
void psamp_engine_cuda_use_graphs(psamp_engine *e, int on);

#ifdef __cplusplus
}
#endif
#endif
