/* y = x W^T for a few rows (m <= PSAMP_GEMV_MAX_ROWS): the linear layers of a decode step at
 * small batch sizes, where cuBLAS spends ~9 us a call (H200, M = 1) on a weight read of a
 * microsecond or two. Reads every weight once with 16-byte loads; fp32 accumulation.
 * Layout: x [m, k] dtype, w [n, k] dtype (a linear layer's [out, in]), y [m, n] fp32.
 * Launch: blocks of kWarps warps; a warp computes kCols output columns (rows of w) for all m
 * rows: its lanes stride over k a 16-byte vector at a time (VEC elements; VEC = 1 when k or
 * a pointer does not allow vectors), then each output is summed across the warp by
 * shuffles. M, the row capacity (1, 2, 4 or 8: the smallest >= m), sizes the accumulators;
 * rows m..M-1 are skipped.
 *
 * Fusions (psamp_k_gemv_fused, kernels.h): at one row a decode step is bound by its count of
 * dependent kernels (~3 us each), not by bytes, so the small kernels around the GEMVs move
 * into them. Prologue: the input is the layer norm of the fp32 residual stream, rounded to
 * the dtype as layernorm_rows.cu stores it; every block recomputes its rows' mean and
 * variance (warp i takes row i, kWarps == PSAMP_GEMV_MAX_ROWS) into shared memory, a few KB
 * against the block's weight tiles. Epilogues: bias + ReLU to the dtype (bias_relu.cu's
 * order), or the residual add x += y + bias (layernorm_rows.cu's order), each output column
 * owned by one lane. */
#include "common.cuh"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kCols = 2;
static_assert(kWarps >= PSAMP_GEMV_MAX_ROWS, "one warp per row for the norm's statistics");

/* The kernel's inputs and what it does around the dot products. */
template <typename T> struct gemv_args {
    const void *x; /* T [m, k], or fp32 [m, k] with a norm */
    const T *w;
    void *out;     /* fp32 [m, n] (store, residual) or T [m, n] (bias + ReLU) */
    const float *gamma, *beta, *bias;
    float eps;
    int32_t m, n, k;
};

/* Warp `row` (< m) writes its row's mean and 1 / sqrt(var + eps) to stats[2 row ..]: two
 * passes over 4 k bytes that the block then reads again from cache. */
__device__ void norm_stats(const float *x, int32_t m, int32_t k, float eps, float *stats) {
    const int lane = (int)threadIdx.x & 31, row = (int)threadIdx.x >> 5;
    if (row < m) {
        const float *xr = x + (int64_t)row * k;
        float s = 0.0f;
        for (int32_t i = lane; i < k; i += 32) s += xr[i];
        const float mean = psamp::warp_sum(s) / (float)k;
        const float rstd = psamp::warp_row_rstd(xr, k, mean, eps);
        if (lane == 0) {
            stats[2 * row] = mean;
            stats[2 * row + 1] = rstd;
        }
    }
    __syncthreads();
}

/* VEC input elements of row i at kk as fp32: the dtype's values, or the layer norm of the
 * fp32 row rounded to the dtype. */
template <typename T, int VEC, bool kNorm>
__device__ __forceinline__ void load_x(const gemv_args<T> &a, const float *stats, int i,
                                       int32_t kk, float (&xf)[VEC]) {
    if constexpr (!kNorm) {
        psamp::load_f32<T, VEC>(static_cast<const T *>(a.x) + (int64_t)i * a.k + kk, xf);
    } else {
        const float *xr = static_cast<const float *>(a.x) + (int64_t)i * a.k + kk;
        float g[VEC], b[VEC];
        if constexpr (VEC % 4 == 0) {
#pragma unroll
            for (int c = 0; c < VEC; c += 4) {
                float p[4], q[4], r[4];
                psamp::load_f32<float, 4>(xr + c, p);
                psamp::load_f32<float, 4>(a.gamma + kk + c, q);
                psamp::load_f32<float, 4>(a.beta + kk + c, r);
#pragma unroll
                for (int e = 0; e < 4; e++) xf[c + e] = p[e], g[c + e] = q[e], b[c + e] = r[e];
            }
        } else {
#pragma unroll
            for (int e = 0; e < VEC; e++) xf[e] = xr[e], g[e] = a.gamma[kk + e], b[e] = a.beta[kk + e];
        }
        const float mean = stats[2 * i], rstd = stats[2 * i + 1];
#pragma unroll
        for (int e = 0; e < VEC; e++)
            xf[e] = psamp::to_f32(psamp::from_f32<T>((xf[e] - mean) * rstd * g[e] + b[e]));
    }
}

template <typename T, int VEC, int M, bool kNorm, int kOut>
__global__ void __launch_bounds__(kThreads, 2) /* <= 128 registers: ptxas spilled at its own 48 */
    gemv_kernel(gemv_args<T> a) {
    /* 16-byte vectors of each column in flight per lane (fewer at M = 8: registers). */
    constexpr int kChunks = M > 4 ? 2 : 4;
    const int32_t m = a.m, n = a.n, k = a.k;
    const float *stats = nullptr;
    if constexpr (kNorm) {
        float *smem = psamp::dynamic_smem<float>();
        norm_stats(static_cast<const float *>(a.x), m, k, a.eps, smem);
        stats = smem;
    }
    const int lane = (int)threadIdx.x & 31;
    const int64_t col0 = ((int64_t)blockIdx.x * kWarps + ((int)threadIdx.x >> 5)) * kCols;
    if (col0 >= n) return; /* the whole warp: shuffles below stay full-warp */
    const T *wr[kCols];
#pragma unroll
    for (int c = 0; c < kCols; c++) wr[c] = a.w + min(col0 + c, (int64_t)n - 1) * k; /* a last odd column repeats */
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
                load_x<T, VEC, kNorm>(a, stats, min(i, m - 1), kk, xf);
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
        for (int i = 0; i < M; i++) acc[c][i] = psamp::warp_sum(acc[c][i]);
    if (lane != 0) return;
#pragma unroll
    for (int c = 0; c < kCols; c++)
#pragma unroll
        for (int i = 0; i < M; i++) {
            if (i >= m || col0 + c >= n) continue;
            const int64_t at = (int64_t)i * n + col0 + c;
            if constexpr (kOut == PSAMP_GEMV_STORE) {
                static_cast<float *>(a.out)[at] = acc[c][i];
            } else if constexpr (kOut == PSAMP_GEMV_BIAS_RELU) {
                const float v = fmaxf(acc[c][i] + (a.bias ? a.bias[col0 + c] : 0.0f), 0.0f);
                static_cast<T *>(a.out)[at] = psamp::from_f32<T>(v);
            } else { /* residual: x + (y + bias) */
                float *x = static_cast<float *>(a.out);
                x[at] += acc[c][i] + (a.bias ? a.bias[col0 + c] : 0.0f);
            }
        }
}

template <typename T, int VEC, bool kNorm, int kOut>
cudaError_t launch_rows(const gemv_args<T> &a, cudaStream_t stream) {
    const unsigned blocks = (unsigned)psamp::ceil_div(a.n, kWarps * kCols);
    const size_t smem = kNorm ? 2 * PSAMP_GEMV_MAX_ROWS * sizeof(float) : 0;
    if (a.m == 1)
        PSAMP_LAUNCH(blocks, kThreads, smem, stream, gemv_kernel<T, VEC, 1, kNorm, kOut>)(a);
    else if (a.m == 2)
        PSAMP_LAUNCH(blocks, kThreads, smem, stream, gemv_kernel<T, VEC, 2, kNorm, kOut>)(a);
    else if (a.m <= 4)
        PSAMP_LAUNCH(blocks, kThreads, smem, stream, gemv_kernel<T, VEC, 4, kNorm, kOut>)(a);
    else
        PSAMP_LAUNCH(blocks, kThreads, smem, stream, gemv_kernel<T, VEC, 8, kNorm, kOut>)(a);
    return cudaGetLastError();
}

template <typename T, int VEC, bool kNorm>
cudaError_t launch_out(const gemv_args<T> &a, int out, cudaStream_t stream) {
    if (out == PSAMP_GEMV_BIAS_RELU) return launch_rows<T, VEC, kNorm, PSAMP_GEMV_BIAS_RELU>(a, stream);
    if (out == PSAMP_GEMV_RESIDUAL) return launch_rows<T, VEC, kNorm, PSAMP_GEMV_RESIDUAL>(a, stream);
    return launch_rows<T, VEC, kNorm, PSAMP_GEMV_STORE>(a, stream);
}

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

template <typename T>
cudaError_t launch(const gemv_args<T> &a, int out, cudaStream_t stream) {
    constexpr int vec = psamp::vec16<T>::n;
    const bool norm = a.gamma != nullptr;
    const bool vectors = a.k % vec == 0 && aligned16(a.x) && aligned16(a.w) &&
                         (!norm || (aligned16(a.gamma) && aligned16(a.beta)));
    if (norm)
        return vectors ? launch_out<T, vec, true>(a, out, stream) : launch_out<T, 1, true>(a, out, stream);
    return vectors ? launch_out<T, vec, false>(a, out, stream) : launch_out<T, 1, false>(a, out, stream);
}

} // namespace

extern "C" cudaError_t psamp_k_gemv_fused(const void *x, const void *w, void *out, int32_t m,
                                          int32_t n, int32_t k, const psamp_k_gemv_fusion *f,
                                          psamp_dtype dtype, cudaStream_t stream) {
    if (m <= 0 || n <= 0) return cudaSuccess;
    if (m > PSAMP_GEMV_MAX_ROWS || k <= 0 || !f || (f->gamma == nullptr) != (f->beta == nullptr) ||
        f->out < PSAMP_GEMV_STORE || f->out > PSAMP_GEMV_RESIDUAL)
        return cudaErrorInvalidValue;
    PSAMP_DISPATCH_DTYPE(dtype, T, {
        const gemv_args<T> a = {x, static_cast<const T *>(w), out, f->gamma, f->beta, f->bias,
                                f->eps, m, n, k};
        return launch<T>(a, f->out, stream);
    });
    return cudaSuccess;
}

extern "C" cudaError_t psamp_k_gemv(const void *x, const void *w, float *y, int32_t m, int32_t n,
                                    int32_t k, psamp_dtype dtype, cudaStream_t stream) {
    const psamp_k_gemv_fusion plain = {nullptr, nullptr, 0.0f, nullptr, PSAMP_GEMV_STORE};
    return psamp_k_gemv_fused(x, w, y, m, n, k, &plain, dtype, stream);
}
