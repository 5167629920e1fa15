/* The CUDA engine's state, shared by its host files (engine_cuda*.c):
 *   engine_cuda.c          create / destroy, the memory plan, device count
 *   engine_cuda_weights.c  weights to the device
 *   engine_cuda_forward.c  the forward pass over a batch of rows (the only kernel caller)
 *   engine_cuda_gemm.c     the linear layers: GEMV, cuBLAS, cuBLASLt with an epilogue
 *   engine_cuda_tune.c     cuBLASLt plans whose algorithm was timed (PSAMP_GEMM_TUNE=on)
 *   engine_cuda_gemm_time.c  a step's GEMMs timed alone (bench_cuda)
 *   engine_cuda_overlap.c  a step as two half batches on streams that overlap
 *   engine_cuda_ops.c      prefill / fork / step and the CUDA graphs of the step
 *   engine_cuda_variants.c the kernel variants (A/B switch) */
#ifndef PSAMP_ENGINE_CUDA_INTERNAL_H
#define PSAMP_ENGINE_CUDA_INTERNAL_H

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_cuda.h"
#include "engine_slots.h"
#include "kernels.h"

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

typedef struct {
    psamp_engine base;
    opt_config cfg;
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
    void *k_cache, *v_cache;  /* [n_layers][n_slots][max_len][h] dtype */
    size_t kv_layer_bytes;    /* one layer of one cache */
    cuda_buffers d;
    psamp_k_row *rows_host;   /* pinned staging for the rows */
    psamp_k_result *results_host;
    int32_t *forks_host;
    cuda_bucket *buckets;
    int32_t n_buckets;
    psamp_slot_table slots;
    char detail_base[96];     /* info.detail before the variants' name */
    void **allocs;            /* every device allocation, freed by destroy */
    int32_t n_allocs, cap_allocs;
} cuda_engine;

/* Frees everything the engine holds (any partly built engine too). */
void cuda_engine_destroy(psamp_engine *base);

/* cudaMalloc recorded in e->allocs (freed by destroy), zero-filled. */
int cuda_engine_alloc(cuda_engine *e, void **ptr, size_t bytes, const char *what,
                      psamp_err *err);
/* A non-blocking stream of the given priority with its own cuBLAS handle and workspace (the
 * stream and handle are the caller's to destroy; the workspace is e's allocation). */
int cuda_lane_create(cuda_engine *e, cuda_lane *lane, int priority, psamp_err *err);

/* engine_cuda_weights.c: uploads ck's weights in e->dtype into e->w. */
int cuda_weights_upload(cuda_engine *e, const opt_checkpoint *ck, psamp_err *err);
/* Device bytes cuda_weights_upload will take for this config and dtype. */
size_t cuda_weights_bytes(const opt_config *c, size_t elem);

/* engine_cuda_forward.c: enqueues the forward pass of e->d.rows[0..n) on e->stream; with
 * want_logits, the final norm, lm_head and the sampling into e->d.results. decode: the
 * rows are a step's (one per slot), which lets the overlap and fusion variants apply. */
int cuda_forward(cuda_engine *e, int32_t n, int want_logits, int decode, psamp_err *err);
/* Enqueues the KV copies of n fork triples already in e->d.forks. */
int cuda_forward_forks(cuda_engine *e, int32_t n, int32_t max_pos, psamp_err *err);
/* The pieces of a forward pass over batch b, each enqueued on b->lane (attention on
 * `stream`), for the schedules of engine_cuda_overlap.c. */
cuda_batch cuda_batch_of(cuda_engine *e, int32_t r0, int32_t n, const cuda_lane *lane,
                         int decode);
int cuda_forward_embed(cuda_engine *e, cuda_batch *b, psamp_err *err);
/* Layer l up to attention's input (norm, QKV projection, the KV append unless fused). */
int cuda_forward_pre_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err);
int cuda_forward_attention(cuda_engine *e, cuda_batch *b, int32_t l, cudaStream_t stream,
                           psamp_err *err);
/* Layer l from attention's output on (out_proj, norms, FFN). */
int cuda_forward_post_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err);
/* Final norm, lm_head and sampling. */
int cuda_forward_head(cuda_engine *e, cuda_batch *b, psamp_err *err);

/* engine_cuda_gemm.c: y[m, n] (fp32) = x[m, k] W[n, k]^T on lane (x, W in the dtype). */
int cuda_gemm(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w, float *y,
              int32_t m, int32_t n, int32_t k, psamp_err *err);
/* out[m, n] (dtype) = relu(x W^T + bias) through cuBLASLt's epilogue (bias_t: the bias in
 * the dtype, or NULL); for the GEMV's few rows, or when cuBLASLt offers no algorithm,
 * cuda_gemm into y then bias_act with bias_r (bias_t's values in fp32: the same sums). */
int cuda_gemm_bias_relu(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w,
                        const void *bias_t, const float *bias_r, void *out, float *y, int32_t m,
                        int32_t n, int32_t k, psamp_err *err);

/* cuBLASLt descriptors of out = x W^T (+ the kind's epilogue; bias_t as in
 * cuda_gemm_bias_relu) in column-major terms, with a preference limited to the lane's
 * workspace and to these pointers' alignments. On failure c holds what was made. */
int cuda_lt_describe(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *w,
                     const void *x, const void *bias_t, const void *out, int32_t m, int32_t n,
                     int32_t k, cuda_lt_call *c, psamp_err *err);
void cuda_lt_call_free(cuda_lt_call *c);
/* The largest power of two up to 256 that divides p's address. */
uint32_t cuda_lt_alignment(const void *p);

/* engine_cuda_tune.c (PSAMP_GEMM_TUNE=on): *plan = the tuned plan of this GEMM, tuning it
 * first when e->tune_pass is set and there is none yet (never inside a stream capture:
 * that fails); NULL when there is no plan with an algorithm (the caller's untuned path). */
int cuda_tuned_plan(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *x,
                    const void *w, const void *bias_t, void *out, int32_t m, int32_t n,
                    int32_t k, const cuda_gemm_plan **plan, psamp_err *err);
/* Runs a plan's GEMM on the lane (bias_t: the bias of this call, for CUDA_LT_RELU_BIAS). */
int cuda_plan_run(cuda_engine *e, const cuda_lane *lane, const cuda_gemm_plan *p, const void *x,
                  const void *w, const void *bias_t, void *out, psamp_err *err);
/* Frees every plan (a variant switch, destroy). */
void cuda_plans_free(cuda_engine *e);
/* Two events with timing (ev NULL-filled by the caller; those made stay on failure), and
 * their release. */
int cuda_timing_events(cudaEvent_t ev[2], psamp_err *err);
void cuda_timing_events_free(cudaEvent_t ev[2]);

/* engine_cuda_overlap.c: streams, handles and events of the halves schedule, made when an
 * overlap variant is first chosen (at creation or by set_variants; again a no-op), freed by
 * cuda_overlap_free. */
int cuda_overlap_init(cuda_engine *e, psamp_err *err);
void cuda_overlap_free(cuda_engine *e);
/* Whether a step of n rows runs as two halves under e's variants. */
int cuda_overlap_applies(const cuda_engine *e, int32_t n);
/* The forward pass of a step of n rows (with logits) as two halves: enqueued from
 * e->stream, which waits for all of it at the end. */
int cuda_overlap_forward(cuda_engine *e, int32_t n, psamp_err *err);

/* engine_cuda_ops.c */
extern const psamp_engine_ops cuda_engine_ops;
/* Buckets of padded batch sizes for the step graphs, for a table of n_slots slots. */
int cuda_buckets_init(cuda_engine *e, psamp_err *err);
void cuda_buckets_free(cuda_engine *e);
/* Drops every captured step graph (the kernels they hold changed) and every tuned plan. */
void cuda_buckets_reset(cuda_engine *e);

/* engine_cuda_variants.c: info.detail = detail_base + the variants' name. */
void cuda_describe_variants(cuda_engine *e);

#endif
