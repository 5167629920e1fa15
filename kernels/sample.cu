/* Fused log-softmax + sampling per row of logits: the token (drawn, argmax or given), its
 * log p (tau = 1) and log q (tau), without the logits leaving the device.
 * The draw is host/engine/sample_row.c's rule: inverse CDF over the vocabulary in id order with
 * u = psamp_u32_to_unit(psamp_philox_u32(seed, stream, counter)); weights
 * exp((l - max) / tau) summed in double. The prefix sums run region by region (one region
 * of consecutive ids per warp), so rounding may differ from the sequential host sum only
 * when u falls within ~1e-16 of a boundary.
 * Layout: logits [rows, ld] fp32 (vocab columns used); rows/out [rows].
 * Launch: one block of 512 threads (16 warps) per row. Pass 1: max and argmax (CUB block
 * reduction, lowest id on ties). Pass 2: each warp sums its region's weights for tau = 1
 * and tau. Pass 3: thread 0 finds the region holding u * sum, and that warp scans it in
 * tiles of 32 x 8 ids to find the token. */
#include <cub/block/block_reduce.cuh>
#include <cuda/functional>

#include "common.cuh"
#include "philox.h"
#include "sample_result.cuh"

namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;
constexpr int kPerLane = 8; /* ids per lane per tile of the pass-3 scan */

struct arg_max {
    float v;
    int32_t i;
};

/* The larger value; the lower id on ties. */
struct arg_max_op {
    __device__ arg_max operator()(const arg_max &a, const arg_max &b) const {
        return (a.v > b.v || (a.v == b.v && a.i < b.i)) ? a : b;
    }
};

__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/* The unnormalised probability of a logit at temperature tau, identical in passes 2 and 3. */
__device__ __forceinline__ float weight(float logit, float max, float tau) {
    return expf((logit - max) / tau);
}

__global__ void __launch_bounds__(kThreads, 2)
    sample_kernel(const float *__restrict__ logits, int64_t ld, int32_t vocab,
                  const psamp_k_row *__restrict__ rows, psamp_k_result *__restrict__ out) {
    const int64_t r = blockIdx.x;
    /* Only the fields every thread needs stay in registers; thread 0 reads the rest. */
    if (rows[r].slot < 0) return;
    const float tau = rows[r].tau;
    const int32_t forced = rows[r].target;
    const float *l = logits + r * ld;
    const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
    const bool sampling = tau > 0.0f && forced < 0;

    using block_reduce = cub::BlockReduce<arg_max, kThreads>;
    __shared__ typename block_reduce::TempStorage reduce_tmp;
    __shared__ arg_max best_s;
    __shared__ double sum_p_s[kWarps], sum_q_s[kWarps];
    __shared__ int32_t last_s[kWarps];
    __shared__ int32_t region_s, token_s;
    __shared__ double base_s, target_s;

    /* Pass 1: max and argmax. The sentinel id `vocab` loses every tie. */
    arg_max mine = {-INFINITY, vocab};
    for (int32_t i = t; i < vocab; i += kThreads) {
        const float v = l[i];
        if (v > mine.v || mine.i == vocab) mine = arg_max{v, i};
    }
    const arg_max best = block_reduce(reduce_tmp).Reduce(mine, arg_max_op{});
    if (t == 0) best_s = best;
    __syncthreads();
    const float mx = best_s.v;

    /* Pass 2: per-region sums at tau = 1 and tau, and the last id of nonzero weight. */
    const int32_t region = (int32_t)psamp::ceil_div(vocab, kWarps);
    const int32_t lo = warp * region, hi = min(vocab, lo + region);
    double sp = 0.0, sq = 0.0;
    int32_t last = -1;
    for (int32_t i = lo + lane; i < hi; i += 32) {
        const float v = l[i];
        sp += (double)expf(v - mx);
        if (tau > 0.0f) {
            const float w = weight(v, mx, tau);
            sq += (double)w;
            if (w > 0.0f) last = i; /* ids rise along a lane's walk */
        }
    }
    sp = warp_sum(sp);
    sq = warp_sum(sq);
    last = __reduce_max_sync(0xffffffffu, last);
    if (lane == 0) {
        sum_p_s[warp] = sp;
        sum_q_s[warp] = sq;
        last_s[warp] = last;
    }
    __syncthreads();
    double total_p = 0.0, total_q = 0.0;
    for (int w = 0; w < kWarps; w++) {
        total_p += sum_p_s[w];
        total_q += sum_q_s[w];
    }

    /* Pass 3: the region where the running sum first exceeds u * total_q. */
    if (t == 0) {
        int32_t token = forced >= 0 ? forced : best_s.i;
        int32_t sel = -1;
        double base = 0.0, target = 0.0;
        if (sampling) {
            const psamp_k_row *row = rows + r;
            const double u =
                psamp_u32_to_unit(psamp_philox_u32(row->seed, row->stream, row->counter));
            target = u * total_q;
            for (int w = 0; w < kWarps; w++) {
                if (sum_q_s[w] > 0.0 && base + sum_q_s[w] > target) {
                    sel = w;
                    break;
                }
                base += sum_q_s[w];
            }
            if (sel < 0) { /* rounding left target above the total: the last live id */
                int32_t last_live = -1;
                for (int w = 0; w < kWarps; w++) last_live = max(last_live, last_s[w]);
                token = last_live >= 0 ? last_live : best_s.i;
            }
        }
        region_s = sel;
        base_s = base;
        target_s = target;
        token_s = token;
    }
    __syncthreads();
    const int32_t sel = region_s;
    if (sel >= 0 && warp == sel) {
        const double target = target_s;
        double running = base_s;
        int32_t found = -1;
        for (int32_t tile = lo; tile < hi && found < 0; tile += 32 * kPerLane) {
            const int32_t i0 = tile + lane * kPerLane;
            double local = 0.0;
#pragma unroll
            for (int k = 0; k < kPerLane; k++)
                if (i0 + k < hi) local += (double)weight(l[i0 + k], mx, tau);
            double incl = local;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                const double y = __shfl_up_sync(0xffffffffu, incl, o);
                if (lane >= o) incl += y;
            }
            double excl = __shfl_up_sync(0xffffffffu, incl, 1);
            if (lane == 0) excl = 0.0;
            const unsigned crossing = __ballot_sync(0xffffffffu, running + incl > target);
            if (crossing) {
                const int first = __ffs(crossing) - 1;
                int32_t pick = -1;
                if (lane == first) {
                    double c = running + excl;
                    int32_t live = -1;
                    for (int k = 0; k < kPerLane && i0 + k < hi; k++) {
                        const float w = weight(l[i0 + k], mx, tau);
                        if (w <= 0.0f) continue;
                        live = i0 + k;
                        c += (double)w;
                        if (c > target) break;
                    }
                    /* live is the crossing id, or the lane's last live id when rounding
                     * kept the sequential sum under target. */
                    pick = live;
                }
                found = __shfl_sync(0xffffffffu, pick, first);
            } else {
                running = running + __shfl_sync(0xffffffffu, incl, 31);
            }
        }
        if (lane == 0) token_s = found >= 0 ? found : last_s[sel];
    }
    __syncthreads();

    if (t == 0) out[r] = psamp::sample_result(l, token_s, mx, total_p, total_q, tau);
}

} // namespace

extern "C" cudaError_t psamp_k_sample(const float *logits, int64_t ld, int32_t vocab,
                                      const psamp_k_row *rows, int32_t n_rows,
                                      psamp_k_result *out, cudaStream_t stream) {
    if (n_rows <= 0) return cudaSuccess;
    if (vocab <= 0 || ld < vocab) return cudaErrorInvalidValue;
    sample_kernel<<<(unsigned)n_rows, kThreads, 0, stream>>>(logits, ld, vocab, rows, out);
    return cudaGetLastError();
}
