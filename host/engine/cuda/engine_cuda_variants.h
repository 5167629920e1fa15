/* The CUDA engine's kernel variants, switchable on a live engine for A/B comparisons
 * (bench_cuda, the GPU tests): the fields, their environment variables and their names.
 * Public through engine_cuda.h, which also switches them on an engine. */
#ifndef PSAMP_ENGINE_CUDA_VARIANTS_H
#define PSAMP_ENGINE_CUDA_VARIANTS_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel variants, switchable on a live engine for A/B comparisons (bench_cuda, the GPU
 * tests). An engine starts with the environment's choice (psamp_cuda_variants_from_env).
 * Every field's 0 is the default, so a zeroed struct is the default set. */
typedef enum {
    PSAMP_CUDA_ATTN_WARP = 0, /* kernels/attention_warp.cu: warps per (row, head), one launch */
    PSAMP_CUDA_ATTN_SPLIT = 1 /* kernels/attention.cu: 128-position splits, then a combine */
} psamp_cuda_attention;
typedef enum {
    PSAMP_CUDA_GEMM_GEMV = 0,  /* batches of at most 8 rows through kernels/gemv.cu, the rest cuBLAS */
    PSAMP_CUDA_GEMM_CUBLAS = 1, /* every GEMM through cuBLAS */
    PSAMP_CUDA_GEMM_FUSED = 2   /* as gemv, and in pre-LN OPT the layer norms, fc1's bias + ReLU
                                 * and the residual adds run inside the GEMVs (kernels/gemv.cu's
                                 * fusions: 5 kernels a layer instead of 8 at <= 8 rows) */
} psamp_cuda_gemm;
typedef enum {
    PSAMP_CUDA_NORM_ROWS = 0,  /* kernels/layernorm_rows.cu: a row in registers, one read */
    PSAMP_CUDA_NORM_LOOP = 1   /* kernels/layernorm.cu: three strided passes (version 1) */
} psamp_cuda_norm;
typedef enum {
    PSAMP_CUDA_SAMPLE_ONEPASS = 0, /* kernels/sample_onepass.cu: one pass over the logits */
    PSAMP_CUDA_SAMPLE_THREEPASS = 1 /* kernels/sample.cu: max, sums, then the CDF walk */
} psamp_cuda_sample;
typedef enum {
    PSAMP_CUDA_KV_FUSED = 0,   /* steps with warp attention: K/V appended by the attention kernel */
    PSAMP_CUDA_KV_SEPARATE = 1 /* kernels/kv_append.cu before attention (prefill always) */
} psamp_cuda_kv;
typedef enum {
    PSAMP_CUDA_FFN_EPILOGUE = 0, /* fc1 through cuBLASLt with its bias + ReLU epilogue, dtype out
                                    (the default since GPU run 3: 5 % off the 1024-slot step) */
    PSAMP_CUDA_FFN_SEPARATE = 1  /* fc1 to fp32, then kernels/bias_relu.cu */
} psamp_cuda_ffn;
typedef enum {
    PSAMP_CUDA_OVERLAP_OFF = 0,    /* one stream */
    PSAMP_CUDA_OVERLAP_HALVES = 1, /* steps as two half batches on two streams, attention on a
                                    * third of low priority: one half's attention runs under
                                    * the other half's GEMMs */
    PSAMP_CUDA_OVERLAP_FLAT = 2    /* the same with every stream at one priority */
} psamp_cuda_overlap;
typedef enum {
    PSAMP_CUDA_GEMM_TUNE_OFF = 0, /* cuBLAS's default algorithm, cuBLASLt's first heuristic pick */
    PSAMP_CUDA_GEMM_TUNE_ON = 1   /* the cuBLAS GEMMs through cuBLASLt, each shape's algorithm the
                                   * fastest of up to 8 heuristic candidates, timed in a batch
                                   * size's first (eager) step before its graph is captured
                                   * (host/engine/cuda/engine_cuda_tune.c) */
} psamp_cuda_gemm_tune;
typedef struct {
    psamp_cuda_attention attention;
    psamp_cuda_gemm gemm;
    psamp_cuda_norm norm;
    psamp_cuda_sample sample;
    psamp_cuda_kv kv;
    psamp_cuda_ffn ffn;
    psamp_cuda_overlap overlap;
    psamp_cuda_gemm_tune gemm_tune;
} psamp_cuda_variants;

/* The environment's variants: PSAMP_ATTN (warp | split), PSAMP_GEMM (gemv | cublas | fused),
 * PSAMP_NORM (rows | loop), PSAMP_SAMPLE (onepass | threepass), PSAMP_KV (fused |
 * separate), PSAMP_FFN (epilogue | biasrelu), PSAMP_OVERLAP (off | halves | flat),
 * PSAMP_GEMM_TUNE (off | on); unset or empty means the first (the default); any other value
 * fails naming the variable. */
int psamp_cuda_variants_from_env(psamp_cuda_variants *out, psamp_err *err);
/* 1 when every field holds one of its enum's values, else 0. */
int psamp_cuda_variants_valid(const psamp_cuda_variants *v);
/* Longest name psamp_cuda_variants_name writes, with its terminating zero. */
#define PSAMP_CUDA_VARIANTS_NAME_MAX 64
/* out = "warp+gemv" then, for each later field not at its default, "+" and its environment
 * value ("split+cublas+loop+threepass+separate"; PSAMP_GEMM_TUNE=on shows as "+tune"); "?"
 * for values outside the enums. */
void psamp_cuda_variants_name(const psamp_cuda_variants *v, char out[PSAMP_CUDA_VARIANTS_NAME_MAX]);

#ifdef __cplusplus
}
#endif
#endif
