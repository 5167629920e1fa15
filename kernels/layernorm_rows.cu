/* Layer norm with each row held in registers: psamp_k_layernorm's contract (layernorm.cu;
 * A/B switch PSAMP_NORM=rows|loop), reading x and y once per row instead of in three strided
 * passes of scalar loads.
 *   x += y + bias (when y is given), then out = (x - mean) / sqrt(var + eps) * gamma + beta.
 * Layout: as layernorm.cu (x, y, out_f32 [rows, n] fp32; out_t [rows, n] dtype; bias,
 * gamma, beta [n] fp32 or NULL; out_f32 may alias x).
 * Launch: blocks of 4 warps, one warp per row. Lane l holds the 8 consecutive elements
 * starting at (c * 32 + l) * 8 for c < C = ceil(n / 256) (C <= 4: n <= 1024): two 16-byte
 * loads each of x, y, bias, gamma and beta per c, all issued before the first use, so a
 * row costs one memory round trip; mean, then the variance about it, from registers.
 * n % 8 == 0 and 16-byte aligned buffers, else layernorm.cu's kernel runs instead. */
#include "common.cuh"

namespace {

constexpr int kWarps = 4;
constexpr int kPerLane = 8;               /* consecutive elements per lane and chunk */
constexpr int kRowChunk = 32 * kPerLane;  /* elements of one chunk across the warp */
constexpr int kMaxChunks = 4;

/* 8 floats at p (16-byte aligned) into v. */
__device__ __forceinline__ void load8(const float *p, float (&v)[kPerLane]) {
    float a[4], b[4];
    psamp::unpack_f32<float>(psamp::load16(p), a);
    psamp::unpack_f32<float>(psamp::load16(p + 4), b);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        v[i] = a[i];
        v[4 + i] = b[i];
    }
}

__device__ __forceinline__ void store8(float *p, const float (&v)[kPerLane]) {
    float a[4], b[4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        a[i] = v[i];
        b[i] = v[4 + i];
    }
    psamp::store16(p, psamp::pack_f32<float>(a));
    psamp::store16(p + 4, psamp::pack_f32<float>(b));
}

/* 8 values into dtype T at p, in 16-byte stores. */
template <typename T>
__device__ __forceinline__ void store8_t(T *p, const float (&v)[kPerLane]) {
    constexpr int V = psamp::vec16<T>::n;
#pragma unroll
    for (int s = 0; s < kPerLane; s += V) {
        float part[V];
#pragma unroll
        for (int i = 0; i < V; i++) part[i] = v[s + i];
        psamp::store16(p + s, psamp::pack_f32<T>(part));
    }
}

template <typename T, int C>
__global__ void __launch_bounds__(kWarps * 32)
    layernorm_rows_kernel(float *x, const float *__restrict__ y, const float *__restrict__ bias,
                          const float *__restrict__ gamma, const float *__restrict__ beta,
                          float *out_f32, T *__restrict__ out_t, int32_t rows, int32_t n,
                          float eps) {
    const int lane = (int)threadIdx.x & 31;
    const int64_t r = (int64_t)blockIdx.x * kWarps + ((int)threadIdx.x >> 5);
    if (r >= rows) return; /* the whole warp: its shuffles stay full-warp */
    float *xr = x + r * n;
    const float *yr = y ? y + r * n : nullptr;
    float v[C][kPerLane], add[C][kPerLane];
    /* Every load first: x, then y and the bias (one round trip for the row). */
#pragma unroll
    for (int c = 0; c < C; c++) {
        const int32_t e0 = (c * 32 + lane) * kPerLane;
#pragma unroll
        for (int i = 0; i < kPerLane; i++) v[c][i] = add[c][i] = 0.0f;
        if (e0 < n) {
            load8(xr + e0, v[c]);
            if (yr) {
                load8(yr + e0, add[c]);
                if (bias) {
                    float b[kPerLane];
                    load8(bias + e0, b);
#pragma unroll
                    for (int i = 0; i < kPerLane; i++) add[c][i] += b[i];
                }
            }
        }
    }
    float s = 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++) {
        const int32_t e0 = (c * 32 + lane) * kPerLane;
#pragma unroll
        for (int i = 0; i < kPerLane; i++) {
            v[c][i] += add[c][i]; /* x + (y + bias), layernorm.cu's order */
            s += v[c][i];         /* elements past n are 0 */
        }
        if (yr && e0 < n) store8(xr + e0, v[c]); /* the residual stream keeps the sum */
    }
    const float mean = psamp::warp_sum(s) / (float)n;
    float ss = 0.0f;
#pragma unroll
    for (int c = 0; c < C; c++) {
        const bool live = (c * 32 + lane) * kPerLane < n;
#pragma unroll
        for (int i = 0; i < kPerLane; i++) {
            const float d = live ? v[c][i] - mean : 0.0f;
            ss += d * d;
        }
    }
    const float rstd = rsqrtf(psamp::warp_sum(ss) / (float)n + eps);
#pragma unroll
    for (int c = 0; c < C; c++) {
        const int32_t e0 = (c * 32 + lane) * kPerLane;
        if (e0 >= n) continue;
        float o[kPerLane];
#pragma unroll
        for (int i = 0; i < kPerLane; i++) o[i] = (v[c][i] - mean) * rstd;
        if (gamma) {
            float g[kPerLane], b[kPerLane];
            load8(gamma + e0, g);
            load8(beta + e0, b);
#pragma unroll
            for (int i = 0; i < kPerLane; i++) o[i] = o[i] * g[i] + b[i];
        }
        if (out_t) store8_t<T>(out_t + r * n + e0, o);
        if (out_f32) store8(out_f32 + r * n + e0, o);
    }
}

template <typename T>
cudaError_t launch(float *x, const float *y, const float *bias, const float *gamma,
                   const float *beta, float *out_f32, T *out_t, int32_t rows, int32_t n,
                   float eps, int chunks, cudaStream_t stream) {
    const unsigned blocks = (unsigned)psamp::ceil_div(rows, kWarps);
    switch (chunks) {
    case 1:
        PSAMP_LAUNCH(blocks, kWarps * 32, 0, stream, layernorm_rows_kernel<T, 1>)(
            x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps);
        break;
    case 2:
        PSAMP_LAUNCH(blocks, kWarps * 32, 0, stream, layernorm_rows_kernel<T, 2>)(
            x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps);
        break;
    case 3:
        PSAMP_LAUNCH(blocks, kWarps * 32, 0, stream, layernorm_rows_kernel<T, 3>)(
            x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps);
        break;
    default:
        PSAMP_LAUNCH(blocks, kWarps * 32, 0, stream, layernorm_rows_kernel<T, kMaxChunks>)(
            x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps);
        break;
    }
    return cudaGetLastError();
}

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

} // namespace

extern "C" cudaError_t psamp_k_layernorm_rows(float *x, const float *y, const float *bias,
                                              const float *gamma, const float *beta,
                                              float *out_f32, void *out_t, int32_t rows,
                                              int32_t n, float eps, psamp_dtype dtype,
                                              cudaStream_t stream) {
    if (rows <= 0) return cudaSuccess;
    if ((gamma == nullptr) != (beta == nullptr)) return cudaErrorInvalidValue;
    const int64_t chunks = n > 0 ? psamp::ceil_div(n, kRowChunk) : 0;
    if (n <= 0 || n % kPerLane != 0 || chunks > kMaxChunks || !aligned16(x) || !aligned16(y) ||
        !aligned16(bias) || !aligned16(gamma) || !aligned16(beta) || !aligned16(out_f32) ||
        !aligned16(out_t))
        return psamp_k_layernorm(x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps, dtype,
                                 stream);
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(x, y, bias, gamma, beta, out_f32, static_cast<T *>(out_t),
                                          rows, n, eps, (int)chunks, stream));
    return cudaSuccess;
}
