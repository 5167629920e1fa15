/* RMSNorm of the decoders (decoder_kernels.h): out = x * rsqrt(mean(x^2) + eps) * gamma, in
 * decoder_forward_cpu.c's order (gamma * (x * inv)), sums in fp32.
 * Launch: one block of kThreads per row (hidden sizes of 2-8 K: a warp per row would hold
 * 64-256 floats per lane). Two passes over the row, the second from L1/L2: the sum of squares
 * (each thread a strided share, then the warps' partials through shared memory after one
 * barrier, every thread summing them in the same order), then the scaled output. With
 * n % 8 == 0 and 16-byte aligned x, gamma and out, a thread takes 8 consecutive elements at a
 * time (two 16-byte loads of x and gamma, 16-byte stores of out); else one at a time. */
#include "common.cuh"
#include "decoder_kernels.h"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kVec = 8; /* elements per step of the vector path */

__device__ __forceinline__ void load8(const float *p, float (&v)[kVec]) {
    float a[4], b[4];
    psamp::unpack_f32<float>(psamp::load16(p), a);
    psamp::unpack_f32<float>(psamp::load16(p + 4), b);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        v[i] = a[i];
        v[4 + i] = b[i];
    }
}

template <typename T> __device__ __forceinline__ void store8(T *p, const float (&v)[kVec]) {
    constexpr int V = psamp::vec16<T>::n;
#pragma unroll
    for (int s = 0; s < kVec; s += V) {
        float part[V];
#pragma unroll
        for (int i = 0; i < V; i++) part[i] = v[s + i];
        psamp::store16(p + s, psamp::pack_f32<T>(part));
    }
}

template <typename T, bool VEC>
__global__ void __launch_bounds__(kThreads)
    rmsnorm_kernel(const float *__restrict__ x, const float *__restrict__ gamma, T *__restrict__ out,
                   int32_t n, float eps) {
    const int64_t r = blockIdx.x;
    const int tid = (int)threadIdx.x;
    const float *xr = x + r * n;
    T *outr = out + r * n;
    float ss = 0.0f;
    if constexpr (VEC) {
        for (int32_t e = tid * kVec; e < n; e += kThreads * kVec) {
            float v[kVec];
            load8(xr + e, v);
#pragma unroll
            for (int i = 0; i < kVec; i++) ss += v[i] * v[i];
        }
    } else {
        for (int32_t e = tid; e < n; e += kThreads) ss += xr[e] * xr[e];
    }
    float *partial = psamp::dynamic_smem<float>();
    ss = psamp::warp_sum(ss);
    if ((tid & 31) == 0) partial[tid >> 5] = ss;
    __syncthreads();
    float total = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; w++) total += partial[w];
    const float inv = rsqrtf(total / (float)n + eps);
    if constexpr (VEC) {
        for (int32_t e = tid * kVec; e < n; e += kThreads * kVec) {
            float v[kVec], g[kVec];
            load8(xr + e, v);
            load8(gamma + e, g);
#pragma unroll
            for (int i = 0; i < kVec; i++) v[i] = g[i] * (v[i] * inv);
            store8<T>(outr + e, v);
        }
    } else {
        for (int32_t e = tid; e < n; e += kThreads)
            outr[e] = psamp::from_f32<T>(gamma[e] * (xr[e] * inv));
    }
}

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

template <typename T>
cudaError_t launch(const float *x, const float *gamma, T *out, int32_t rows, int32_t n, float eps,
                   cudaStream_t stream) {
    const size_t smem = kWarps * sizeof(float);
    if (n % kVec == 0 && aligned16(x) && aligned16(gamma) && aligned16(out))
        PSAMP_LAUNCH((unsigned)rows, kThreads, smem, stream, rmsnorm_kernel<T, true>)(x, gamma, out, n, eps);
    else
        PSAMP_LAUNCH((unsigned)rows, kThreads, smem, stream, rmsnorm_kernel<T, false>)(x, gamma, out, n, eps);
    return cudaGetLastError();
}

} // namespace

extern "C" cudaError_t psamp_k_rmsnorm(const float *x, const float *gamma, void *out, int32_t rows,
                                       int32_t n, float eps, psamp_dtype dtype, cudaStream_t stream) {
    if (rows < 0 || n <= 0 || !x || !gamma || !out) return cudaErrorInvalidValue;
    if (rows == 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T, return launch<T>(x, gamma, static_cast<T *>(out), rows, n, eps, stream));
    return cudaSuccess;
}
