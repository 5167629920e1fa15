/* Layer norm over the last dimension, optionally after a fused bias + residual add:
 *   x += y + bias (when y is given; x keeps the sum: the residual stream), then
 *   out = (x - mean) / sqrt(var + eps) * gamma + beta.
 * Layout: x [rows, n] fp32; y [rows, n] fp32 and bias [n] fp32 (NULL: none); gamma/beta [n]
 * fp32 (NULL: no affine); out_f32 [rows, n] fp32 (may alias x: each element is read and
 * written by the same lane), out_t the dtype copy (GEMM input).
 * Launch: 4 warps per block of 128 threads, one warp per row; the residual pass also sums
 * for the mean, a second pass takes the variance about it (numerically stable), a third
 * writes. */
#include "common.cuh"

namespace {

constexpr int kWarps = 4;

template <typename T>
__global__ void layernorm_kernel(float *x, const float *__restrict__ y,
                                 const float *__restrict__ bias, const float *__restrict__ gamma,
                                 const float *__restrict__ beta, float *out_f32,
                                 T *__restrict__ out_t, int32_t rows, int32_t n, float eps) {
    const int lane = threadIdx.x & 31;
    const int64_t r = (int64_t)blockIdx.x * kWarps + (threadIdx.x >> 5);
    if (r >= rows) return; /* whole warp leaves together: shuffles stay full-warp */
    float *xr = x + r * n;
    float s = 0.0f;
    for (int32_t i = lane; i < n; i += 32) {
        float v = xr[i];
        if (y) {
            v += y[r * n + i] + (bias ? bias[i] : 0.0f);
            xr[i] = v;
        }
        s += v;
    }
    const float mean = psamp::warp_sum(s) / (float)n;
    const float rstd = psamp::warp_row_rstd(xr, n, mean, eps);
    for (int32_t i = lane; i < n; i += 32) {
        float v = (xr[i] - mean) * rstd;
        if (gamma) v = v * gamma[i] + beta[i];
        if (out_t) out_t[r * n + i] = psamp::from_f32<T>(v);
        if (out_f32) out_f32[r * n + i] = v;
    }
}

} // namespace

extern "C" cudaError_t psamp_k_layernorm(float *x, const float *y, const float *bias,
                                         const float *gamma, const float *beta, float *out_f32,
                                         void *out_t, int32_t rows, int32_t n, float eps,
                                         psamp_dtype dtype, cudaStream_t stream) {
    if (rows <= 0) return cudaSuccess;
    if ((gamma == nullptr) != (beta == nullptr)) return cudaErrorInvalidValue;
    const unsigned blocks = (unsigned)psamp::ceil_div(rows, kWarps);
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         layernorm_kernel<T><<<blocks, kWarps * 32, 0, stream>>>(
                             x, y, bias, gamma, beta, out_f32, static_cast<T *>(out_t), rows, n,
                             eps));
    return cudaGetLastError();
}
