/* The decoders' q/k/v bias + rotary embedding + KV-cache write, fused (decoder_kernels.h):
 * one pass over the fused projection's row instead of a bias kernel, a RoPE kernel and a KV
 * append each reading and writing it. The arithmetic is decoder_rope.c's: (a, b) = dims
 * (i, i + head_dim / 2) of a head, a' = a cos - b sin, b' = b cos + a sin, in fp32, the
 * bias added first (transformers adds it in the projection), q scaled after the rotation.
 * Launch: one block per row; its threads stride over the row's work items: the rotation
 * pairs of the query heads, then those of the KV heads, then the value elements, so
 * consecutive threads touch consecutive dims (coalesced). Rows whose slot < 0 or whose pos
 * lies outside [0, max_len) are skipped (nothing written). */
#include "common.cuh"
#include "decoder_kernels.h"

namespace {

constexpr int kThreads = 128;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    rope_append_kernel(const float *__restrict__ qkv, const float *__restrict__ bias,
                       const float *__restrict__ rope_cos, const float *__restrict__ rope_sin,
                       const uint8_t *__restrict__ row_sets, float *__restrict__ q_out,
                       T *__restrict__ k_cache, T *__restrict__ v_cache,
                       const psamp_k_row *__restrict__ rows, int32_t n_heads, int32_t n_kv_heads,
                       int32_t head_dim, int32_t max_len, float q_scale) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    if (row.slot < 0 || row.pos < 0 || row.pos >= max_len) return;
    const int32_t half = head_dim / 2;
    const int32_t q_dim = n_heads * head_dim, kv_dim = n_kv_heads * head_dim;
    const int64_t width = q_dim + 2 * (int64_t)kv_dim;
    const float *src = qkv + r * width;
    const int set = row_sets ? row_sets[r] : 0;
    const int64_t table_at = ((int64_t)set * max_len + row.pos) * half;
    const float *cs = rope_cos + table_at, *sn = rope_sin + table_at;
    const int64_t cache_at = ((int64_t)row.slot * max_len + row.pos) * kv_dim;
    const int32_t q_pairs = n_heads * half, k_pairs = n_kv_heads * half;
    const int32_t items = q_pairs + k_pairs + kv_dim;
    for (int32_t it = (int32_t)threadIdx.x; it < items; it += kThreads) {
        if (it < q_pairs + k_pairs) {
            const bool is_q = it < q_pairs;
            const int32_t p = is_q ? it : it - q_pairs;
            const int32_t head = p / half, i = p % half;
            const int32_t col = (is_q ? 0 : q_dim) + head * head_dim + i; /* dim a; b at + half */
            float a = src[col], b = src[col + half];
            if (bias) {
                a += bias[col];
                b += bias[col + half];
            }
            const float ra = a * cs[i] - b * sn[i], rb = b * cs[i] + a * sn[i];
            if (is_q) {
                float *qr = q_out + r * q_dim + head * head_dim;
                qr[i] = ra * q_scale;
                qr[i + half] = rb * q_scale;
            } else {
                T *kr = k_cache + cache_at + head * head_dim;
                kr[i] = psamp::from_f32<T>(ra);
                kr[i + half] = psamp::from_f32<T>(rb);
            }
        } else {
            const int32_t e = it - q_pairs - k_pairs, col = q_dim + kv_dim + e;
            const float v = bias ? src[col] + bias[col] : src[col];
            v_cache[cache_at + e] = psamp::from_f32<T>(v);
        }
    }
}

} // namespace

extern "C" cudaError_t psamp_k_decoder_rope_append(const float *qkv, const float *bias,
                                                   const float *rope_cos, const float *rope_sin,
                                                   const uint8_t *row_sets, float *q_out,
                                                   void *k_cache, void *v_cache,
                                                   const psamp_k_row *rows, int32_t n_rows,
                                                   int32_t n_heads, int32_t n_kv_heads,
                                                   int32_t head_dim, int32_t max_len, float q_scale,
                                                   psamp_dtype dtype, cudaStream_t stream) {
    if (n_rows < 0 || n_heads <= 0 || n_kv_heads <= 0 || head_dim <= 0 || head_dim % 2 != 0 ||
        max_len <= 0 || !qkv || !rope_cos || !rope_sin || !q_out || !k_cache || !v_cache || !rows)
        return cudaErrorInvalidValue;
    if (n_rows == 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T, {
        PSAMP_LAUNCH((unsigned)n_rows, kThreads, 0, stream, rope_append_kernel<T>)(
            qkv, bias, rope_cos, rope_sin, row_sets, q_out, static_cast<T *>(k_cache),
            static_cast<T *>(v_cache), rows, n_heads, n_kv_heads, head_dim, max_len, q_scale);
        return cudaGetLastError();
    });
    return cudaSuccess;
}
