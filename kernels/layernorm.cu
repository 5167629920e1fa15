/* Layer norm over the last dimension: y = (x - mean) / sqrt(var + eps) * gamma + beta.
 * Layout: x [rows, n] fp32; gamma/beta [n] fp32 (NULL: no affine); out_f32 [rows, n] fp32
 * (may alias x: each element is read by the thread that writes it), out_t the dtype copy.
 * Launch: 4 warps per block of 128 threads, one warp per row; mean and variance in two
 * passes over the row (numerically stable), a third pass writes. */
#include "common.cuh"

namespace {

constexpr int kWarps = 4;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

template <typename T>
__global__ void layernorm_kernel(const float *x, const float *__restrict__ gamma,
                                 const float *__restrict__ beta, float *out_f32,
                                 T *__restrict__ out_t, int32_t rows, int32_t n, float eps) {
    const int lane = threadIdx.x & 31;
    const int64_t r = (int64_t)blockIdx.x * kWarps + (threadIdx.x >> 5);
    if (r >= rows) return; /* whole warp leaves together: shuffles stay full-warp */
    const float *xr = x + r * n;
    float s = 0.0f;
    for (int32_t i = lane; i < n; i += 32) s += xr[i];
    const float mean = warp_sum(s) / (float)n;
    float ss = 0.0f;
    for (int32_t i = lane; i < n; i += 32) {
        const float d = xr[i] - mean;
        ss += d * d;
    }
    const float rstd = rsqrtf(warp_sum(ss) / (float)n + eps);
    for (int32_t i = lane; i < n; i += 32) {
        float y = (xr[i] - mean) * rstd;
        if (gamma) y = y * gamma[i] + beta[i];
        if (out_t) out_t[r * n + i] = psamp::from_f32<T>(y);
        if (out_f32) out_f32[r * n + i] = y;
    }
}

} // namespace

extern "C" cudaError_t psamp_k_layernorm(const float *x, const float *gamma, const float *beta,
                                         float *out_f32, void *out_t, int32_t rows, int32_t n,
                                         float eps, psamp_dtype dtype, cudaStream_t stream) {
    if (rows <= 0) return cudaSuccess;
    if ((gamma == nullptr) != (beta == nullptr)) return cudaErrorInvalidValue;
    const unsigned blocks = (unsigned)psamp::ceil_div(rows, kWarps);
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         layernorm_kernel<T><<<blocks, kWarps * 32, 0, stream>>>(
                             x, gamma, beta, out_f32, static_cast<T *>(out_t), rows, n, eps));
    return cudaGetLastError();
}
