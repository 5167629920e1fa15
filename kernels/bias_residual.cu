/* Fused bias + residual add: x += y + bias (the end of the attention and FFN blocks).
 * Layout: x, y [rows, n] fp32, bias [n] fp32 (NULL: none).
 * Launch: 1-D grid-stride loop over rows * n elements, 256 threads per block. */
#include "common.cuh"

namespace {

constexpr int kThreads = 256;

__global__ void bias_residual_kernel(float *__restrict__ x, const float *__restrict__ y,
                                     const float *__restrict__ bias, int64_t total,
                                     int32_t n) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = y[i];
        if (bias) v += bias[i % n];
        x[i] += v;
    }
}

} // namespace

extern "C" cudaError_t psamp_k_bias_residual(float *x, const float *y, const float *bias,
                                             int32_t rows, int32_t n, cudaStream_t stream) {
    const int64_t total = (int64_t)rows * n;
    if (total <= 0) return cudaSuccess;
    const int64_t want = psamp::ceil_div(total, kThreads);
    const unsigned blocks = (unsigned)(want < 65536 ? want : 65536);
    bias_residual_kernel<<<blocks, kThreads, 0, stream>>>(x, y, bias, total, n);
    return cudaGetLastError();
}
