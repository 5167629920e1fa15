/* Bias of the fused QKV projection + KV append: splits qkv into the scaled query (fp32, for
 * attention) and the key and value of the row's token, written into its slot's cache at
 * its position in the model dtype.
 * Layout: qkv [rows, 3 * hidden] fp32 as q | k | v; bias [3 * hidden] fp32 (NULL: none);
 * q [rows, hidden] fp32; k_cache/v_cache of one layer [n_slots][max_len][hidden].
 * Launch: one block of 128 threads per row, threads striding over hidden.
 * fp8 cache (psamp_k_kv_append_fp8): the same q; warp w of the block takes heads w, w + 4,
 * ..., lane i dims i, i + 32, ... of the head (head_dim <= 128), the head's max |x| by
 * shuffles, then its bytes and scale (common.cuh's rule, the fused append's too). */
#include "common.cuh"

namespace {

constexpr int kThreads = 128;

template <typename T>
__global__ void kv_append_kernel(const float *__restrict__ qkv, const float *__restrict__ bias,
                                 float *__restrict__ q, T *__restrict__ k_cache,
                                 T *__restrict__ v_cache, const psamp_k_row *__restrict__ rows,
                                 int32_t hidden, int32_t max_len, float q_scale) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    const float *src = qkv + r * 3 * (int64_t)hidden;
    float *qr = q + r * hidden;
    if (row.slot < 0) {
        for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) qr[i] = 0.0f;
        return;
    }
    const int64_t at = ((int64_t)row.slot * max_len + row.pos) * hidden;
    for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) {
        float qv = src[i], kv = src[hidden + i], vv = src[2 * hidden + i];
        if (bias) {
            qv += bias[i];
            kv += bias[hidden + i];
            vv += bias[2 * hidden + i];
        }
        qr[i] = qv * q_scale;
        k_cache[at + i] = psamp::from_f32<T>(kv);
        v_cache[at + i] = psamp::from_f32<T>(vv);
    }
}

constexpr int kMaxLaneDims = PSAMP_ATTN_MAX_HEAD_DIM / 32;

__global__ void kv_append_fp8_kernel(const float *__restrict__ qkv, const float *__restrict__ bias,
                                     float *__restrict__ q, psamp_k_kv_fp8 kv,
                                     const psamp_k_row *__restrict__ rows, int32_t n_heads,
                                     int32_t head_dim, int32_t max_len, float q_scale) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    const int32_t hidden = n_heads * head_dim;
    const float *src = qkv + r * 3 * (int64_t)hidden;
    float *qr = q + r * hidden;
    for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x)
        qr[i] = row.slot < 0 ? 0.0f : (bias ? src[i] + bias[i] : src[i]) * q_scale;
    if (row.slot < 0) return;
    const int lane = (int)threadIdx.x & 31, warp = (int)threadIdx.x >> 5;
    const int64_t at = (int64_t)row.slot * max_len + row.pos; /* the position's index */
    uint8_t *k = static_cast<uint8_t *>(kv.k), *v = static_cast<uint8_t *>(kv.v);
    for (int32_t h = warp; h < n_heads; h += kThreads / 32) { /* warp-uniform */
        float kf[kMaxLaneDims], vf[kMaxLaneDims];
        float k_max = 0.0f, v_max = 0.0f;
#pragma unroll
        for (int c = 0; c < kMaxLaneDims; c++) {
            const int32_t i = lane + 32 * c, col = h * head_dim + i;
            const bool in = i < head_dim;
            const float kx = in ? src[hidden + col] : 0.0f, vx = in ? src[2 * hidden + col] : 0.0f;
            kf[c] = in && bias ? kx + bias[hidden + col] : kx;
            vf[c] = in && bias ? vx + bias[2 * hidden + col] : vx;
            k_max = fmaxf(k_max, fabsf(kf[c]));
            v_max = fmaxf(v_max, fabsf(vf[c]));
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            k_max = fmaxf(k_max, __shfl_xor_sync(0xffffffffu, k_max, o));
            v_max = fmaxf(v_max, __shfl_xor_sync(0xffffffffu, v_max, o));
        }
        const float ks = psamp::fp8_scale(k_max), vs = psamp::fp8_scale(v_max);
#pragma unroll
        for (int c = 0; c < kMaxLaneDims; c++) {
            const int32_t i = lane + 32 * c;
            if (i >= head_dim) continue;
            k[at * hidden + h * head_dim + i] = psamp::fp8_encode(kf[c], ks);
            v[at * hidden + h * head_dim + i] = psamp::fp8_encode(vf[c], vs);
        }
        if (lane == 0) {
            kv.k_scale[at * n_heads + h] = ks;
            kv.v_scale[at * n_heads + h] = vs;
        }
    }
}

} // namespace

extern "C" cudaError_t psamp_k_kv_append(const float *qkv, const float *bias, float *q,
                                         void *k_cache, void *v_cache, const psamp_k_row *rows,
                                         int32_t n_rows, int32_t hidden, int32_t max_len,
                                         float q_scale, psamp_dtype dtype,
                                         cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         PSAMP_LAUNCH(n_rows, kThreads, 0, stream, kv_append_kernel<T>)(
                             qkv, bias, q, static_cast<T *>(k_cache), static_cast<T *>(v_cache),
                             rows, hidden, max_len, q_scale));
    return cudaGetLastError();
}

extern "C" cudaError_t psamp_k_kv_append_fp8(const float *qkv, const float *bias, float *q,
                                             psamp_k_kv_fp8 kv, const psamp_k_row *rows,
                                             int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                             int32_t max_len, float q_scale, cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (n_heads <= 0 || head_dim <= 0 || head_dim > PSAMP_ATTN_MAX_HEAD_DIM)
        return cudaErrorInvalidValue;
    PSAMP_LAUNCH(n_rows, kThreads, 0, stream, kv_append_fp8_kernel)(qkv, bias, q, kv, rows, n_heads,
                                                                    head_dim, max_len, q_scale);
    return cudaGetLastError();
}
