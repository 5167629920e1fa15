/* Fused log-softmax + sampling with one pass over the logits: psamp_k_sample's contract
 * (sample.cu; A/B switch PSAMP_SAMPLE=onepass|threepass): the token (drawn by inverse CDF in
 * id order with the row's Philox uniform, the argmax, or the row's target), its log p and
 * log q, reading each row from memory once instead of twice.
 * Launch: one block of 512 threads (16 warps) per row. The row is cut into 16 regions of
 * consecutive ids, one per warp; lanes stride over their warp's region in 16-byte vectors
 * (4 ids; single ids when ld or the pointer does not allow vectors), kUnroll vectors in
 * flight per lane. Each thread keeps an online softmax state over the ids it reads: its
 * running max m (and the lowest id holding it) and the sums of exp(l - m) and
 * exp((l - m) / tau) (fp32 within a chunk of kUnroll vectors, fp64 across chunks),
 * rescaled when m rises. After one barrier the row's max M is known; each thread's sums
 * rescaled to M give the regions' sums (warp shuffles) and the totals. To draw, warp 0
 * scans the 16 region sums for the region where the running sum first exceeds
 * u * total_q; that region's ids are split into one piece per thread, and the exact
 * weights exp((l - M) / tau) of each piece (the same function for every id from here on)
 * are summed: a scan of the warps' sums picks the warp, a scan of its lanes' sums the lane,
 * and that thread walks its piece. Only the chosen region is read twice (from L2). Scans use
 * xor shuffles only (a butterfly), so tests/cuda_emu runs this file as it is.
 * Rounding: a region's sum comes from rescaled partial sums, within ~1e-7 relative of the
 * sum of its ids' exact weights, so a draw can differ from host/engine/sample_row.c's only where
 * u * total lies that close to a region boundary (as the weights' fp32 exp already allows);
 * at each level, rounding that leaves the target beyond the last piece picks the last piece
 * with a live weight, and the walk its last live id. */
#include "common.cuh"
#include "philox.h"
#include "sample_result.cuh"

namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;
constexpr int kUnroll = 4; /* vectors in flight per lane */

struct shared_state {
    double region_p[kWarps], region_q[kWarps]; /* per region (warp): sums at tau = 1, tau */
    double piece_sum[kWarps];                  /* per warp: exact weights of its pieces */
    double base;                               /* weight before the chosen region / warp */
    float best_v[kWarps];                      /* per warp: max and its lowest id */
    int32_t best_i[kWarps];
    int32_t pick, beyond, token;
};

__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ int32_t warp_min(int32_t v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = min(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ int32_t warp_max(int32_t v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
/* The larger value, the lower id on ties (id == vocab: nothing seen, loses every tie). */
__device__ __forceinline__ void arg_max_merge(float &v, int32_t &i, float v_b, int32_t i_b) {
    if (v_b > v || (v_b == v && i_b < i)) {
        v = v_b;
        i = i_b;
    }
}

/* Inclusive prefix sum over the warp's lanes of s, by a butterfly of xor shuffles. */
__device__ __forceinline__ double warp_inclusive_sum(double s, int lane) {
    double incl = s, total = s;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const double t = __shfl_xor_sync(0xffffffffu, total, o);
        if (lane & o) incl += t;
        total += t;
    }
    return incl;
}

/* Over the warp's lanes holding piece sums s (in id order, lane by lane): the first lane
 * where base + (sum of s up to and including it) exceeds target among lanes with s > 0,
 * or, when none does or `beyond`, the last lane with s > 0 (beyond set); -1 when no s > 0.
 * excl: this lane's sum of the lanes before it. */
__device__ __forceinline__ int32_t pick_lane(double s, double base, double target, int lane,
                                             int32_t &beyond, double &excl) {
    const double incl = warp_inclusive_sum(s, lane);
    excl = incl - s;
    const bool crosses = !beyond && s > 0.0 && base + incl > target;
    const int32_t first = warp_min(crosses ? lane : 32);
    if (first < 32) return first;
    beyond = 1;
    return warp_max(s > 0.0 ? lane : -1);
}

/* exp((l - m) / tau) as every later step computes it (inv_tau = 1 / tau). */
__device__ __forceinline__ float weight(float logit, float m, float inv_tau) {
    return expf((logit - m) * inv_tau);
}

/* The region of warp w: ids [lo, hi), lo a multiple of VEC (hi <= lo when empty). */
template <int VEC> __device__ __forceinline__ int32_t region_size(int32_t vocab) {
    return (int32_t)(psamp::ceil_div(psamp::ceil_div(vocab, kWarps), VEC) * VEC);
}

/* VEC values starting at id `at` of row l (VEC == 4: 16-byte aligned). */
template <int VEC>
__device__ __forceinline__ void load_ids(const float *l, int32_t at, float (&v)[VEC]) {
    if constexpr (VEC == 4)
        psamp::unpack_f32<float>(psamp::load16(l + at), v);
    else
        v[0] = l[at];
}

template <int VEC>
__global__ void __launch_bounds__(kThreads, 2)
    sample_onepass_kernel(const float *__restrict__ logits, int64_t ld, int32_t vocab,
                          const psamp_k_row *__restrict__ rows, psamp_k_result *__restrict__ out) {
    const int64_t r = blockIdx.x;
    if (rows[r].slot < 0) return; /* the whole block */
    const float tau = rows[r].tau;
    const int32_t forced = rows[r].target;
    const bool sampling = tau > 0.0f && forced < 0;
    const bool want_q = tau > 0.0f && tau != 1.0f; /* at tau = 1 the q sums are the p sums */
    const float inv_tau = tau > 0.0f ? 1.0f / tau : 1.0f;
    const float *l = logits + r * ld;
    const int t = (int)threadIdx.x, lane = t & 31, warp = t >> 5;
    shared_state *sh = psamp::dynamic_smem<shared_state>();

    /* One pass: this thread's online state over its ids of its warp's region. */
    const int32_t size = region_size<VEC>(vocab);
    const int32_t lo = warp * size, hi = min(vocab, lo + size);
    const int32_t last_vec = lo + (hi - lo - 1) / VEC * VEC; /* the region's last vector */
    float m = -INFINITY, best_v = -INFINITY;
    int32_t best_i = vocab;
    double sp = 0.0, sq = 0.0;
    for (int32_t at0 = lo + lane * VEC; at0 < hi; at0 += 32 * VEC * kUnroll) {
        float v[kUnroll][VEC];
        /* Loads first, none behind a branch: vectors past the region reload its last one. */
#pragma unroll
        for (int u = 0; u < kUnroll; u++) load_ids<VEC>(l, min(at0 + u * 32 * VEC, last_vec), v[u]);
        float cm = -INFINITY;
#pragma unroll
        for (int u = 0; u < kUnroll; u++)
#pragma unroll
            for (int j = 0; j < VEC; j++) {
                const int32_t id = at0 + u * 32 * VEC + j;
                if (id >= hi) v[u][j] = -INFINITY; /* past the region (or the vocabulary) */
                if (v[u][j] > best_v || (best_i == vocab && id < hi)) {
                    best_v = v[u][j];
                    best_i = id; /* ids rise along the walk: the first of equals stays */
                }
                cm = fmaxf(cm, v[u][j]);
            }
        if (cm > m) {
            if (m != -INFINITY) {
                sp *= (double)expf(m - cm);
                if (want_q) sq *= (double)weight(m, cm, inv_tau);
            }
            m = cm;
        }
        if (m == -INFINITY) continue; /* only -inf so far: every weight is 0 */
        float cp = 0.0f, cq = 0.0f;
#pragma unroll
        for (int u = 0; u < kUnroll; u++)
#pragma unroll
            for (int j = 0; j < VEC; j++) {
                cp += expf(v[u][j] - m);
                if (want_q) cq += weight(v[u][j], m, inv_tau);
            }
        sp += (double)cp;
        sq += (double)cq;
    }

    /* The row's max and argmax. */
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        arg_max_merge(best_v, best_i, __shfl_xor_sync(0xffffffffu, best_v, o),
                      __shfl_xor_sync(0xffffffffu, best_i, o));
    if (lane == 0) {
        sh->best_v[warp] = best_v;
        sh->best_i[warp] = best_i;
    }
    __syncthreads();
    float mx = sh->best_v[0];
    int32_t arg = sh->best_i[0];
    for (int w = 1; w < kWarps; w++) arg_max_merge(mx, arg, sh->best_v[w], sh->best_i[w]);

    /* The regions' sums at M = mx, then the totals (the same order in every thread). */
    double p_m = 0.0, q_m = 0.0;
    if (m != -INFINITY) {
        p_m = sp * (double)expf(m - mx);
        q_m = want_q ? sq * (double)weight(m, mx, inv_tau) : p_m;
    }
    p_m = warp_sum(p_m);
    q_m = warp_sum(q_m);
    if (lane == 0) {
        sh->region_p[warp] = p_m;
        sh->region_q[warp] = q_m;
    }
    __syncthreads();
    double total_p = 0.0, total_q = 0.0;
    for (int w = 0; w < kWarps; w++) {
        total_p += sh->region_p[w];
        total_q += sh->region_q[w];
    }

    int32_t token = forced >= 0 ? forced : arg;
    if (sampling) {
        const psamp_k_row *row = rows + r;
        const double target =
            psamp_u32_to_unit(psamp_philox_u32(row->seed, row->stream, row->counter)) * total_q;
        /* The region: warp 0, one lane per region. */
        if (warp == 0) {
            int32_t beyond = 0;
            double excl = 0.0;
            const double s = lane < kWarps ? sh->region_q[lane] : 0.0;
            const int32_t region = pick_lane(s, 0.0, target, lane, beyond, excl);
            if (lane == (region < 0 ? 0 : region)) {
                sh->pick = region;
                sh->base = excl;
                sh->beyond = beyond;
            }
        }
        __syncthreads();
        const int32_t region = sh->pick;
        int32_t beyond = sh->beyond;
        double base = sh->base;
        __syncthreads(); /* pick/base are written again below */
        if (region >= 0) {
            /* Thread t's piece of the region: `piece` consecutive ids from rlo + t * piece. */
            const int32_t rlo = region * size, rhi = min(vocab, rlo + size);
            const int32_t piece = (int32_t)psamp::ceil_div(rhi - rlo, kThreads);
            const int32_t plo = min(rhi, rlo + t * piece), phi = min(rhi, plo + piece);
            float pv[8];
            double s = 0.0;
            for (int32_t i0 = plo; i0 < phi; i0 += 8) {
#pragma unroll
                for (int k = 0; k < 8; k++) pv[k] = i0 + k < phi ? l[i0 + k] : -INFINITY;
#pragma unroll
                for (int k = 0; k < 8; k++) s += (double)weight(pv[k], mx, inv_tau);
            }
            const double warp_total = warp_inclusive_sum(s, lane); /* at lane 31 */
            if (lane == 31) sh->piece_sum[warp] = warp_total;
            __syncthreads();
            /* The warp: warp 0 scans the warps' sums. */
            if (warp == 0) {
                double wexcl = 0.0;
                int32_t wbeyond = beyond;
                const double ws = lane < kWarps ? sh->piece_sum[lane] : 0.0;
                const int32_t w = pick_lane(ws, base, target, lane, wbeyond, wexcl);
                if (lane == (w < 0 ? 0 : w)) {
                    sh->pick = w;
                    sh->base = base + wexcl;
                    sh->beyond = wbeyond;
                }
            }
            __syncthreads();
            const int32_t w = sh->pick;
            beyond = sh->beyond;
            base = sh->base;
            if (w < 0) {
                if (t == 0) sh->token = arg; /* no live weight in the region: rounding */
            } else if (warp == w) {
                double lexcl = 0.0;
                const int32_t j = pick_lane(s, base, target, lane, beyond, lexcl);
                if (lane == (j < 0 ? 0 : j)) {
                    int32_t found = arg, live = -1;
                    if (j >= 0) {
                        double c = base + lexcl;
                        for (int32_t i = plo; i < phi; i++) {
                            const float wi = weight(l[i], mx, inv_tau);
                            if (wi <= 0.0f) continue;
                            live = i;
                            c += (double)wi;
                            if (!beyond && c > target) break;
                        }
                        /* the crossing id, or (beyond, or rounding) the piece's last live id */
                        found = live >= 0 ? live : arg;
                    }
                    sh->token = found;
                }
            }
            __syncthreads();
            token = sh->token;
        } else {
            token = arg; /* no region with a live weight: a degenerate row */
        }
    }

    if (t == 0) out[r] = psamp::sample_result(l, token, mx, total_p, total_q, tau);
}

} // namespace

extern "C" cudaError_t psamp_k_sample_onepass(const float *logits, int64_t ld, int32_t vocab,
                                              const psamp_k_row *rows, int32_t n_rows,
                                              psamp_k_result *out, cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (vocab <= 0 || ld < vocab) return cudaErrorInvalidValue;
    const size_t smem = sizeof(shared_state);
    if (ld % 4 == 0 && (uintptr_t)logits % 16 == 0)
        PSAMP_LAUNCH((unsigned)n_rows, kThreads, smem, stream, sample_onepass_kernel<4>)(
            logits, ld, vocab, rows, out);
    else
        PSAMP_LAUNCH((unsigned)n_rows, kThreads, smem, stream, sample_onepass_kernel<1>)(
            logits, ld, vocab, rows, out);
    return cudaGetLastError();
}
