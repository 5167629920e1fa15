/* Bias of the fused QKV projection + KV append: splits qkv into the scaled query (fp32, for
 * attention) and the key and value of the row's token, written into its slot's cache at
 * its position in the model dtype.
 * Layout: qkv [rows, 3 * hidden] fp32 as q | k | v; bias [3 * hidden] fp32 (NULL: none);
 * q [rows, hidden] fp32; k_cache/v_cache of one layer [n_slots][max_len][hidden].
 * Launch: one block of 128 threads per row, threads striding over hidden. */
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

} // namespace

extern "C" cudaError_t psamp_k_kv_append(const float *qkv, const float *bias, float *q,
                                         void *k_cache, void *v_cache, const psamp_k_row *rows,
                                         int32_t n_rows, int32_t hidden, int32_t max_len,
                                         float q_scale, psamp_dtype dtype,
                                         cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         kv_append_kernel<T><<<n_rows, kThreads, 0, stream>>>(
                             qkv, bias, q, static_cast<T *>(k_cache), static_cast<T *>(v_cache),
                             rows, hidden, max_len, q_scale));
    return cudaGetLastError();
}
