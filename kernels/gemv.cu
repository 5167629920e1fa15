/* y = x W^T for a few rows (m <= PSAMP_GEMV_MAX_ROWS): the linear layers of a decode step at
 * small batch sizes, where cuBLAS spends ~9 us a call (H200, M = 1) on a weight read of a
 * microsecond or two. Reads every weight once with 16-byte loads; fp32 accumulation.
 * Layout: x [m, k] dtype, w [n, k] dtype (a linear layer's [out, in]), y [m, n] fp32.
 * Launch: blocks of kWarps warps; a warp computes kCols output columns (rows of w) for all m
 * rows: its lanes stride over k a 16-byte vector at a time (VEC elements; VEC = 1 when k or
 * a pointer does not allow vectors), then each output is summed across the warp by
 * shuffles. M, the row capacity (1, 2, 4 or 8: the smallest >= m), sizes the accumulators;
 * rows m..M-1 are skipped. */
#include "common.cuh"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kCols = 2;

template <typename T, int VEC, int M>
__global__ void __launch_bounds__(kThreads, 2) /* <= 128 registers: ptxas spilled at its own 48 */
    gemv_kernel(const T *__restrict__ x, const T *__restrict__ w, float *__restrict__ y,
                int32_t m, int32_t n, int32_t k) {
    /* 16-byte vectors of each column in flight per lane (fewer at M = 8: registers). */
    constexpr int kChunks = M > 4 ? 2 : 4;
    const int lane = (int)threadIdx.x & 31;
    const int64_t col0 = ((int64_t)blockIdx.x * kWarps + ((int)threadIdx.x >> 5)) * kCols;
    if (col0 >= n) return; /* the whole warp: shuffles below stay full-warp */
    const T *wr[kCols];
#pragma unroll
    for (int c = 0; c < kCols; c++) wr[c] = w + min(col0 + c, (int64_t)n - 1) * k; /* a last odd column repeats */
    float acc[kCols][M];
#pragma unroll
    for (int c = 0; c < kCols; c++)
#pragma unroll
        for (int i = 0; i < M; i++) acc[c][i] = 0.0f;

    /* kChunks vectors of each column are loaded before any is used: one memory round trip
     * per kChunks * 32 * VEC elements of k (all of k = 768 in fp16). */
    for (int32_t k0 = lane * VEC; k0 < k; k0 += kChunks * 32 * VEC) {
        float wf[kChunks][kCols][VEC];
#pragma unroll
        for (int j = 0; j < kChunks; j++)
#pragma unroll
            for (int c = 0; c < kCols; c++) {
                if (k0 + j * 32 * VEC < k) {
                    psamp::load_f32<T, VEC>(wr[c] + k0 + j * 32 * VEC, wf[j][c]);
                } else {
#pragma unroll
                    for (int e = 0; e < VEC; e++) wf[j][c][e] = 0.0f;
                }
            }
        /* No branches around the x loads, so they too are issued early: a chunk past k
         * reads x at k - VEC against zero weights, and rows past m repeat row m - 1
         * (computed, never stored). */
#pragma unroll
        for (int j = 0; j < kChunks; j++) {
            const int32_t kk = min(k0 + j * 32 * VEC, k - VEC);
#pragma unroll
            for (int i = 0; i < M; i++) {
                float xf[VEC];
                psamp::load_f32<T, VEC>(x + (int64_t)min(i, m - 1) * k + kk, xf);
#pragma unroll
                for (int c = 0; c < kCols; c++)
#pragma unroll
                    for (int e = 0; e < VEC; e++) acc[c][i] = fmaf(xf[e], wf[j][c][e], acc[c][i]);
            }
        }
    }
#pragma unroll
    for (int c = 0; c < kCols; c++)
#pragma unroll
        for (int i = 0; i < M; i++)
#pragma unroll
            for (int o = 16; o > 0; o >>= 1)
                acc[c][i] += __shfl_xor_sync(0xffffffffu, acc[c][i], o);
    if (lane != 0) return;
#pragma unroll
    for (int c = 0; c < kCols; c++)
#pragma unroll
        for (int i = 0; i < M; i++)
            if (i < m && col0 + c < n) y[(int64_t)i * n + col0 + c] = acc[c][i];
}

template <typename T, int VEC>
cudaError_t launch_vec(const T *x, const T *w, float *y, int32_t m, int32_t n, int32_t k,
                       cudaStream_t stream) {
    const unsigned blocks = (unsigned)psamp::ceil_div(n, kWarps * kCols);
    if (m == 1)
        PSAMP_LAUNCH(blocks, kThreads, 0, stream, gemv_kernel<T, VEC, 1>)(x, w, y, m, n, k);
    else if (m == 2)
        PSAMP_LAUNCH(blocks, kThreads, 0, stream, gemv_kernel<T, VEC, 2>)(x, w, y, m, n, k);
    else if (m <= 4)
        PSAMP_LAUNCH(blocks, kThreads, 0, stream, gemv_kernel<T, VEC, 4>)(x, w, y, m, n, k);
    else
        PSAMP_LAUNCH(blocks, kThreads, 0, stream, gemv_kernel<T, VEC, 8>)(x, w, y, m, n, k);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch(const T *x, const T *w, float *y, int32_t m, int32_t n, int32_t k,
                   cudaStream_t stream) {
    constexpr int vec = psamp::vec16<T>::n;
    const bool vectors = k % vec == 0 && (uintptr_t)x % 16 == 0 && (uintptr_t)w % 16 == 0;
    return vectors ? launch_vec<T, vec>(x, w, y, m, n, k, stream)
                   : launch_vec<T, 1>(x, w, y, m, n, k, stream);
}

} // namespace

extern "C" cudaError_t psamp_k_gemv(const void *x, const void *w, float *y, int32_t m, int32_t n,
                                    int32_t k, psamp_dtype dtype, cudaStream_t stream) {
    if (m <= 0 || n <= 0) return cudaSuccess;
    if (m > PSAMP_GEMV_MAX_ROWS || k <= 0) return cudaErrorInvalidValue;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(static_cast<const T *>(x), static_cast<const T *>(w), y,
                                          m, n, k, stream));
    return cudaSuccess;
}
