/* Launchers of the kernels of the Qwen2 / Llama / Phi-3 decoders (kernels/decoder_*.cu),
 * callable from C. The conventions of kernels.h hold (enqueue on `stream`, return
 * cudaGetLastError(), never synchronise; `dtype` is the model's element type; the residual
 * stream and GEMM outputs are fp32; rows are psamp_k_row, slot < 0 is padding).
 *
 * The decoder's KV cache of one layer is [n_slots][max_len][kv_dim] in dtype, K and V
 * separately, kv_dim = n_kv_heads * head_dim, KV head j at columns j * head_dim.. (the OPT
 * layout with kv_dim for hidden, so kv_fork.cu copies it with hidden = kv_dim).
 *
 * The CPU reference of every op is host/engine/cpu/decoder_forward_cpu.c (RMSNorm, SwiGLU,
 * attention) and host/model/decoder_rope.c (the cos/sin tables and the rotation). */
#ifndef PSAMP_DECODER_KERNELS_H
#define PSAMP_DECODER_KERNELS_H

#include <stdint.h>

#include <cuda_runtime_api.h>

#include "kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most query heads one KV head may serve in psamp_k_decoder_attention (n_heads / n_kv_heads). */
#define PSAMP_DECODER_MAX_GROUP 8

/* decoder_embed.cu: x[r] = table[token_r] (table [vocab, hidden] in dtype) as fp32, zeros
 * for padding rows (the token is not read there). */
cudaError_t psamp_k_decoder_embed(float *x, const psamp_k_row *rows, int32_t n_rows, const void *table,
                                  int32_t hidden, psamp_dtype dtype, cudaStream_t stream);

/* decoder_rmsnorm.cu: out[r] = x[r] * rsqrt(mean(x[r]^2) + eps) * gamma, x [rows, n] fp32
 * (the residual stream), gamma [n] fp32, out [rows, n] in dtype (the next GEMM's input).
 * Sums in fp32. One block per row; 16-byte loads when n % 4 == 0 and x, gamma are 16-byte
 * aligned, else scalar ones. */
cudaError_t psamp_k_rmsnorm(const float *x, const float *gamma, void *out, int32_t rows, int32_t n,
                            float eps, psamp_dtype dtype, cudaStream_t stream);

/* decoder_rope.cu: the q/k/v bias, rotary embedding and KV-cache write of one layer, fused.
 * qkv [rows, (n_heads + 2 n_kv_heads) * head_dim] fp32 is the fused projection (q | k | v),
 * bias [same width] fp32 or NULL (Qwen2's q/k/v biases). Per row (padding rows skipped):
 *   q_out[r] = rope(q + bq) * q_scale          fp32 [rows, n_heads * head_dim]
 *   K[slot][pos] = rope(k + bk), V[slot][pos] = v + bv   (dtype, the layer's caches)
 * rope rotates dims i and i + head_dim / 2 of each head by the row's angle i (rotate_half):
 *   a' = a cos - b sin, b' = b cos + a sin,
 * cos/sin from the tables [n_sets][max_len][head_dim / 2] (fp32, attention factor included,
 * as decoder_rope.c builds them); the row uses set row_sets[r] (device bytes, NULL: set 0 for
 * every row; longrope's long set is 1). head_dim even, pos < max_len. */
cudaError_t psamp_k_decoder_rope_append(const float *qkv, const float *bias, const float *rope_cos,
                                        const float *rope_sin, const uint8_t *row_sets, float *q_out,
                                        void *k_cache, void *v_cache, const psamp_k_row *rows,
                                        int32_t n_rows, int32_t n_heads, int32_t n_kv_heads,
                                        int32_t head_dim, int32_t max_len, float q_scale,
                                        psamp_dtype dtype, cudaStream_t stream);

/* decoder_swiglu.cu: out[r][i] = silu(gate[r][i]) * up[r][i], silu(g) = g / (1 + exp(-g)),
 * from the fused gate|up projection gate_up [rows, 2 * ffn] fp32 (gate in columns 0..ffn-1,
 * up after it, the layout of Phi-3's gate_up_proj), out [rows, ffn] in dtype (down_proj's
 * input). 16-byte loads when ffn % 8 == 0 and the buffers are 16-byte aligned. */
cudaError_t psamp_k_swiglu(const float *gate_up, void *out, int32_t rows, int32_t ffn,
                           psamp_dtype dtype, cudaStream_t stream);

/* decoder_attention.cu: grouped-query causal attention of each row's query heads over its
 * slot's positions 0..pos (the row's own K and V already in the caches). Query head h reads
 * KV head h / (n_heads / n_kv_heads). One block per (row, KV head, group of at most
 * PSAMP_DECODER_MAX_GROUP of that KV head's query heads): with n_heads / n_kv_heads <=
 * PSAMP_DECODER_MAX_GROUP each KV head's K and V are read once per row, for all its queries.
 * q [rows, n_heads * head_dim] fp32, pre-scaled by head_dim^-0.5; out [rows, n_heads *
 * head_dim] in dtype, zeros for padding rows. Needs head_dim * sizeof(dtype) a multiple of 16
 * with at most 32 16-byte pieces (fp16/bf16: head_dim % 8 == 0, <= 256; fp32: head_dim % 4 ==
 * 0, <= 128), n_heads a multiple of n_kv_heads and 16-byte aligned caches; else
 * cudaErrorInvalidValue. Decodes and prefills alike (rows independent). */
cudaError_t psamp_k_decoder_attention(const float *q, const void *k_cache, const void *v_cache,
                                      void *out, const psamp_k_row *rows, int32_t n_rows,
                                      int32_t n_heads, int32_t n_kv_heads, int32_t head_dim,
                                      int32_t max_len, psamp_dtype dtype, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
