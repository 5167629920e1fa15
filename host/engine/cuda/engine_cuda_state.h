/* The CUDA engine's state: the types its host files share (the engine, its weights, buffers,
 * lanes, batches, GEMM plans and overlap streams) and the checks of CUDA calls. Types and
 * macros only: each file's functions are declared in that file's own header
 * (engine_cuda_<part>.h); docs/architecture.md lists the files and how they depend. */
#ifndef PSAMP_ENGINE_CUDA_STATE_H
#define PSAMP_ENGINE_CUDA_STATE_H

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "engine_cuda_variants.h"
#include "engine_slots.h"
#include "kernels.h"
#include "opt_checkpoint.h"

/* Returns -1 from the enclosing function with err naming the failed call, its error and
 * where. */
#define CUDA_FAIL_IF(err, bad, call, why)                                                    \
    do {                                                                                     \
        if (bad)                                                                             \
            return psamp_fail((err), "cuda engine: %s failed: %s (%s:%d)", call, why,        \
                              __FILE__, __LINE__);                                           \
    } while (0)

/* Checks a CUDA runtime call (or a kernel launcher's cudaError_t). */
#define CUDA_TRY(err, call)                                                                  \
    do {                                                                                     \
        cudaError_t psamp_cu_ = (call);                                                      \
        CUDA_FAIL_IF(err, psamp_cu_ != cudaSuccess, #call, cudaGetErrorString(psamp_cu_));   \
    } while (0)

/* Checks a cuBLAS call. */
#define CUBLAS_TRY(err, call)                                                                \
    do {                                                                                     \
        cublasStatus_t psamp_cb_ = (call);                                                   \
        CUDA_FAIL_IF(err, psamp_cb_ != CUBLAS_STATUS_SUCCESS, #call,                         \
                     cublasGetStatusString(psamp_cb_));                                      \
    } while (0)

typedef struct {
    void *qkv_w;   /* [3h, h] dtype, rows q (pre-scaled by head_dim^-0.5) | k | v */
    float *qkv_b;  /* [3h] or NULL */
    void *o_w;     /* [h, h] */
    float *o_b;
    void *fc1_w;   /* [ffn, h] */
    float *fc1_b;
    void *fc1_b_t; /* [ffn] fc1_b in the dtype (cuBLASLt's bias epilogue), or NULL */
    float *fc1_b_r; /* [ffn] fc1_b_t's values in fp32 (that variant's separate path) */
    void *fc2_w;   /* [h, ffn] */
    float *fc2_b;
    float *attn_ln_w, *attn_ln_b, *ffn_ln_w, *ffn_ln_b; /* NULL without affine */
} cuda_layer;

typedef struct {
    void *embed_tokens;    /* [vocab, proj] dtype */
    void *lm_head;         /* [vocab, proj]; == embed_tokens when tied */
    void *embed_positions; /* [max_positions + 2, h] */
    void *project_in;      /* [h, proj] or NULL */
    void *project_out;     /* [proj, h] or NULL */
    float *final_ln_w, *final_ln_b;
    cuda_layer *layers;    /* host array of n_layers */
    size_t bytes;          /* device bytes of all weights */
} cuda_weights;

/* Per-call device buffers, sized for rows_cap rows. */
typedef struct {
    psamp_k_row *rows;        /* the batch's rows (filled by one H2D copy) */
    psamp_k_result *results;  /* the batch's sampled tokens (one D2H copy) */
    float *x;                 /* [rows, h] residual stream */
    void *h;                  /* [rows, max(h, ffn, proj)] dtype: every GEMM's input */
    float *y;                 /* [rows, max(3h, ffn, proj)] fp32: every GEMM's output */
    float *q;                 /* [rows, h] scaled queries */
    float *logits;            /* [rows, vocab] */
    float *partial;           /* attention split scratch */
    void *ffn_t;              /* [rows, ffn] dtype: fc1's output on the cuBLASLt epilogue path */
    int32_t *forks;           /* [n_slots, 3] fork triples */
} cuda_buffers;

typedef struct {
    int32_t rows;             /* padded batch size */
    cudaGraphExec_t exec;     /* NULL until the bucket's first (eager) step captures it */
} cuda_bucket;

/* A stream, the cuBLAS handle bound to it, and that handle's workspace (lent to cuBLASLt
 * calls on the same stream, which never run at the same time as the handle's own). */
typedef struct {
    cudaStream_t stream;
    cublasHandle_t blas;
    void *workspace;
    size_t workspace_bytes;
} cuda_lane;

/* A sublayer's output waiting in y to be added to x (with its bias): pre-LN models fold
 * that residual add into the next layer norm, post-LN ones into their own. */
typedef struct {
    int waiting;
    const float *bias;
} cuda_residual;

/* Rows [r0, r0 + n) of a forward pass: the engine's buffers offset to its first row, the
 * lane its work runs on, and the stream of its attention (the lane's own in a serial pass;
 * engine_cuda_overlap.c forks attention onto another). */
typedef struct {
    int32_t n;
    cuda_buffers d;
    const cuda_lane *lane;
    int decode;               /* one row per slot (a step): the KV append may fuse into attention */
    cuda_residual res;
} cuda_batch;

/* The cuBLASLt objects of one GEMM (NULL until created), freed together. */
typedef struct {
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t w, x, out;
    cublasLtMatmulPreference_t pref;
} cuda_lt_call;

/* What a cuBLASLt GEMM writes: y = x W^T in fp32 (cuda_gemm's GEMMs), or relu(x W^T + bias)
 * in the dtype (fc1 with the epilogue; RELU alone when there is no bias). */
typedef enum { CUDA_LT_PLAIN = 0, CUDA_LT_RELU_BIAS = 1 } cuda_lt_kind;

/* One GEMM shape's tuned cuBLASLt plan: its key (shape, kind, the pointers' alignments,
 * which the algorithms assume), its descriptors and the fastest algorithm that ran. */
typedef struct {
    int32_t m, n, k;
    cuda_lt_kind kind;
    int has_bias;
    uint32_t align_w, align_x, align_out;
    int found;                /* 0: no candidate ran: the call keeps the untuned path */
    cuda_lt_call c;           /* pref freed after tuning */
    cublasLtMatmulAlgo_t algo;
} cuda_gemm_plan;

/* What the halves schedule adds to the engine (engine_cuda_overlap.c). */
typedef struct {
    cuda_lane half[2];         /* each half batch's stream (the higher priority) and handle */
    cudaStream_t attn_low;     /* attention of both halves, in turn, at the lower priority */
    cudaStream_t attn_flat;    /* the same at the halves' priority (PSAMP_OVERLAP=flat) */
    cudaEvent_t fork, join[2], attn_in[2], attn_out[2], attn_done;
    int ready;                 /* all of the above made (once an overlap variant is chosen) */
} cuda_overlap;

/* The Qwen2 / Llama / Phi-3 forward pass (engine_cuda_decoder.h). */
struct cuda_decoder;

/* Most EOS ids a model may name (Llama-3 lists three). */
#define CUDA_MAX_EOS 8

/* What an engine for a Qwen2 / Llama / Phi-3 checkpoint adds (engine_cuda_decoder_setup.c):
 * its forward pass, which runs on the engine's main lane and reads the rows from d.rows, and
 * Phi-3 longrope's bookkeeping (engine_cuda_decoder_rows.c). fwd is NULL in an OPT engine. */
typedef struct {
    struct cuda_decoder *fwd;
    uint8_t *slot_set;        /* [n_slots] the RoPE factor set each slot's cached keys carry */
    uint8_t *sets_host;       /* pinned [rows_cap]: the batch's factor sets, staged */
    psamp_k_row *rebuild;     /* [rows_cap] host: a chunk of a longrope cache rebuild */
    uint8_t *rebuild_sets;    /* [rows_cap] */
    char model_type[16];      /* "qwen2", "llama", "phi3" */
} cuda_decoder_part;

typedef struct {
    psamp_engine base;
    opt_config cfg;           /* OPT's config; zero in a decoder engine (see dec) */
    psamp_dtype dtype;
    size_t elem;              /* bytes per dtype element */
    int device;
    int32_t head_dim;
    int32_t rows_cap;         /* rows one forward pass may carry */
    size_t wide_h, wide_y;    /* elements per row of the h and y buffers */
    int32_t use_graphs;
    psamp_cuda_variants variants;
    cuda_lane main_lane;      /* the engine's stream, its cuBLAS handle and workspace */
    cudaStream_t stream;      /* == main_lane.stream */
    cublasHandle_t blas;      /* == main_lane.blas */
    cublasLtHandle_t lt;      /* PSAMP_FFN=epilogue */
    cuda_overlap ov;          /* PSAMP_OVERLAP=halves|flat */
    cuda_gemm_plan *plans;    /* PSAMP_GEMM_TUNE=on: tuned so far (freed at a variant switch) */
    int32_t n_plans, cap_plans;
    double tune_seconds;      /* host time spent tuning the plans held */
    int tune_pass;            /* set around a bucket's eager step (before its capture): GEMMs
                               * without a plan may tune one now */
    cuda_weights w;
    void *k_cache, *v_cache;  /* [n_layers][n_slots][max_len][h] dtype, or fp8 bytes */
    size_t kv_layer_bytes;    /* one layer of one cache */
    int kv_fp8;               /* the caches hold fp8 bytes, scaled by k_scale / v_scale */
    float *k_scale, *v_scale; /* fp8: [n_layers][n_slots][max_len][n_heads] */
    size_t kv_scale_layer_floats;
    cuda_buffers d;
    psamp_k_row *rows_host;   /* pinned staging for the rows */
    psamp_k_result *results_host;
    int32_t *forks_host;
    cuda_bucket *buckets;
    int32_t n_buckets;
    psamp_slot_table slots;
    int32_t eos_ids[CUDA_MAX_EOS]; /* a sampled one ends its sequence (eos_ids[0] is slots') */
    int32_t n_eos;
    cuda_decoder_part dec;    /* Qwen2 / Llama / Phi-3 only (dec.fwd NULL for OPT) */
    char detail_base[160];    /* info.detail before the variants' name */
    void **allocs;            /* every device allocation, freed by destroy */
    int32_t n_allocs, cap_allocs;
} cuda_engine;

#endif
