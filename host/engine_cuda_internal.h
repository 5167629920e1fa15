/* The CUDA engine's state, shared by its host files (engine_cuda*.c):
 *   engine_cuda.c          create / destroy, the memory plan, device count
 *   engine_cuda_weights.c  weights to the device
 *   engine_cuda_forward.c  one forward pass over a batch of rows (the only kernel caller)
 *   engine_cuda_ops.c      prefill / fork / step and the CUDA graphs of the step
 *   engine_cuda_variants.c the kernel variants (A/B switch) */
#ifndef PSAMP_ENGINE_CUDA_INTERNAL_H
#define PSAMP_ENGINE_CUDA_INTERNAL_H

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
    int32_t *forks;           /* [n_slots, 3] fork triples */
} cuda_buffers;

typedef struct {
    int32_t rows;             /* padded batch size */
    cudaGraphExec_t exec;     /* NULL until the bucket's first (eager) step captures it */
} cuda_bucket;

typedef struct {
    psamp_engine base;
    opt_config cfg;
    psamp_dtype dtype;
    size_t elem;              /* bytes per dtype element */
    int device;
    int32_t head_dim;
    int32_t rows_cap;         /* rows one forward pass may carry */
    int32_t use_graphs;
    psamp_cuda_variants variants;
    cudaStream_t stream;
    cublasHandle_t blas;
    void *blas_workspace;
    size_t blas_workspace_bytes;
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
    char detail_base[128];    /* info.detail before the variants' name */
    void **allocs;            /* every device allocation, freed by destroy */
    int32_t n_allocs, cap_allocs;
} cuda_engine;

/* Frees everything the engine holds (any partly built engine too). */
void cuda_engine_destroy(psamp_engine *base);

/* cudaMalloc recorded in e->allocs (freed by destroy), zero-filled. */
int cuda_engine_alloc(cuda_engine *e, void **ptr, size_t bytes, const char *what,
                      psamp_err *err);

/* engine_cuda_weights.c: uploads ck's weights in e->dtype into e->w. */
int cuda_weights_upload(cuda_engine *e, const opt_checkpoint *ck, psamp_err *err);
/* Device bytes cuda_weights_upload will take for this config and dtype. */
size_t cuda_weights_bytes(const opt_config *c, size_t elem);

/* engine_cuda_forward.c: enqueues the forward pass of e->d.rows[0..n) on e->stream; with
 * want_logits, the final norm, lm_head and the sampling into e->d.results. */
int cuda_forward(cuda_engine *e, int32_t n, int want_logits, psamp_err *err);
/* Enqueues the KV copies of n fork triples already in e->d.forks. */
int cuda_forward_forks(cuda_engine *e, int32_t n, int32_t max_pos, psamp_err *err);

/* engine_cuda_ops.c */
extern const psamp_engine_ops cuda_engine_ops;
/* Buckets of padded batch sizes for the step graphs, for a table of n_slots slots. */
int cuda_buckets_init(cuda_engine *e, psamp_err *err);
void cuda_buckets_free(cuda_engine *e);
/* Drops every captured step graph (the kernels they hold changed). */
void cuda_buckets_reset(cuda_engine *e);

/* engine_cuda_variants.c: info.detail = detail_base + the variants' name. */
void cuda_describe_variants(cuda_engine *e);

#endif
