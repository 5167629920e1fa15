/* Attention with warps per (row, head): the fast variant of attention.cu's split kernel
 * (same contract; A/B switch PSAMP_ATTN=warp|split, psamp_engine_cuda_set_variants).
 * Each row's query attends to positions 0..pos of its slot, its own KV already appended.
 * Layout: as attention.cu: q [rows, hidden] fp32 pre-scaled by head_dim^-0.5; caches of one
 * layer [n_slots][max_len][hidden] in dtype, head h at columns h*HD..; out [rows, hidden].
 *
 * Lanes work in groups of LPP = HD / VEC lanes (VEC = elements of one 16-byte load: 8 in
 * fp16/bf16, 4 in fp32); a group takes one position at a time, each lane holding VEC of the
 * head's dims, so one warp load instruction reads G = 32 / LPP whole positions (4 x 128 B
 * for HD 64 in fp16), fully coalesced. A group sums its dot products by shuffles and keeps
 * its own online softmax (running max m, sum l, weighted values in registers), in base 2
 * (q is scaled by log2 e once). Each loop iteration loads K and V of kUnroll positions per
 * group before using any, so 2 * kUnroll 16-byte loads per lane are in flight; there is no
 * barrier in the loop. At the end the G groups merge by shuffles, then the W warps that
 * share a (row, head) merge through shared memory after the block's one barrier.
 * Launch: blocks of kWarps warps, W in {1, 2, 4, 8} warps per (row, head) (consecutive
 * warps of a block; consecutive units are the heads of one row, adjacent in memory). W
 * splits a row's positions into W contiguous chunks (multiples of G * kUnroll); the launcher
 * picks W so that the grid holds about kTargetWarps warps. head_dim 16, 32, 64 or 128 with
 * 16-byte aligned buffers; anything else runs attention.cu's split kernels.
 * Fused KV append (psamp_k_attention_warp_append, a decode step: one row per slot): the
 * query, key and value come from the QKV projection's fp32 output plus its bias; the warps
 * read the cache's positions 0..pos-1 only, and the first warp of each (row, head) starts
 * its softmax state (before the loop) with position pos from the projection (rounded to
 * the dtype, as the cache will hold it) and writes it into the cache, so kv_append.cu's
 * launch and its pass over the projection go away. */
#include "common.cuh"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;
/* Blocks per SM: 4 (32 warps) caps registers at 64, room for the 8 loads in flight per
 * lane (without a bound ptxas picked 48 and spilled); sm_80's ptxas needs a few more, and
 * so does the fused append (sm_90 spilled ~36 bytes at 64): 3 blocks, 24 warps, still
 * 96 KB of loads in flight per SM against the ~32 KB the copy rate needs. */
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
constexpr int kMinBlocks = 3;
constexpr int kMinBlocksAppend = 3;
#else
constexpr int kMinBlocks = 4;
constexpr int kMinBlocksAppend = 3;
#endif
/* Enough warps for ~4 waves of a 132-SM card at 32 resident warps per SM, so the ragged
 * lengths of a batch even out; fewer (row, head) units get more warps each. */
constexpr int64_t kTargetWarps = 16384;
constexpr float kLog2e = 1.4426950408889634f;

/* Merges softmax state b into a (both base 2); m == -inf means no position seen yet. */
template <int N>
__device__ __forceinline__ void merge(float &m, float &l, float (&acc)[N], float m_b, float l_b,
                                      const float (&acc_b)[N]) {
    const float mx = fmaxf(m, m_b);
    if (mx == -INFINITY) return; /* both empty */
    const float sa = exp2f(m - mx), sb = exp2f(m_b - mx);
    l = l * sa + l_b * sb;
#pragma unroll
    for (int i = 0; i < N; i++) acc[i] = acc[i] * sa + acc_b[i] * sb;
    m = mx;
}

/* Positions of one loop iteration of a warp: G groups x kUnroll. */
template <typename T, int HD> constexpr int step_positions() {
    return 32 / (HD / psamp::vec16<T>::n) * kUnroll;
}

/* kAppend: q is the QKV projection [rows, 3 * hidden] (q | k | v) with bias [3 * hidden]
 * (nullable) still to add, and position pos is appended to the cache through k_store /
 * v_store (the caches themselves; never read at pos here). Else q is [rows, hidden] and
 * bias, k_store, v_store are unused. */
template <typename T, int HD, bool kAppend>
__global__ void __launch_bounds__(kThreads, kAppend ? kMinBlocksAppend : kMinBlocks)
    attention_warp_kernel(const float *__restrict__ q, const float *__restrict__ bias,
                          const T *__restrict__ k_cache, const T *__restrict__ v_cache,
                          T *k_store, T *v_store, T *__restrict__ out,
                          const psamp_k_row *__restrict__ rows, int32_t n_rows, int32_t n_heads,
                          int32_t max_len, int32_t warps_per_unit) {
    constexpr int VEC = psamp::vec16<T>::n;
    constexpr int LPP = HD / VEC; /* lanes per position */
    constexpr int G = 32 / LPP;   /* positions per warp load */
    constexpr int STEP = G * kUnroll;
    static_assert(HD % VEC == 0 && LPP >= 1 && LPP <= 32 && 32 % LPP == 0,
                  "a position's head slice must fill a power-of-two number of lanes");
    const int lane = (int)threadIdx.x & 31, warp = (int)threadIdx.x >> 5;
    const int group = lane / LPP, sub = lane % LPP;
    const int W = warps_per_unit;
    const int part = warp % W; /* this warp's chunk of the unit's positions */
    const int64_t unit = (int64_t)blockIdx.x * (kWarps / W) + warp / W;
    const bool live_unit = unit < (int64_t)n_rows * n_heads;
    const int64_t r = live_unit ? unit / n_heads : 0;
    const int32_t h = live_unit ? (int32_t)(unit % n_heads) : 0;
    const int32_t slot = live_unit ? rows[r].slot : -1;
    const int32_t pos = slot >= 0 ? rows[r].pos : 0;
    /* Positions read from the cache: 0..pos, or 0..pos-1 when pos comes from q's row. */
    const int32_t len = slot >= 0 ? pos + (kAppend ? 0 : 1) : 0;
    const int32_t hidden = n_heads * HD;
    const int64_t q_stride = kAppend ? 3 * (int64_t)hidden : hidden;
    const int32_t dim0 = h * HD + sub * VEC; /* this lane's first dim within the row */
    const int32_t chunk = (int32_t)(psamp::ceil_div(psamp::ceil_div(len, W), STEP) * STEP);
    const int32_t begin = part * chunk, end = min(len, begin + chunk);

    float qv[VEC], acc[VEC];
    const float *qr = q + r * q_stride + dim0;
#pragma unroll
    for (int i = 0; i < VEC; i++) {
        /* kv_append.cu's q: (q + bias) * 1 (the scale is in the weights), bit for bit */
        const float qi = kAppend && bias ? qr[i] + bias[dim0 + i] : qr[i];
        qv[i] = slot >= 0 ? qi * kLog2e : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;

    /* Fused append: position pos, from the projection, starts the softmax state of group 0
     * of the unit's first warp (the other groups compute the same score and drop it:
     * shuffles stay full-warp), and that group writes it into the cache. Before the loop
     * (and before the cache pointers exist), so its loads share the query's round trip and
     * nothing of it stays live in the loop. part and slot are warp-uniform. */
    if (kAppend && slot >= 0 && part == 0) {
        const float *kr = q + r * q_stride + hidden + dim0, *vr = kr + hidden;
        /* kv_append.cu's rounding: k + bias in fp32, then the dtype (kept packed: registers) */
        float kf[VEC], vf[VEC];
#pragma unroll
        for (int i = 0; i < VEC; i++) {
            kf[i] = bias ? kr[i] + bias[hidden + dim0 + i] : kr[i];
            vf[i] = bias ? vr[i] + bias[2 * hidden + dim0 + i] : vr[i];
        }
        const uint4 k_new = psamp::pack_f32<T>(kf), v_new = psamp::pack_f32<T>(vf);
        psamp::unpack_f32<T>(k_new, kf);
        float d = 0.0f;
#pragma unroll
        for (int i = 0; i < VEC; i++) d = fmaf(qv[i], kf[i], d);
#pragma unroll
        for (int o = LPP / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
        if (group == 0) { /* weight exp2(d - m) = 1 at m = d */
            m = d;
            l = 1.0f;
            psamp::unpack_f32<T>(v_new, acc);
            const int64_t at = ((int64_t)slot * max_len + pos) * hidden + dim0;
            psamp::store16(k_store + at, k_new);
            psamp::store16(v_store + at, v_new);
        }
    }

    /* This lane's slice of its group's first position; a group's next position is G
     * positions on, an iteration's next kUnroll * G. */
    const int64_t first = ((int64_t)max(slot, 0) * max_len + begin + group) * hidden +
                          (int64_t)h * HD + sub * VEC;
    const T *kp = k_cache + first, *vp = v_cache + first;
    const int32_t group_stride = G * hidden;

    /* begin/end are the same for the whole warp: every lane takes every shuffle. Positions
     * past end load position end - 1 instead (a line the warp reads anyway) and score
     * -inf, so the loads need no branch. */
    for (int32_t p0 = begin; p0 < end;
         p0 += STEP, kp += kUnroll * group_stride, vp += kUnroll * group_stride) {
        uint4 kr[kUnroll], vr[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; u++) {
            const int32_t p = p0 + u * G + group;
            const int32_t back = p < end ? 0 : (p - end + 1) * hidden; /* to position end - 1 */
            kr[u] = psamp::load16(kp + (u * group_stride - back));
            vr[u] = psamp::load16(vp + (u * group_stride - back));
        }
        float s[kUnroll];
        float s_max = -INFINITY;
#pragma unroll
        for (int u = 0; u < kUnroll; u++) {
            float kf[VEC];
            psamp::unpack_f32<T>(kr[u], kf);
            float d = 0.0f;
#pragma unroll
            for (int i = 0; i < VEC; i++) d = fmaf(qv[i], kf[i], d);
#pragma unroll
            for (int o = LPP / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
            s[u] = p0 + u * G + group < end ? d : -INFINITY;
            s_max = fmaxf(s_max, s[u]);
        }
        /* A group with no position yet keeps m = -inf: any finite reference then gives
         * weights 0 (no branch here, so the V loads are issued with the K loads). */
        const float mx = fmaxf(m, s_max);
        const float ref = mx == -INFINITY ? 0.0f : mx;
        const float scale = exp2f(m - ref);
        l *= scale;
#pragma unroll
        for (int i = 0; i < VEC; i++) acc[i] *= scale;
#pragma unroll
        for (int u = 0; u < kUnroll; u++) {
            const float w = exp2f(s[u] - ref); /* 0 for positions past end */
            float vf[VEC];
            psamp::unpack_f32<T>(vr[u], vf);
            l += w;
#pragma unroll
            for (int i = 0; i < VEC; i++) acc[i] = fmaf(w, vf[i], acc[i]);
        }
        m = mx;
    }

    /* The groups of the warp: lanes lane ^ o (o >= LPP) hold the same dims. */
#pragma unroll
    for (int o = LPP; o < 32; o <<= 1) {
        float acc_b[VEC];
#pragma unroll
        for (int i = 0; i < VEC; i++) acc_b[i] = __shfl_xor_sync(0xffffffffu, acc[i], o);
        const float m_b = __shfl_xor_sync(0xffffffffu, m, o);
        const float l_b = __shfl_xor_sync(0xffffffffu, l, o);
        merge(m, l, acc, m_b, l_b, acc_b);
    }

    /* The W warps of the unit: the first merges the others' states from shared memory. */
    if (W > 1) {
        float *state = psamp::dynamic_smem<float>(); /* [kWarps][HD + 2]: acc, m, l */
        float *mine = state + warp * (HD + 2);
        if (group == 0) {
#pragma unroll
            for (int i = 0; i < VEC; i++) mine[sub * VEC + i] = acc[i];
            if (sub == 0) {
                mine[HD] = m;
                mine[HD + 1] = l;
            }
        }
        __syncthreads();
        if (part == 0 && group == 0) {
            for (int w = 1; w < W; w++) {
                const float *other = state + (warp + w) * (HD + 2);
                float acc_b[VEC];
#pragma unroll
                for (int i = 0; i < VEC; i++) acc_b[i] = other[sub * VEC + i];
                merge(m, l, acc, other[HD], other[HD + 1], acc_b);
            }
        }
    }
    if (!live_unit || part != 0 || group != 0) return;
    /* A live row saw position 0 at least, so l >= 1; padding rows get zeros. */
    float o[VEC];
#pragma unroll
    for (int i = 0; i < VEC; i++) o[i] = slot >= 0 ? acc[i] / l : 0.0f;
    psamp::store16(out + r * hidden + dim0, psamp::pack_f32<T>(o));
}

template <typename T> constexpr int step_for(int head_dim) {
    return head_dim == 16    ? step_positions<T, 16>()
           : head_dim == 32  ? step_positions<T, 32>()
           : head_dim == 64  ? step_positions<T, 64>()
                             : step_positions<T, 128>();
}

bool warp_head_dim(int32_t head_dim) {
    return head_dim == 16 || head_dim == 32 || head_dim == 64 || head_dim == 128;
}

/* W: warps per (row, head) unit; doubles while the grid is short of kTargetWarps and a
 * warp would still get at least half an iteration of the longest row. */
int32_t pick_warps(int32_t n_rows, int32_t n_heads, int32_t max_len, int32_t step) {
    const int64_t units = (int64_t)n_rows * n_heads;
    int32_t w = 1;
    while (w < kWarps && units * w < kTargetWarps && (int64_t)max_len > (int64_t)w * step) w *= 2;
    return w;
}

/* The kernel's arguments besides the cache pointers' types. */
struct attention_args {
    const float *q, *bias;
    void *out;
    const psamp_k_row *rows;
    int32_t n_rows, n_heads, head_dim, max_len, warps;
    bool append;
};

template <typename T, int HD, bool kAppend>
cudaError_t launch_hd(const attention_args &a, const T *k, const T *v, cudaStream_t stream) {
    const int32_t w = a.warps;
    const unsigned blocks = (unsigned)psamp::ceil_div((int64_t)a.n_rows * a.n_heads, kWarps / w);
    const size_t smem = w > 1 ? (size_t)kWarps * (HD + 2) * sizeof(float) : 0;
    /* The caches double as the append's destination (kAppend only). */
    T *k_store = const_cast<T *>(k), *v_store = const_cast<T *>(v);
    PSAMP_LAUNCH(blocks, kThreads, smem, stream, attention_warp_kernel<T, HD, kAppend>)(
        a.q, a.bias, k, v, k_store, v_store, static_cast<T *>(a.out), a.rows, a.n_rows, a.n_heads,
        a.max_len, w);
    return cudaGetLastError();
}

template <typename T, int HD>
cudaError_t launch_mode(const attention_args &a, const T *k, const T *v, cudaStream_t stream) {
    return a.append ? launch_hd<T, HD, true>(a, k, v, stream)
                    : launch_hd<T, HD, false>(a, k, v, stream);
}

template <typename T>
cudaError_t launch(attention_args a, const T *k, const T *v, cudaStream_t stream) {
    if (a.warps == 0) a.warps = pick_warps(a.n_rows, a.n_heads, a.max_len, step_for<T>(a.head_dim));
    switch (a.head_dim) {
    case 16:
        return launch_mode<T, 16>(a, k, v, stream);
    case 32:
        return launch_mode<T, 32>(a, k, v, stream);
    case 64:
        return launch_mode<T, 64>(a, k, v, stream);
    default:
        return launch_mode<T, 128>(a, k, v, stream);
    }
}

bool valid_warps(int32_t w) { return w == 0 || w == 1 || w == 2 || w == 4 || w == kWarps; }

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

} // namespace

extern "C" int32_t psamp_attention_warps_per_row(int32_t n_rows, int32_t n_heads,
                                                 int32_t head_dim, int32_t max_len,
                                                 psamp_dtype dtype) {
    if (!warp_head_dim(head_dim) || n_rows <= 0 || n_heads <= 0) return 0;
    const int32_t step = dtype == PSAMP_F32 ? step_for<float>(head_dim) : step_for<__half>(head_dim);
    return pick_warps(n_rows, n_heads, max_len, step);
}

extern "C" cudaError_t psamp_k_attention_warp(const float *q, const void *k_cache,
                                              const void *v_cache, void *out, float *partial,
                                              const psamp_k_row *rows, int32_t n_rows,
                                              int32_t n_heads, int32_t head_dim, int32_t max_len,
                                              int32_t warps_per_row, psamp_dtype dtype,
                                              cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (!valid_warps(warps_per_row)) return cudaErrorInvalidValue;
    if (!warp_head_dim(head_dim) || !aligned16(k_cache) || !aligned16(v_cache) || !aligned16(out))
        return psamp_k_attention(q, k_cache, v_cache, out, partial, rows, n_rows, n_heads,
                                 head_dim, max_len, dtype, stream);
    if (n_heads <= 0 || max_len <= 0) return cudaErrorInvalidValue;
    const attention_args a = {q, nullptr, out, rows, n_rows, n_heads, head_dim, max_len,
                              warps_per_row, false};
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(a, static_cast<const T *>(k_cache),
                                          static_cast<const T *>(v_cache), stream));
    return cudaSuccess;
}

extern "C" cudaError_t psamp_k_attention_warp_append(const float *qkv, const float *bias,
                                                     float *q, void *k_cache, void *v_cache,
                                                     void *out, float *partial,
                                                     const psamp_k_row *rows, int32_t n_rows,
                                                     int32_t n_heads, int32_t head_dim,
                                                     int32_t max_len, int32_t warps_per_row,
                                                     psamp_dtype dtype, cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (!valid_warps(warps_per_row)) return cudaErrorInvalidValue;
    if (!warp_head_dim(head_dim) || !aligned16(k_cache) || !aligned16(v_cache) ||
        !aligned16(out)) {
        const cudaError_t rc = psamp_k_kv_append(qkv, bias, q, k_cache, v_cache, rows, n_rows,
                                                 n_heads * head_dim, max_len, 1.0f, dtype, stream);
        if (rc != cudaSuccess) return rc;
        return psamp_k_attention(q, k_cache, v_cache, out, partial, rows, n_rows, n_heads,
                                 head_dim, max_len, dtype, stream);
    }
    if (n_heads <= 0 || max_len <= 0) return cudaErrorInvalidValue;
    const attention_args a = {qkv, bias, out, rows, n_rows, n_heads, head_dim, max_len,
                              warps_per_row, true};
    PSAMP_DISPATCH_DTYPE(dtype, T,
                         return launch<T>(a, static_cast<const T *>(k_cache),
                                          static_cast<const T *>(v_cache), stream));
    return cudaSuccess;
}
