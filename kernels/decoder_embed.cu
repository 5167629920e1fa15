/* The decoders' token embedding (decoder_kernels.h): x[r] = table[token_r] widened to fp32
 * (the residual stream), zeros for padding rows. No position table: the decoders' positions
 * enter through the rotary embedding. Launch: one block per row, threads over the row. */
#include "common.cuh"
#include "decoder_kernels.h"

namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    embed_kernel(float *__restrict__ x, const psamp_k_row *__restrict__ rows,
                 const T *__restrict__ table, int32_t hidden) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    float *xr = x + r * hidden;
    const T *tr = table + (int64_t)(row.slot < 0 ? 0 : row.token) * hidden;
    for (int32_t i = (int32_t)threadIdx.x; i < hidden; i += kThreads)
        xr[i] = row.slot < 0 ? 0.0f : psamp::to_f32(tr[i]);
}

} // namespace

extern "C" cudaError_t psamp_k_decoder_embed(float *x, const psamp_k_row *rows, int32_t n_rows,
                                             const void *table, int32_t hidden, psamp_dtype dtype,
                                             cudaStream_t stream) {
    if (n_rows < 0 || hidden <= 0 || !x || !rows || !table) return cudaErrorInvalidValue;
    if (n_rows == 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T, {
        PSAMP_LAUNCH((unsigned)n_rows, kThreads, 0, stream, embed_kernel<T>)(
            x, rows, static_cast<const T *>(table), hidden);
        return cudaGetLastError();
    });
    return cudaSuccess;
}
