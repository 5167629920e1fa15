/* Causal attention over a slot's KV cache, split over the sequence (flash-decoding).
 * Each row (a token: one per slot when decoding, many of one slot when prefilling) attends
 * with its query to positions 0..pos of its slot, its own KV already appended.
 * Layout: q [rows, hidden] fp32, pre-scaled by head_dim^-0.5; caches of one layer
 * [n_slots][max_len][hidden] in dtype, head h at columns h*head_dim..; out [rows, hidden]
 * dtype; partial: per (row, head, split) head_dim outputs, then per (row, head, split) the
 * running max m and sum l of the softmax.
 * Launch: partial pass grid (rows, heads, ceil(max_len / CHUNK)), CHUNK = 128 threads, one
 * key per thread for the scores, then groups of threads sweep the values with 16-byte
 * loads; splits past a row's length exit at once. Combine pass grid (rows, heads), 128
 * threads, one output dimension per thread. */
#include <cub/block/block_reduce.cuh>
#include <cuda/functional>

#include "common.cuh"

namespace {

constexpr int kChunk = PSAMP_ATTN_CHUNK;
constexpr int kMaxDim = PSAMP_ATTN_MAX_HEAD_DIM;
static_assert(kMaxDim <= kChunk, "the combine pass has one thread per output dimension");

struct partial_view {
    float *o;  /* [rows * heads * n_split][head_dim] */
    float *ml; /* [rows * heads * n_split][2] */
};

__host__ __device__ inline partial_view partial_split(float *partial, int64_t n_rows,
                                                      int32_t n_heads, int32_t head_dim,
                                                      int32_t n_split) {
    const int64_t units = n_rows * n_heads * n_split;
    return partial_view{partial, partial + units * head_dim};
}

/* VEC: elements per vector load (16 bytes, or 1 when head_dim is not a multiple of it).
 * HD: head_dim known at compile time (0: read from the argument), so that a thread's key
 * loads unroll and are all in flight at once. */
template <typename T, int VEC, int HD>
__global__ void __launch_bounds__(kChunk)
    attention_partial_kernel(const float *__restrict__ q, const T *__restrict__ k_cache,
                             const T *__restrict__ v_cache, partial_view part,
                             const psamp_k_row *__restrict__ rows, int32_t n_heads,
                             int32_t head_dim, int32_t max_len, int32_t n_split) {
    const int64_t r = blockIdx.x;
    const int32_t h = blockIdx.y, s = blockIdx.z;
    const int32_t slot = rows[r].slot;
    if (slot < 0) return;
    const int32_t kv_len = rows[r].pos + 1;
    const int32_t start = s * kChunk;
    if (start >= kv_len) return; /* the combine pass reads only the splits that ran */
    const int32_t n = min(kv_len - start, kChunk);
    if (HD) head_dim = HD; /* the launcher picks HD only when it equals the argument */
    const int32_t hidden = n_heads * head_dim;
    const int t = threadIdx.x;

    __shared__ float q_s[kMaxDim];
    __shared__ float p_s[kChunk];
    __shared__ float red_s[kChunk * VEC];
    __shared__ float max_s;
    using block_reduce = cub::BlockReduce<float, kChunk>;
    __shared__ typename block_reduce::TempStorage reduce_tmp;

    for (int i = t; i < head_dim; i += kChunk) q_s[i] = q[r * hidden + (int64_t)h * head_dim + i];
    __syncthreads();

    /* Positions start.. of this slot and head. */
    const int64_t base = ((int64_t)slot * max_len + start) * hidden + (int64_t)h * head_dim;

    /* Scores: thread t takes key start + t. */
    float score = -INFINITY;
    if (t < n) {
        const T *key = k_cache + base + (int64_t)t * hidden;
        float acc = 0.0f;
#pragma unroll
        for (int c = 0; c < (HD ? HD : head_dim); c += VEC) {
            float kv[VEC];
            psamp::load_f32<T, VEC>(key + c, kv);
#pragma unroll
            for (int i = 0; i < VEC; i++) acc = fmaf(q_s[c + i], kv[i], acc);
        }
        score = acc;
    }
    const float m_block = block_reduce(reduce_tmp).Reduce(score, cuda::maximum<>{});
    if (t == 0) max_s = m_block;
    __syncthreads();
    const float m = max_s;
    const float p = t < n ? expf(score - m) : 0.0f;
    p_s[t] = p;
    __syncthreads();
    const float l = block_reduce(reduce_tmp).Reduce(p, cuda::std::plus<>{});

    /* Values: thread t handles dimension vector c of every ng-th key from g. */
    const int cv = head_dim / VEC;
    const int ng = kChunk / cv;
    const int c = t % cv, g = t / cv;
    if (g < ng) {
        float acc[VEC];
#pragma unroll
        for (int i = 0; i < VEC; i++) acc[i] = 0.0f;
#pragma unroll 4
        for (int j = g; j < n; j += ng) {
            float vv[VEC];
            psamp::load_f32<T, VEC>(v_cache + base + (int64_t)j * hidden + c * VEC, vv);
            const float pj = p_s[j];
#pragma unroll
            for (int i = 0; i < VEC; i++) acc[i] = fmaf(pj, vv[i], acc[i]);
        }
#pragma unroll
        for (int i = 0; i < VEC; i++) red_s[g * head_dim + c * VEC + i] = acc[i];
    }
    __syncthreads();
    const int64_t unit = (r * n_heads + h) * n_split + s;
    for (int i = t; i < head_dim; i += kChunk) {
        float o = 0.0f;
        for (int gg = 0; gg < ng; gg++) o += red_s[gg * head_dim + i];
        part.o[unit * head_dim + i] = o;
    }
    if (t == 0) {
        part.ml[unit * 2] = m;
        part.ml[unit * 2 + 1] = l;
    }
}

template <typename T>
__global__ void __launch_bounds__(kMaxDim)
    attention_combine_kernel(partial_view part, T *__restrict__ out,
                             const psamp_k_row *__restrict__ rows, int32_t n_heads,
                             int32_t head_dim, int32_t n_split) {
    const int64_t r = blockIdx.x;
    const int32_t h = blockIdx.y;
    const int t = threadIdx.x;
    if (t >= head_dim) return;
    const int32_t slot = rows[r].slot;
    T *o = out + r * (int64_t)n_heads * head_dim + (int64_t)h * head_dim;
    if (slot < 0) {
        o[t] = psamp::from_f32<T>(0.0f);
        return;
    }
    const int32_t used = (int32_t)psamp::ceil_div(rows[r].pos + 1, kChunk);
    const int64_t unit0 = (r * n_heads + h) * n_split;
    float m = -INFINITY;
    for (int32_t s = 0; s < used; s++) m = fmaxf(m, part.ml[(unit0 + s) * 2]);
    float l = 0.0f, acc = 0.0f;
    for (int32_t s = 0; s < used; s++) {
        const float w = expf(part.ml[(unit0 + s) * 2] - m);
        l += w * part.ml[(unit0 + s) * 2 + 1];
        acc += w * part.o[(unit0 + s) * head_dim + t];
    }
    o[t] = psamp::from_f32<T>(acc / l);
}

template <typename T>
cudaError_t launch(const float *q, const T *k_cache, const T *v_cache, T *out, float *partial,
                   const psamp_k_row *rows, int32_t n_rows, int32_t n_heads, int32_t head_dim,
                   int32_t max_len, cudaStream_t stream) {
    const int32_t n_split = (int32_t)psamp::ceil_div(max_len, kChunk);
    const partial_view part = partial_split(partial, n_rows, n_heads, head_dim, n_split);
    const dim3 grid((unsigned)n_rows, (unsigned)n_heads, (unsigned)n_split);
    constexpr int vec = psamp::vec16<T>::n;
    const bool aligned = head_dim % vec == 0 && (uintptr_t)k_cache % 16 == 0 &&
                         (uintptr_t)v_cache % 16 == 0;
    if (aligned && head_dim == 64) /* every OPT size */
        attention_partial_kernel<T, vec, 64><<<grid, kChunk, 0, stream>>>(
            q, k_cache, v_cache, part, rows, n_heads, head_dim, max_len, n_split);
    else if (aligned)
        attention_partial_kernel<T, vec, 0><<<grid, kChunk, 0, stream>>>(
            q, k_cache, v_cache, part, rows, n_heads, head_dim, max_len, n_split);
    else
        attention_partial_kernel<T, 1, 0><<<grid, kChunk, 0, stream>>>(
            q, k_cache, v_cache, part, rows, n_heads, head_dim, max_len, n_split);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    attention_combine_kernel<T><<<dim3((unsigned)n_rows, (unsigned)n_heads), kMaxDim, 0, stream>>>(
        part, out, rows, n_heads, head_dim, n_split);
    return cudaGetLastError();
}

} // namespace

extern "C" size_t psamp_attention_partial_floats(int32_t n_rows, int32_t n_heads,
                                                 int32_t head_dim, int32_t max_len) {
    const int64_t n_split = psamp::ceil_div(max_len, kChunk);
    return (size_t)n_rows * (size_t)n_heads * (size_t)n_split * (size_t)(head_dim + 2);
}

extern "C" cudaError_t psamp_k_attention(const float *q, const void *k_cache,
                                         const void *v_cache, void *out, float *partial,
                                         const psamp_k_row *rows, int32_t n_rows,
                                         int32_t n_heads, int32_t head_dim, int32_t max_len,
                                         psamp_dtype dtype, cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (head_dim <= 0 || head_dim > kMaxDim || n_heads <= 0 || n_heads > 65535 ||
        psamp::ceil_div(max_len, kChunk) > 65535)
        return cudaErrorInvalidValue;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(q, static_cast<const T *>(k_cache),
                                          static_cast<const T *>(v_cache), static_cast<T *>(out),
                                          partial, rows, n_rows, n_heads, head_dim, max_len,
                                          stream));
    return cudaSuccess;
}
