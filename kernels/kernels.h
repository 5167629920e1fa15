/* Launchers of psamp's CUDA kernels, callable from C (the CUDA engine's host code and the
 * GPU tests). One op per kernels/<op>.cu file; each launcher enqueues on `stream` and
 * returns cudaGetLastError() (cudaSuccess or the launch error), never synchronises.
 *
 * Conventions:
 * - `dtype` is the element type of the model's big tensors (weights, KV cache, GEMM
 *   inputs): PSAMP_F32, PSAMP_F16 or PSAMP_BF16; those buffers are `void *`.
 * - The residual stream, GEMM outputs, biases, layer-norm parameters and logits are fp32.
 * - Row-major everywhere; a "row" is one token being processed, described by a
 *   psamp_k_row (padding rows have slot < 0 and are skipped or zero-filled).
 * - The KV cache of one layer is [n_slots][max_len][hidden] (K and V separately): a slot's
 *   prefix is one contiguous range, so a fork is a plain copy. */
#ifndef PSAMP_KERNELS_H
#define PSAMP_KERNELS_H

#include <stdint.h>

#include <cuda_runtime_api.h>

#include "opt_checkpoint.h" /* psamp_dtype */

#ifdef __cplusplus
extern "C" {
#endif

/* One token being processed: its slot, its position (its KV goes there and attention
 * covers positions 0..pos of the slot), its input token, and what to do with the logits. */
typedef struct {
    int32_t slot;     /* < 0: padding row */
    int32_t pos;
    int32_t token;    /* input token id */
    int32_t target;   /* >= 0: score this token instead of sampling (prefill) */
    float tau;        /* sampling temperature; <= 0: greedy */
    uint32_t unused;  /* keeps the 64-bit fields aligned */
    uint64_t seed, stream, counter; /* the row's Philox draw */
} psamp_k_row;

typedef struct {
    int32_t token;
    float logp; /* log softmax(logits)[token] */
    float logq; /* log softmax(logits / tau)[token]; 0 when greedy */
} psamp_k_result;

/* Positions per attention split (and threads per split block). */
#define PSAMP_ATTN_CHUNK 128
/* Largest head dimension the attention kernels take. */
#define PSAMP_ATTN_MAX_HEAD_DIM 128

/* embed.cu: x[r] = tok_table[token_r] + pos_table[pos_r + 2] (fp32), or in[r] + pos_table
 * when tok_table is NULL (after project_in). x_t (nullable) gets the same row in dtype.
 * Padding rows get zeros. Tables are [*, hidden] in dtype. */
cudaError_t psamp_k_embed(float *x, void *x_t, const psamp_k_row *rows, int32_t n_rows,
                          const void *tok_table, const float *in, const void *pos_table,
                          int32_t hidden, psamp_dtype dtype, cudaStream_t stream);
/* embed.cu: out[r] = tok_table[token_r] in dtype (the input of project_in); zeros for
 * padding rows. */
cudaError_t psamp_k_embed_gather(void *out, const psamp_k_row *rows, int32_t n_rows,
                                 const void *tok_table, int32_t dim, psamp_dtype dtype,
                                 cudaStream_t stream);

/* layernorm.cu: with y non-NULL first x += y + bias (the fused bias + residual add of a
 * sublayer's output; bias nullable), then out = (x - mean) / sqrt(var + eps) * gamma + beta
 * per row of x [rows, n] (fp32). gamma/beta nullable (no affine). Writes out_t (dtype,
 * nullable) and out_f32 (nullable; may equal x). */
cudaError_t psamp_k_layernorm(float *x, const float *y, const float *bias, const float *gamma,
                              const float *beta, float *out_f32, void *out_t, int32_t rows,
                              int32_t n, float eps, psamp_dtype dtype, cudaStream_t stream);

/* layernorm_rows.cu: psamp_k_layernorm's contract with each row in registers (one read of
 * x and y per row); n % 8 == 0, n <= 1024 and 16-byte aligned buffers, else it runs
 * psamp_k_layernorm. */
cudaError_t psamp_k_layernorm_rows(float *x, const float *y, const float *bias,
                                   const float *gamma, const float *beta, float *out_f32,
                                   void *out_t, int32_t rows, int32_t n, float eps,
                                   psamp_dtype dtype, cudaStream_t stream);

/* bias_relu.cu: out = act(in + bias) cast to dtype, in [rows, n] fp32, bias nullable,
 * relu != 0 applies ReLU (else a plain bias + cast). */
cudaError_t psamp_k_bias_act(const float *in, const float *bias, void *out, int32_t rows,
                             int32_t n, int relu, psamp_dtype dtype, cudaStream_t stream);

/* bias_residual.cu: x += y + bias, [rows, n] fp32, bias nullable (where no layer norm
 * follows to fuse it into: a pre-LN model without a final norm). */
cudaError_t psamp_k_bias_residual(float *x, const float *y, const float *bias, int32_t rows,
                                  int32_t n, cudaStream_t stream);

/* kv_append.cu: from qkv [rows, 3*hidden] (fp32, the fused q|k|v projection) and its bias
 * [3*hidden] (nullable): q[r] = (q + bq) * q_scale (fp32 [rows, hidden]); K/V of the row's
 * slot at its position = k + bk, v + bv (dtype). Padding rows are skipped.
 * k_cache/v_cache point at one layer: [n_slots][max_len][hidden]. */
cudaError_t psamp_k_kv_append(const float *qkv, const float *bias, float *q, void *k_cache,
                              void *v_cache, const psamp_k_row *rows, int32_t n_rows,
                              int32_t hidden, int32_t max_len, float q_scale,
                              psamp_dtype dtype, cudaStream_t stream);

/* The fp8 KV cache of one layer (psamp_cuda_options.kv_fp8): K and V as e4m3 bytes
 * [n_slots][max_len][hidden], and beside them one fp32 scale per (slot, position, head),
 * [n_slots][max_len][n_heads]: byte b of head h at position p stands for e4m3(b) * scale.
 * Each head's vector is stored as x / s with s = max|x| / 448 (1 for an all-zero vector),
 * rounded to nearest even (kernels/common.cuh), so no value saturates and small heads keep
 * their precision. Only the warp attention kernels read it (head_dim 16/32/64/128). */
typedef struct {
    void *k, *v;
    float *k_scale, *v_scale;
} psamp_k_kv_fp8;

/* kv_append.cu: psamp_k_kv_append with the K and V written into an fp8 cache;
 * head_dim <= 128. */
cudaError_t psamp_k_kv_append_fp8(const float *qkv, const float *bias, float *q, psamp_k_kv_fp8 kv,
                                  const psamp_k_row *rows, int32_t n_rows, int32_t n_heads,
                                  int32_t head_dim, int32_t max_len, float q_scale,
                                  cudaStream_t stream);

/* attention.cu: causal attention of each row's query over its slot's KV positions
 * 0..pos (the row's own KV already appended), split over the sequence in chunks of
 * PSAMP_ATTN_CHUNK positions (flash-decoding), then combined. Serves decode (one row per
 * slot, ragged lengths) and prefill (many rows of one slot).
 * q [rows, hidden] fp32 (scaled); out [rows, hidden] dtype (zeros for padding rows);
 * partial: scratch of psamp_attention_partial_floats(...) floats. n_split =
 * ceil(max_len / PSAMP_ATTN_CHUNK). head_dim <= PSAMP_ATTN_MAX_HEAD_DIM. */
size_t psamp_attention_partial_floats(int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                      int32_t max_len);
cudaError_t psamp_k_attention(const float *q, const void *k_cache, const void *v_cache,
                              void *out, float *partial, const psamp_k_row *rows,
                              int32_t n_rows, int32_t n_heads, int32_t head_dim,
                              int32_t max_len, psamp_dtype dtype, cudaStream_t stream);

/* attention_warp.cu: the same contract as psamp_k_attention (same partial scratch, used
 * only when it falls back to it), computed with warps_per_row warps per (row, head) over
 * each row's positions and no combine launch: lanes in groups of 16-byte loads, online
 * softmax in registers. warps_per_row: 0 picks it from the batch (the engine's choice),
 * else 1, 2, 4 or 8. Head dims other than 16/32/64/128, or caches/out not 16-byte
 * aligned, run psamp_k_attention instead. */
cudaError_t psamp_k_attention_warp(const float *q, const void *k_cache, const void *v_cache,
                                   void *out, float *partial, const psamp_k_row *rows,
                                   int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                   int32_t max_len, int32_t warps_per_row, psamp_dtype dtype,
                                   cudaStream_t stream);
/* attention_warp.cu: psamp_k_kv_append(qkv, bias, q, ...) then psamp_k_attention_warp(q, ...)
 * in one launch, for a decode step: every row of a distinct slot (no row may read another
 * row's appended position). The query, key and value of each row come from qkv
 * [rows, 3 * hidden] + bias (nullable) as kv_append.cu computes them (q_scale 1); the
 * row's K and V land in the caches at its position. q (fp32 [rows, hidden]) and partial
 * are written only on the fallback to kv_append + psamp_k_attention (head dims or
 * alignments psamp_k_attention_warp does not take). */
cudaError_t psamp_k_attention_warp_append(const float *qkv, const float *bias, float *q,
                                          void *k_cache, void *v_cache, void *out,
                                          float *partial, const psamp_k_row *rows,
                                          int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                          int32_t max_len, int32_t warps_per_row,
                                          psamp_dtype dtype, cudaStream_t stream);
/* attention_warp.cu: psamp_k_attention_warp and psamp_k_attention_warp_append over an fp8
 * cache (the append stores the row's K and V as psamp_k_kv_append_fp8 does, bit for bit),
 * out in out_dtype PSAMP_F16 or PSAMP_BF16. No split fallback: head dims other than
 * 16/32/64/128, caches or out not 16-byte aligned, or another out_dtype give
 * cudaErrorInvalidValue. */
cudaError_t psamp_k_attention_warp_fp8(const float *q, psamp_k_kv_fp8 kv, void *out,
                                       const psamp_k_row *rows, int32_t n_rows, int32_t n_heads,
                                       int32_t head_dim, int32_t max_len, int32_t warps_per_row,
                                       psamp_dtype out_dtype, cudaStream_t stream);
cudaError_t psamp_k_attention_warp_append_fp8(const float *qkv, const float *bias,
                                              psamp_k_kv_fp8 kv, void *out,
                                              const psamp_k_row *rows, int32_t n_rows,
                                              int32_t n_heads, int32_t head_dim, int32_t max_len,
                                              int32_t warps_per_row, psamp_dtype out_dtype,
                                              cudaStream_t stream);
/* The warps per (row, head) psamp_k_attention_warp picks for these sizes (0: it falls back
 * to psamp_k_attention). */
int32_t psamp_attention_warps_per_row(int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                      int32_t max_len, psamp_dtype dtype);

/* Most rows psamp_k_gemv takes. */
#define PSAMP_GEMV_MAX_ROWS 8

/* gemv.cu: y[m, n] (fp32, row stride n) = x[m, k] w[n, k]^T with x and w in dtype and fp32
 * accumulation, for 1 <= m <= PSAMP_GEMV_MAX_ROWS (a linear layer at a small batch: each
 * weight read once). Any k; 16-byte loads when k and the pointers allow. */
cudaError_t psamp_k_gemv(const void *x, const void *w, float *y, int32_t m, int32_t n, int32_t k,
                         psamp_dtype dtype, cudaStream_t stream);

/* What psamp_k_gemv_fused does around the dot products, so that a decode step of a few rows
 * runs fewer dependent kernels: with gamma and beta, x is the fp32 residual stream and the
 * input rows are its layer norm (eps; gamma, beta [k] fp32), rounded to the dtype as
 * psamp_k_layernorm stores it; out is written by `out`. */
typedef enum {
    PSAMP_GEMV_STORE = 0,     /* out fp32 [m, n] = y (psamp_k_gemv) */
    PSAMP_GEMV_BIAS_RELU = 1, /* out dtype [m, n] = relu(y + bias) (bias NULL: none; psamp_k_bias_act's) */
    PSAMP_GEMV_RESIDUAL = 2   /* out fp32 [m, n] += y + bias (bias NULL: none; psamp_k_bias_residual's) */
} psamp_gemv_out;
typedef struct {
    const float *gamma, *beta; /* both NULL: x is in the dtype, taken as it is */
    float eps;
    const float *bias;         /* [n] fp32, or NULL */
    psamp_gemv_out out;
} psamp_k_gemv_fusion;
/* gemv.cu: psamp_k_gemv with f's prologue and epilogue; out must not overlap x. An invalid f
 * (NULL, one of gamma and beta, an unknown out) is cudaErrorInvalidValue. */
cudaError_t psamp_k_gemv_fused(const void *x, const void *w, void *out, int32_t m, int32_t n,
                               int32_t k, const psamp_k_gemv_fusion *f, psamp_dtype dtype,
                               cudaStream_t stream);

/* sample.cu: one block per row of logits [rows, vocab] (fp32, row stride ld): log-softmax
 * and a draw from softmax(logits / tau) by inverse CDF in id order with the row's Philox
 * uniform (the same rule as host/engine/sample_row.c), or the argmax (tau <= 0, lowest id on
 * ties), or the row's target (scoring). Padding rows are skipped. */
cudaError_t psamp_k_sample(const float *logits, int64_t ld, int32_t vocab,
                           const psamp_k_row *rows, int32_t n_rows, psamp_k_result *out,
                           cudaStream_t stream);

/* sample_onepass.cu: psamp_k_sample's contract, each row's logits read from memory once
 * (an online max and sums, then the chosen region of ids again): the same draw rule, with a
 * draw that may differ from host/engine/sample_row.c's only where u lies within ~1e-7 relative of
 * a CDF boundary. 16-byte loads when ld % 4 == 0 and logits is 16-byte aligned. */
cudaError_t psamp_k_sample_onepass(const float *logits, int64_t ld, int32_t vocab,
                                   const psamp_k_row *rows, int32_t n_rows,
                                   psamp_k_result *out, cudaStream_t stream);

/* kv_fork.cu: for each fork f, copy positions [0, pairs[3f+2]) of slot pairs[3f+1] into
 * slot pairs[3f] in every layer of both caches ([n_layers][n_slots][max_len][hidden]).
 * pairs is device memory; no dst may be the src of another fork; max_pos bounds the
 * counts (sizes the grid). */
cudaError_t psamp_k_kv_fork(void *k_cache, void *v_cache, const int32_t *pairs,
                            int32_t n_forks, int32_t max_pos, int32_t n_layers,
                            int32_t n_slots, int32_t max_len, int32_t hidden,
                            psamp_dtype dtype, cudaStream_t stream);

/* kv_fork.cu: psamp_k_kv_fork for caches of row_bytes bytes per position (an fp8 cache's
 * bytes, hidden, and its scales, 4 * n_heads, are forked by two calls). */
cudaError_t psamp_k_kv_fork_bytes(void *k_cache, void *v_cache, const int32_t *pairs,
                                  int32_t n_forks, int32_t max_pos, int32_t n_layers,
                                  int32_t n_slots, int32_t max_len, int64_t row_bytes,
                                  cudaStream_t stream);

/* curand_check.cu (tests only): out[i] = curand() after curand_init(seed, stream,
 * 4 * counter[i]), and out_psamp[i] = psamp_philox_u32(seed, stream, counter[i]) computed on
 * the device, to prove host/util/philox.h matches cuRAND bit for bit. */
cudaError_t psamp_k_curand_check(uint64_t seed, uint64_t stream_id, const uint64_t *counter,
                                 int32_t n, uint32_t *out_curand, uint32_t *out_psamp,
                                 cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
