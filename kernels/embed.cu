/* Token + learned position embedding of OPT (positions offset by 2).
 * Layout: tables [*, dim] row-major in the model dtype; x [rows, hidden] fp32 (the residual
 * stream), x_t its dtype copy (GEMM input), in [rows, hidden] fp32 (project_in's output).
 * Launch: one block of 128 threads per row, threads striding over the row. */
#include "common.cuh"

namespace {

constexpr int kThreads = 128;

template <typename T>
__global__ void embed_kernel(float *__restrict__ x, T *__restrict__ x_t,
                             const psamp_k_row *__restrict__ rows,
                             const T *__restrict__ tok_table, const float *__restrict__ in,
                             const T *__restrict__ pos_table, int32_t hidden) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    float *xr = x + r * hidden;
    T *xtr = x_t ? x_t + r * hidden : nullptr;
    const bool live = row.slot >= 0;
    const T *tok = live && tok_table ? tok_table + (int64_t)row.token * hidden : nullptr;
    const float *inr = in ? in + r * hidden : nullptr; /* read when tok_table is NULL */
    const T *pos = live ? pos_table + ((int64_t)row.pos + 2) * hidden : nullptr;
    for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) {
        float v = 0.0f;
        if (live) v = (tok ? psamp::to_f32(tok[i]) : inr[i]) + psamp::to_f32(pos[i]);
        xr[i] = v;
        if (xtr) xtr[i] = psamp::from_f32<T>(v);
    }
}

template <typename T>
__global__ void gather_kernel(T *__restrict__ out, const psamp_k_row *__restrict__ rows,
                              const T *__restrict__ tok_table, int32_t dim) {
    const int64_t r = blockIdx.x;
    const psamp_k_row row = rows[r];
    T *o = out + r * dim;
    const T *tok = row.slot >= 0 ? tok_table + (int64_t)row.token * dim : nullptr;
    for (int32_t i = threadIdx.x; i < dim; i += blockDim.x)
        o[i] = tok ? tok[i] : psamp::from_f32<T>(0.0f);
}

} // namespace

extern "C" cudaError_t psamp_k_embed(float *x, void *x_t, const psamp_k_row *rows,
                                     int32_t n_rows, const void *tok_table, const float *in,
                                     const void *pos_table, int32_t hidden, psamp_dtype dtype,
                                     cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (!tok_table && !in) return cudaErrorInvalidValue;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         embed_kernel<T><<<n_rows, kThreads, 0, stream>>>(
                             x, static_cast<T *>(x_t), rows, static_cast<const T *>(tok_table),
                             in, static_cast<const T *>(pos_table), hidden));
    return cudaGetLastError();
}

extern "C" cudaError_t psamp_k_embed_gather(void *out, const psamp_k_row *rows,
                                            int32_t n_rows, const void *tok_table,
                                            int32_t dim, psamp_dtype dtype,
                                            cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         gather_kernel<T><<<n_rows, kThreads, 0, stream>>>(
                             static_cast<T *>(out), rows, static_cast<const T *>(tok_table),
                             dim));
    return cudaGetLastError();
}
