/* The Qwen2 / Llama / Phi-3 forward pass on the GPU (kernels/decoder_kernels.h + cuBLAS): the
 * piece of a CUDA engine for these models that turns a batch of rows (one token of one slot
 * at its position) into their K/V in the slots' caches and, on request, their next-token
 * logits. The same contract and arithmetic order as host/engine/cpu/decoder_forward_cpu.h:
 * per layer RMSNorm, one GEMM for q|k|v (+ biases), RoPE fused with the KV-cache write,
 * grouped-query attention, o_proj added to the residual, RMSNorm, one GEMM for gate|up,
 * SwiGLU, down_proj added to the residual; then the final RMSNorm and lm_head.
 * Weights and caches in dtype (bf16, fp16 or fp32), GEMMs through cublasGemmEx with fp32
 * accumulation and fp32 outputs, the residual stream in fp32. Every CUDA and cuBLAS call is
 * checked; a failure names the call, the file and the line.
 *
 * Not here (the engine's part: engine_cuda_decoder_setup.c and engine_cuda_decoder_rows.c):
 * slots, prefill chunking, sampling, forks, graphs, and Phi-3's longrope cache rebuild on
 * crossing the original context (rows carry the factor set the caller gives, as
 * decoder_forward_cpu.c's rebuild does). */
#ifndef PSAMP_ENGINE_CUDA_DECODER_H
#define PSAMP_ENGINE_CUDA_DECODER_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdint.h>

#include "decoder_checkpoint.h"
#include "decoder_rope.h"
#include "error.h"
#include "kernels.h"

typedef struct {
    void *qkv_w, *o_w, *gate_up_w, *down_w; /* dtype, [out, in] as decoder_weights_cpu.h */
    float *qkv_b;                           /* fp32 or NULL; q part pre-scaled */
    float *attn_norm, *mlp_norm;            /* fp32 [hidden] */
} cuda_decoder_layer;

typedef struct cuda_decoder {
    decoder_config cfg;
    psamp_dtype dtype;
    int32_t n_slots, max_len, max_rows;
    int32_t q_dim, kv_dim, qkv_dim;
    cudaStream_t stream;
    cublasHandle_t blas;
    int borrowed;                           /* stream and blas are the caller's (not destroyed) */
    /* weights */
    cuda_decoder_layer *layers;
    void *embed, *lm_head;                  /* dtype [vocab, hidden]; lm_head == embed when tied */
    float *final_norm;
    /* RoPE tables (fp32 [n_sets][max_len][head_dim / 2]) and when longrope switches sets */
    float *rope_cos, *rope_sin;
    int32_t rope_sets, rope_switch_len;
    /* KV caches: [n_layers][n_slots][max_len][kv_dim] in dtype */
    void *k_cache, *v_cache;
    /* per-call buffers for max_rows rows */
    psamp_k_row *rows;
    uint8_t *row_sets;
    float *x, *qkv, *q, *gate_up, *logits;  /* fp32 */
    void *xn, *attn, *act;                  /* dtype */
    uint8_t *sets_host;                     /* [max_rows] the rows' factor sets, staged */
    /* every device allocation, freed by cuda_decoder_destroy */
    void **allocs;
    int32_t n_allocs, cap_allocs;
    size_t device_bytes;                    /* their sum */
} cuda_decoder;

/* Checks a CUDA or cuBLAS call inside a function returning int with a psamp_err *err: on
 * failure it fills err with the call, its error string, the file and the line, returns -1. */
#define DEC_CUDA(call)                                                                        \
    do {                                                                                      \
        cudaError_t dec_rc_ = (call);                                                         \
        if (dec_rc_ != cudaSuccess)                                                           \
            return psamp_fail(err, "cuda decoder: %s failed: %s (%s:%d)", #call,              \
                              cudaGetErrorString(dec_rc_), __FILE__, __LINE__);               \
    } while (0)
#define DEC_BLAS(call)                                                                        \
    do {                                                                                      \
        cublasStatus_t dec_st_ = (call);                                                      \
        if (dec_st_ != CUBLAS_STATUS_SUCCESS)                                                 \
            return psamp_fail(err, "cuda decoder: %s failed: %s (%s:%d)", #call,              \
                              cublasGetStatusString(dec_st_), __FILE__, __LINE__);            \
    } while (0)

/* A device buffer of `bytes` zeroed bytes recorded in d->allocs (freed by cuda_decoder_destroy). */
int cuda_decoder_alloc(cuda_decoder *d, void **ptr, size_t bytes, const char *what, psamp_err *err);

/* Device bytes of the KV cache of one slot of max_len positions (both caches, every layer). */
size_t cuda_decoder_kv_bytes_per_slot(const decoder_config *c, psamp_dtype dtype, int32_t max_len);

/* Allocates everything but the weights' contents (zeros) for a model of config c; stream and
 * cuBLAS handle created here. The weights are then filled by cuda_decoder_upload or
 * cuda_decoder_randomize. */
int cuda_decoder_create(cuda_decoder *d, const decoder_config *c, psamp_dtype dtype, int32_t n_slots,
                        int32_t max_len, int32_t max_rows, psamp_err *err);
/* The same on the caller's stream and cuBLAS handle (a CUDA engine's lane, whose fixed
 * workspace lets its steps be captured into graphs); destroy leaves them to the caller. */
int cuda_decoder_create_on(cuda_decoder *d, const decoder_config *c, psamp_dtype dtype, int32_t n_slots,
                           int32_t max_len, int32_t max_rows, cudaStream_t stream, cublasHandle_t blas,
                           psamp_err *err);
void cuda_decoder_destroy(cuda_decoder *d);

/* Device bytes cuda_decoder_create allocates for c in dtype: the part that does not grow with
 * slots or rows (weights, RoPE tables), one slot's KV cache, and one row's buffers; an
 * engine of n_slots and max_rows allocates fixed + n_slots * per_slot + max_rows * per_row. */
void cuda_decoder_plan(const decoder_config *c, psamp_dtype dtype, int32_t max_len, size_t *fixed,
                       size_t *per_slot, size_t *per_row);

/* Copies ck's weights to the device in d's dtype (q rows and bias pre-scaled by head_dim^-0.5,
 * q|k|v and gate|up fused, as decoder_weights_cpu.c does). */
int cuda_decoder_upload(cuda_decoder *d, const decoder_checkpoint *ck, psamp_err *err);

/* Fills every weight with normal(0, scale / sqrt(fan_in)) values and the norms with 1, on the
 * device (cuRAND), for benchmarks of a model's shapes without its checkpoint. */
int cuda_decoder_randomize(cuda_decoder *d, uint64_t seed, psamp_err *err);

/* Runs rows[0..n) (host memory; 1 <= n <= max_rows; slot < n_slots, pos < max_len; rows of one
 * slot consecutive and in position order). Each row uses RoPE factor set
 * decoder_rope_set(pos + 1) unless sets (host, nullable) says otherwise. With want_logits,
 * d->logits holds [n, vocab] fp32 when the stream's work is done. Enqueues on d->stream and
 * does not wait. */
int cuda_decoder_forward(cuda_decoder *d, const psamp_k_row *rows, int32_t n, const uint8_t *sets,
                         int want_logits, psamp_err *err);

/* The same pass over rows already in device memory (rows_dev[0..n), unchecked: the caller's
 * rows are valid) with their factor sets already in d->row_sets[0..n): kernels and GEMMs only,
 * no copy and no host work, so that a CUDA graph may capture it. */
int cuda_decoder_forward_device(cuda_decoder *d, const psamp_k_row *rows_dev, int32_t n, int want_logits,
                                psamp_err *err);

#endif
