/* Fused bias + ReLU + cast: out = relu(in + bias) in the model dtype (the fc1 -> fc2 hop),
 * or with relu == 0 a plain bias + cast (project_out's output into the lm_head GEMM).
 * Layout: in [rows, n] fp32, bias [n] fp32 (NULL: none), out [rows, n] dtype.
 * Launch: 1-D grid-stride loop over rows * n elements, 256 threads per block. */
#include "common.cuh"

namespace {

constexpr int kThreads = 256;

template <typename T, bool kRelu>
__global__ void bias_act_kernel(const float *__restrict__ in, const float *__restrict__ bias,
                                T *__restrict__ out, int64_t total, int32_t n) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = in[i];
        if (bias) v += bias[i % n];
        if (kRelu) v = fmaxf(v, 0.0f);
        out[i] = psamp::from_f32<T>(v);
    }
}

} // namespace

extern "C" cudaError_t psamp_k_bias_act(const float *in, const float *bias, void *out,
                                        int32_t rows, int32_t n, int relu, psamp_dtype dtype,
                                        cudaStream_t stream) {
    const int64_t total = (int64_t)rows * n;
    if (total <= 0) return cudaSuccess;
    const int64_t want = psamp::ceil_div(total, kThreads);
    const unsigned blocks = (unsigned)(want < 65536 ? want : 65536);
    PSAMP_DISPATCH_DTYPE(dtype, T, {
        if (relu)
            bias_act_kernel<T, true><<<blocks, kThreads, 0, stream>>>(
                in, bias, static_cast<T *>(out), total, n);
        else
            bias_act_kernel<T, false><<<blocks, kThreads, 0, stream>>>(
                in, bias, static_cast<T *>(out), total, n);
    });
    return cudaGetLastError();
}
