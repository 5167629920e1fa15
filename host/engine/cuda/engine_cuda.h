/* The CUDA engine for OPT: host/engine/engine.h on an NVIDIA GPU.
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

/* How many slots of max_len tokens an engine made now with these options would have room
 * for in the device's free memory (the count psamp_engine_cuda_create's out-of-memory error
 * names; creating that many succeeds while the free memory stays as it is). */
int psamp_engine_cuda_max_slots(const opt_checkpoint *ck, int32_t max_len,
                                const psamp_cuda_options *opts, int32_t *slots, psamp_err *err);

/* Kernel variants, switchable on a live engine for A/B comparisons (bench_cuda, the GPU
 * tests). An engine starts with the environment's choice (psamp_cuda_variants_from_env).
 * Every field's 0 is the default, so a zeroed struct is the default set. */
typedef enum {
    PSAMP_CUDA_ATTN_WARP = 0, /* kernels/attention_warp.cu: warps per (row, head), one launch */
    PSAMP_CUDA_ATTN_SPLIT = 1 /* kernels/attention.cu: 128-position splits, then a combine */
} psamp_cuda_attention;
typedef enum {
    PSAMP_CUDA_GEMM_GEMV = 0,  /* batches of at most 8 rows through kernels/gemv.cu, the rest cuBLAS */
    PSAMP_CUDA_GEMM_CUBLAS = 1 /* every GEMM through cuBLAS */
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

/* The environment's variants: PSAMP_ATTN (warp | split), PSAMP_GEMM (gemv | cublas),
 * PSAMP_NORM (rows | loop), PSAMP_SAMPLE (onepass | threepass), PSAMP_KV (fused |
 * separate), PSAMP_FFN (epilogue | biasrelu), PSAMP_OVERLAP (off | halves | flat),
 * PSAMP_GEMM_TUNE (off | on); unset or empty means the first (the default); any other value
 * fails naming the variable. */
int psamp_cuda_variants_from_env(psamp_cuda_variants *out, psamp_err *err);
/* Longest name psamp_cuda_variants_name writes, with its terminating zero. */
#define PSAMP_CUDA_VARIANTS_NAME_MAX 64
/* out = "warp+gemv" then, for each later field not at its default, "+" and its environment
 * value ("split+cublas+loop+threepass+separate"; PSAMP_GEMM_TUNE=on shows as "+tune"); "?"
 * for values outside the enums. */
void psamp_cuda_variants_name(const psamp_cuda_variants *v, char out[PSAMP_CUDA_VARIANTS_NAME_MAX]);
/* Switches e's kernels from the next call on; graphs captured so far are dropped (each
 * batch size captures again on its next step). e must come from psamp_engine_cuda_create. */
int psamp_engine_cuda_set_variants(psamp_engine *e, const psamp_cuda_variants *v,
                                   psamp_err *err);
psamp_cuda_variants psamp_engine_cuda_variants(const psamp_engine *e);

/* For bench_cuda: the median seconds of one step's GEMMs at `rows` rows (every layer's QKV,
 * out_proj, fc1 (with its epilogue where the variants use it) and fc2, then lm_head) as e
 * runs them under its current variants, on e's own buffers (their contents are clobbered,
 * the slots are not); missing tuned plans are tuned first. 1 <= rows <= the rows a step
 * may carry (n_slots, or more). */
int psamp_engine_cuda_time_gemms(psamp_engine *e, int32_t rows, double *seconds, psamp_err *err);
/* The tuned GEMM plans e holds with an algorithm (PSAMP_GEMM_TUNE=on) and the host seconds
 * spent tuning, both since the last variant switch (bench_cuda's report). */
void psamp_engine_cuda_tune_stats(const psamp_engine *e, int32_t *plans, double *seconds);

/* Steps replay CUDA graphs by default; off launches every kernel directly (for debugging
 * and for tests that compare the two). e must come from psamp_engine_cuda_create. */
void psamp_engine_cuda_use_graphs(psamp_engine *e, int on);

#ifdef __cplusplus
}
#endif
#endif
