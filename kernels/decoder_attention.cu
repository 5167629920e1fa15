/* Grouped-query causal attention of the decoders (decoder_kernels.h), for decode steps and
 * prefill alike: each row's query heads over its slot's positions 0..pos.
 * One block per (row, KV head, chunk of at most kMaxGroup of that KV head's query heads):
 * the block reads each position's K and V of its KV head once and scores it against every
 * query head of the chunk, so with n_heads / n_kv_heads <= kMaxGroup (Qwen2.5-7B: 7,
 * Llama-3-8B: 4, Phi-3.5: 1) the KV cache is read once per row, not once per query head.
 * Inside a block: kWarps warps; a warp's lanes work in groups of LP lanes, one position per
 * group, each lane holding VEC = 16 / sizeof(T) of the head's dims (one 16-byte load of K
 * and one of V per position; lanes past head_dim idle when head_dim / VEC is no power of
 * two, e.g. Phi-3's 96). A warp step covers 32 / LP positions, the warps interleave steps.
 * Each group sums its dot products by shuffles and keeps an online softmax per query head
 * (running max m, sum l, weighted values in registers), in base 2 (q scaled by log2 e once).
 * Positions past the row's end load the last position (no branch around the loads) and
 * score -inf. At the end the groups of a warp merge by shuffles, the warps through shared
 * memory after the block's one barrier, and the block's threads write the heads' outputs. */
#include "common.cuh"
#include "decoder_kernels.h"

namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kMaxGroup = PSAMP_DECODER_MAX_GROUP;
constexpr float kLog2e = 1.4426950408889634f;

/* Online-softmax state b merged into a (base 2); m == -inf: nothing seen. */
template <int N>
__device__ __forceinline__ void merge(float &m, float &l, float (&acc)[N], float m_b, float l_b,
                                      const float (&acc_b)[N]) {
    const float mx = fmaxf(m, m_b);
    if (mx == -INFINITY) return;
    const float sa = exp2f(m - mx), sb = exp2f(m_b - mx);
    l = l * sa + l_b * sb;
#pragma unroll
    for (int i = 0; i < N; i++) acc[i] = acc[i] * sa + acc_b[i] * sb;
    m = mx;
}

/* Shared memory per (warp, head): m, l, then LP * VEC weighted values. */
template <typename T, int LP> struct smem_layout {
    static constexpr int head_stride = 2 + LP * psamp::vec16<T>::n;
    static constexpr size_t bytes = (size_t)kWarps * kMaxGroup * head_stride * sizeof(float);
};

template <typename T, int LP>
__global__ void __launch_bounds__(kThreads)
    gqa_attention_kernel(const float *__restrict__ q, const T *__restrict__ k_cache,
                         const T *__restrict__ v_cache, T *__restrict__ out,
                         const psamp_k_row *__restrict__ rows, int32_t n_heads, int32_t n_kv_heads,
                         int32_t head_dim, int32_t max_len, int32_t chunks) {
    constexpr int VEC = psamp::vec16<T>::n;
    constexpr int PPW = 32 / LP; /* positions per warp step */
    const int tid = (int)threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int grp = lane / LP, sub = lane % LP;
    const int64_t unit = blockIdx.x;
    const int32_t chunk = (int32_t)(unit % chunks);
    const int32_t kvh = (int32_t)((unit / chunks) % n_kv_heads);
    const int64_t r = unit / chunks / n_kv_heads;
    const int32_t group = n_heads / n_kv_heads;
    const int32_t h0 = kvh * group + chunk * kMaxGroup;
    const int32_t g = min(kMaxGroup, group - chunk * kMaxGroup); /* heads of this block */
    const int32_t q_dim = n_heads * head_dim, kv_dim = n_kv_heads * head_dim;
    const psamp_k_row row = rows[r];
    T *out_r = out + r * q_dim + (int64_t)h0 * head_dim;
    if (row.slot < 0) {
        for (int32_t e = tid; e < g * head_dim; e += kThreads) out_r[e] = psamp::from_f32<T>(0.0f);
        return; /* the whole block */
    }
    const int32_t n = row.pos + 1;
    const bool active = sub * VEC < head_dim;
    float qv[kMaxGroup][VEC], acc[kMaxGroup][VEC], m[kMaxGroup], l[kMaxGroup];
#pragma unroll
    for (int h = 0; h < kMaxGroup; h++) {
        m[h] = -INFINITY;
        l[h] = 0.0f;
#pragma unroll
        for (int i = 0; i < VEC; i++) {
            acc[h][i] = 0.0f;
            qv[h][i] = h < g && active ? q[r * q_dim + (int64_t)(h0 + h) * head_dim + sub * VEC + i] * kLog2e
                                       : 0.0f;
        }
    }
    const T *k_base = k_cache + (int64_t)row.slot * max_len * kv_dim + (int64_t)kvh * head_dim + sub * VEC;
    const T *v_base = v_cache + (int64_t)row.slot * max_len * kv_dim + (int64_t)kvh * head_dim + sub * VEC;
    const int32_t steps = (int32_t)psamp::ceil_div(n, kWarps * PPW);
    for (int32_t s = 0; s < steps; s++) {
        const int32_t p = (s * kWarps + warp) * PPW + grp;
        const bool valid = p < n;
        const int64_t at = (int64_t)(valid ? p : n - 1) * kv_dim;
        float kf[VEC], vf[VEC];
        if (active) {
            psamp::unpack_f32<T>(psamp::load16(k_base + at), kf);
            psamp::unpack_f32<T>(psamp::load16(v_base + at), vf);
        } else {
#pragma unroll
            for (int i = 0; i < VEC; i++) kf[i] = vf[i] = 0.0f;
        }
#pragma unroll
        for (int h = 0; h < kMaxGroup; h++) {
            if (h >= g) break; /* g is the block's: every lane stops together */
            float d = 0.0f;
#pragma unroll
            for (int i = 0; i < VEC; i++) d += qv[h][i] * kf[i];
#pragma unroll
            for (int o = LP / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
            const float sc = valid ? d : -INFINITY;
            const float mx = fmaxf(m[h], sc);
            if (mx == -INFINITY) continue;
            const float sa = exp2f(m[h] - mx), pw = exp2f(sc - mx);
            l[h] = l[h] * sa + pw;
#pragma unroll
            for (int i = 0; i < VEC; i++) acc[h][i] = acc[h][i] * sa + pw * vf[i];
            m[h] = mx;
        }
    }
    /* The warp's groups into group 0 (lanes 0..LP-1), by shuffles. */
#pragma unroll
    for (int o = 16; o >= LP; o >>= 1) {
#pragma unroll
        for (int h = 0; h < kMaxGroup; h++) {
            if (h >= g) break;
            float acc_b[VEC];
#pragma unroll
            for (int i = 0; i < VEC; i++) acc_b[i] = __shfl_xor_sync(0xffffffffu, acc[h][i], o);
            const float m_b = __shfl_xor_sync(0xffffffffu, m[h], o);
            const float l_b = __shfl_xor_sync(0xffffffffu, l[h], o);
            merge<VEC>(m[h], l[h], acc[h], m_b, l_b, acc_b);
        }
    }
    constexpr int S = smem_layout<T, LP>::head_stride;
    float *smem = psamp::dynamic_smem<float>();
    if (grp == 0) {
        for (int h = 0; h < g; h++) {
            float *slot = smem + (warp * kMaxGroup + h) * S;
            if (sub == 0) {
                slot[0] = m[h];
                slot[1] = l[h];
            }
#pragma unroll
            for (int i = 0; i < VEC; i++) slot[2 + sub * VEC + i] = acc[h][i];
        }
    }
    __syncthreads();
    for (int32_t e = tid; e < g * head_dim; e += kThreads) {
        const int32_t h = e / head_dim, d = e % head_dim;
        float mx = -INFINITY;
        for (int w = 0; w < kWarps; w++) mx = fmaxf(mx, smem[(w * kMaxGroup + h) * S]);
        float sum = 0.0f, val = 0.0f;
        for (int w = 0; w < kWarps; w++) {
            const float *slot = smem + (w * kMaxGroup + h) * S;
            if (slot[0] == -INFINITY) continue; /* a warp that saw no position */
            const float sc = exp2f(slot[0] - mx);
            sum += slot[1] * sc;
            val += slot[2 + d] * sc;
        }
        out_r[e] = psamp::from_f32<T>(val / sum);
    }
}

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

template <typename T, int LP>
cudaError_t launch_lp(const float *q, const T *k, const T *v, T *out, const psamp_k_row *rows,
                      int32_t n_rows, int32_t n_heads, int32_t n_kv_heads, int32_t head_dim,
                      int32_t max_len, cudaStream_t stream) {
    const int32_t chunks = (int32_t)psamp::ceil_div(n_heads / n_kv_heads, kMaxGroup);
    const int64_t blocks = (int64_t)n_rows * n_kv_heads * chunks;
    if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
    const size_t smem = smem_layout<T, LP>::bytes;
    PSAMP_LAUNCH((unsigned)blocks, kThreads, smem, stream, gqa_attention_kernel<T, LP>)(
        q, k, v, out, rows, n_heads, n_kv_heads, head_dim, max_len, chunks);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch(const float *q, const void *k, const void *v, void *out, const psamp_k_row *rows,
                   int32_t n_rows, int32_t n_heads, int32_t n_kv_heads, int32_t head_dim,
                   int32_t max_len, cudaStream_t stream) {
    constexpr int VEC = psamp::vec16<T>::n;
    if (head_dim % VEC != 0) return cudaErrorInvalidValue;
    const int32_t pieces = head_dim / VEC;
    const T *kc = static_cast<const T *>(k), *vc = static_cast<const T *>(v);
    T *o = static_cast<T *>(out);
    if (pieces <= 4) return launch_lp<T, 4>(q, kc, vc, o, rows, n_rows, n_heads, n_kv_heads, head_dim, max_len, stream);
    if (pieces <= 8) return launch_lp<T, 8>(q, kc, vc, o, rows, n_rows, n_heads, n_kv_heads, head_dim, max_len, stream);
    if (pieces <= 16) return launch_lp<T, 16>(q, kc, vc, o, rows, n_rows, n_heads, n_kv_heads, head_dim, max_len, stream);
    if (pieces <= 32) return launch_lp<T, 32>(q, kc, vc, o, rows, n_rows, n_heads, n_kv_heads, head_dim, max_len, stream);
    return cudaErrorInvalidValue;
}

} // namespace

extern "C" cudaError_t psamp_k_decoder_attention(const float *q, const void *k_cache,
                                                 const void *v_cache, void *out,
                                                 const psamp_k_row *rows, int32_t n_rows,
                                                 int32_t n_heads, int32_t n_kv_heads,
                                                 int32_t head_dim, int32_t max_len,
                                                 psamp_dtype dtype, cudaStream_t stream) {
    if (n_rows < 0 || n_heads <= 0 || n_kv_heads <= 0 || n_heads % n_kv_heads != 0 ||
        head_dim <= 0 || max_len <= 0 || !q || !k_cache || !v_cache || !out || !rows ||
        !aligned16(k_cache) || !aligned16(v_cache))
        return cudaErrorInvalidValue;
    if (n_rows == 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(q, k_cache, v_cache, out, rows, n_rows, n_heads,
                                          n_kv_heads, head_dim, max_len, stream));
    return cudaSuccess;
}
