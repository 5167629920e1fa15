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
 * launch and its pass over the projection go away.
 * fp8 cache (kernels.h psamp_k_kv_fp8; S = uint8_t, T the output's dtype): the same kernel
 * with VEC = 16 bytes per lane and each position's K and V scale for the head loaded beside
 * its bytes; a score is the dot product with the decoded bytes times the K scale, a value's
 * weight is multiplied by the V scale. The fused append finds the head's max |x| by shuffles
 * within the group and stores bytes and scales as kv_append.cu does. */
#include "common.cuh"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;
/* Positions per group per iteration for cache element S: kUnroll, but 2 for fp8, whose lanes
 * hold 16 dims each (registers for 4 would spill under the launch bounds; the warp still
 * covers as many positions per iteration, G being twice as large). */
template <typename S> __host__ __device__ constexpr int unroll_of() {
    return sizeof(S) == 1 ? 2 : kUnroll;
}
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
/* fp8 (16 dims per lane, their decode, the scales) spilled 36-52 bytes under 4 blocks on
 * sm_90 and takes up to 111 registers without spills under 2: 16 warps, 32 KB of loads in
 * flight per SM (4 x 16 B per lane). Not yet timed on a GPU. */
constexpr int kMinBlocksFp8 = 2;
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

/* Positions of one loop iteration of a warp: G groups x kUnroll (S: a cache element). */
template <typename S, int HD> constexpr int step_positions() {
    return 32 / (HD / psamp::vec16<S>::n) * unroll_of<S>();
}

/* A 16-byte vector of cache elements as fp32: S is the model dtype, or an fp8 byte (then
 * still to be multiplied by the position's scale). */
template <typename S>
__device__ __forceinline__ void unpack_kv(uint4 raw, float (&out)[psamp::vec16<S>::n]) {
    if constexpr (sizeof(S) == 1)
        psamp::fp8_unpack(raw, out);
    else
        psamp::unpack_f32<S>(raw, out);
}

/* The fp8 scales of one layer (unused otherwise). */
struct kv_scales {
    const float *k, *v; /* read */
    float *k_store, *v_store; /* the fused append's destination (the same arrays) */
};

/* kAppend: q is the QKV projection [rows, 3 * hidden] (q | k | v) with bias [3 * hidden]
 * (nullable) still to add, and position pos is appended to the cache through k_store /
 * v_store (the caches themselves; never read at pos here). Else q is [rows, hidden] and
 * bias, k_store, v_store are unused. T: out's dtype; S: a cache element (T, or uint8_t for
 * fp8 with its scales in sc). */
template <typename T, typename S, int HD, bool kAppend>
__global__ void __launch_bounds__(kThreads, sizeof(S) == 1 ? kMinBlocksFp8
                                           : kAppend      ? kMinBlocksAppend
                                                          : kMinBlocks)
    attention_warp_kernel(const float *__restrict__ q, const float *__restrict__ bias,
                          const S *__restrict__ k_cache, const S *__restrict__ v_cache,
                          S *k_store, S *v_store, kv_scales sc, T *__restrict__ out,
                          const psamp_k_row *__restrict__ rows, int32_t n_rows, int32_t n_heads,
                          int32_t max_len, int32_t warps_per_unit) {
    constexpr bool kFp8 = sizeof(S) == 1;
    constexpr int VEC = psamp::vec16<S>::n;
    constexpr int LPP = HD / VEC; /* lanes per position */
    constexpr int G = 32 / LPP;   /* positions per warp load */
    constexpr int UNROLL = unroll_of<S>();
    constexpr int STEP = G * UNROLL;
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
        uint4 k_new, v_new;
        float ks = 1.0f, vs = 1.0f;
        if constexpr (kFp8) { /* the head's max |x|: its LPP lanes are this group */
            float k_max = 0.0f, v_max = 0.0f;
#pragma unroll
            for (int i = 0; i < VEC; i++) {
                k_max = fmaxf(k_max, fabsf(kf[i]));
                v_max = fmaxf(v_max, fabsf(vf[i]));
            }
#pragma unroll
            for (int o = LPP / 2; o > 0; o >>= 1) {
                k_max = fmaxf(k_max, __shfl_xor_sync(0xffffffffu, k_max, o));
                v_max = fmaxf(v_max, __shfl_xor_sync(0xffffffffu, v_max, o));
            }
            ks = psamp::fp8_scale(k_max);
            vs = psamp::fp8_scale(v_max);
            k_new = psamp::fp8_pack(kf, ks);
            v_new = psamp::fp8_pack(vf, vs);
        } else {
            k_new = psamp::pack_f32<S>(kf);
            v_new = psamp::pack_f32<S>(vf);
        }
        unpack_kv<S>(k_new, kf);
        float d = 0.0f;
#pragma unroll
        for (int i = 0; i < VEC; i++) d = fmaf(qv[i], kf[i], d);
#pragma unroll
        for (int o = LPP / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
        if constexpr (kFp8) d *= ks;
        if (group == 0) { /* weight exp2(d - m) = 1 at m = d */
            m = d;
            l = 1.0f;
            unpack_kv<S>(v_new, acc);
            if constexpr (kFp8) {
#pragma unroll
                for (int i = 0; i < VEC; i++) acc[i] *= vs;
            }
            const int64_t at = ((int64_t)slot * max_len + pos) * hidden + dim0;
            psamp::store16(k_store + at, k_new);
            psamp::store16(v_store + at, v_new);
            if (kFp8 && sub == 0) {
                const int64_t at_s = ((int64_t)slot * max_len + pos) * n_heads + h;
                sc.k_store[at_s] = ks;
                sc.v_store[at_s] = vs;
            }
        }
    }

    /* This lane's slice of its group's first position; a group's next position is G
     * positions on, an iteration's next UNROLL * G. */
    const int64_t first = ((int64_t)max(slot, 0) * max_len + begin + group) * hidden +
                          (int64_t)h * HD + sub * VEC;
    const S *kp = k_cache + first, *vp = v_cache + first;
    const int32_t group_stride = G * hidden;
    /* fp8: this group's first position's scales, a group's next G positions on */
    const int64_t first_s = ((int64_t)max(slot, 0) * max_len + begin + group) * n_heads + h;
    const float *ksp = kFp8 ? sc.k + first_s : nullptr, *vsp = kFp8 ? sc.v + first_s : nullptr;
    const int32_t group_stride_s = G * n_heads;

    /* begin/end are the same for the whole warp: every lane takes every shuffle. Positions
     * past end load position end - 1 instead (a line the warp reads anyway) and score
     * -inf, so the loads need no branch. */
    for (int32_t p0 = begin; p0 < end;
         p0 += STEP, kp += UNROLL * group_stride, vp += UNROLL * group_stride) {
        uint4 kr[UNROLL], vr[UNROLL];
        float ksc[UNROLL], vsc[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            const int32_t p = p0 + u * G + group;
            const int32_t back = p < end ? 0 : (p - end + 1) * hidden; /* to position end - 1 */
            kr[u] = psamp::load16(kp + (u * group_stride - back));
            vr[u] = psamp::load16(vp + (u * group_stride - back));
            if constexpr (kFp8) {
                const int64_t at_s = (int64_t)(p0 - begin) * n_heads + u * group_stride_s -
                                     (p < end ? 0 : (int64_t)(p - end + 1) * n_heads);
                ksc[u] = ksp[at_s];
                vsc[u] = vsp[at_s];
            }
        }
        float s[UNROLL];
        float s_max = -INFINITY;
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            float kf[VEC];
            unpack_kv<S>(kr[u], kf);
            float d = 0.0f;
#pragma unroll
            for (int i = 0; i < VEC; i++) d = fmaf(qv[i], kf[i], d);
#pragma unroll
            for (int o = LPP / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
            if constexpr (kFp8) d *= ksc[u];
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
        for (int u = 0; u < UNROLL; u++) {
            const float w = exp2f(s[u] - ref); /* 0 for positions past end */
            float vf[VEC];
            unpack_kv<S>(vr[u], vf);
            l += w;
            const float wv = kFp8 ? w * vsc[u] : w;
#pragma unroll
            for (int i = 0; i < VEC; i++) acc[i] = fmaf(wv, vf[i], acc[i]);
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
    psamp::store_f32<T, VEC>(out + r * hidden + dim0, o);
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

/* The kernel's arguments besides the element types. */
struct attention_args {
    const float *q, *bias;
    const void *k, *v;
    kv_scales sc; /* fp8 only */
    void *out;
    const psamp_k_row *rows;
    int32_t n_rows, n_heads, head_dim, max_len, warps;
    bool append;
};

template <typename T, typename S, int HD, bool kAppend>
cudaError_t launch_hd(const attention_args &a, cudaStream_t stream) {
    const int32_t w = a.warps;
    const unsigned blocks = (unsigned)psamp::ceil_div((int64_t)a.n_rows * a.n_heads, kWarps / w);
    const size_t smem = w > 1 ? (size_t)kWarps * (HD + 2) * sizeof(float) : 0;
    const S *k = static_cast<const S *>(a.k), *v = static_cast<const S *>(a.v);
    /* The caches double as the append's destination (kAppend only). */
    S *k_store = const_cast<S *>(k), *v_store = const_cast<S *>(v);
    PSAMP_LAUNCH(blocks, kThreads, smem, stream, attention_warp_kernel<T, S, HD, kAppend>)(
        a.q, a.bias, k, v, k_store, v_store, a.sc, static_cast<T *>(a.out), a.rows, a.n_rows,
        a.n_heads, a.max_len, w);
    return cudaGetLastError();
}

template <typename T, typename S, int HD>
cudaError_t launch_mode(const attention_args &a, cudaStream_t stream) {
    return a.append ? launch_hd<T, S, HD, true>(a, stream) : launch_hd<T, S, HD, false>(a, stream);
}

template <typename T, typename S> cudaError_t launch(attention_args a, cudaStream_t stream) {
    if (a.warps == 0) a.warps = pick_warps(a.n_rows, a.n_heads, a.max_len, step_for<S>(a.head_dim));
    switch (a.head_dim) {
    case 16:
        return launch_mode<T, S, 16>(a, stream);
    case 32:
        return launch_mode<T, S, 32>(a, stream);
    case 64:
        return launch_mode<T, S, 64>(a, stream);
    default:
        return launch_mode<T, S, 128>(a, stream);
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
    const attention_args a = {q,    nullptr, k_cache, v_cache, kv_scales{}, out,
                              rows, n_rows,  n_heads, head_dim, max_len, warps_per_row,
                              false};
    PSAMP_DISPATCH_DTYPE(dtype, T, return launch<T, T>(a, stream));
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
    const attention_args a = {qkv,  bias,   k_cache, v_cache,  kv_scales{}, out,
                              rows, n_rows, n_heads, head_dim, max_len,     warps_per_row,
                              true};
    PSAMP_DISPATCH_DTYPE(dtype, T, return launch<T, T>(a, stream));
    return cudaSuccess;
}

/* The fp8 cache's launchers: out in fp16 or bf16, no fallback. */
static cudaError_t attention_fp8(const attention_args &a, psamp_dtype out_dtype,
                                 cudaStream_t stream) {
    if (a.n_rows <= 0) return cudaSuccess;
    if (!valid_warps(a.warps) || !warp_head_dim(a.head_dim) || a.n_heads <= 0 || a.max_len <= 0 ||
        !aligned16(a.k) || !aligned16(a.v) || !aligned16(a.out) || !a.sc.k || !a.sc.v)
        return cudaErrorInvalidValue;
    switch (out_dtype) {
    case PSAMP_F16:
        return launch<__half, uint8_t>(a, stream);
    case PSAMP_BF16:
        return launch<__nv_bfloat16, uint8_t>(a, stream);
    default:
        return cudaErrorInvalidValue;
    }
}

extern "C" cudaError_t psamp_k_attention_warp_fp8(const float *q, psamp_k_kv_fp8 kv, void *out,
                                                  const psamp_k_row *rows, int32_t n_rows,
                                                  int32_t n_heads, int32_t head_dim,
                                                  int32_t max_len, int32_t warps_per_row,
                                                  psamp_dtype out_dtype, cudaStream_t stream) {
    const kv_scales sc = {kv.k_scale, kv.v_scale, kv.k_scale, kv.v_scale};
    const attention_args a = {q,    nullptr, kv.k,    kv.v,    sc,           out,
                              rows, n_rows,  n_heads, head_dim, max_len,     warps_per_row,
                              false};
    return attention_fp8(a, out_dtype, stream);
}

extern "C" cudaError_t psamp_k_attention_warp_append_fp8(const float *qkv, const float *bias,
                                                         psamp_k_kv_fp8 kv, void *out,
                                                         const psamp_k_row *rows, int32_t n_rows,
                                                         int32_t n_heads, int32_t head_dim,
                                                         int32_t max_len, int32_t warps_per_row,
                                                         psamp_dtype out_dtype,
                                                         cudaStream_t stream) {
    const kv_scales sc = {kv.k_scale, kv.v_scale, kv.k_scale, kv.v_scale};
    const attention_args a = {qkv,  bias,   kv.k,    kv.v,     sc,      out,
                              rows, n_rows, n_heads, head_dim, max_len, warps_per_row,
                              true};
    return attention_fp8(a, out_dtype, stream);
}
