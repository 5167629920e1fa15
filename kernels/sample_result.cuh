/* The result of a sampling kernel's row (sample.cu, sample_onepass.cu): the token with its
 * log p = l - max - log Z_p and log q = (l - max) / tau - log Z_q (0 when greedy), from the
 * row's max and its sums Z_p (tau = 1) and Z_q (tau) relative to that max, in double. */
#ifndef PSAMP_KERNELS_SAMPLE_RESULT_CUH
#define PSAMP_KERNELS_SAMPLE_RESULT_CUH

#include "common.cuh"

namespace psamp {

__device__ __forceinline__ psamp_k_result sample_result(const float *l, int32_t token, float max,
                                                        double sum_p, double sum_q, float tau) {
    const double d = (double)l[token] - (double)max;
    psamp_k_result res;
    res.token = token;
    res.logp = (float)(d - log(sum_p));
    res.logq = tau > 0.0f ? (float)(d / (double)tau - log(sum_q)) : 0.0f;
    return res;
}

} // namespace psamp

#endif
