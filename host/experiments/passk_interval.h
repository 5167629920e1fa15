/* 95 % confidence intervals for pass@k, as psamp passk and psamp sweep report them.
 *
 *   several problems (P >= 2): the normal approximation over problems, mean +- 1.96 s / sqrt(P)
 *     with s the standard deviation (P - 1 in the denominator) of the per-problem estimates
 *     pass@k_i = 1 - C(n - c_i, k) / C(n, k). It covers the spread between problems and each
 *     problem's sampling noise (which is inside pass@k_i); it is rough for a handful of
 *     problems, and zero-width when every problem scores the same.
 *   one problem (P = 1): its samples are independent (one chain each), so c ~ Binomial(n, p);
 *     the Wilson score interval [lo, hi] for p gives [1 - (1 - lo)^k, 1 - (1 - hi)^k] for
 *     pass@k = 1 - (1 - p)^k. A deterministic method (greedy: one run standing for all n) has
 *     no sampling noise: its interval is the estimate itself.
 * Both ends are clipped to [0, 1]. */
#ifndef PSAMP_PASSK_INTERVAL_H
#define PSAMP_PASSK_INTERVAL_H

#include <stdint.h>

#define PASSK_Z95 1.959963984540054

/* The Wilson score interval of c successes out of n at z (n >= 1). */
void passk_wilson(int64_t c, int64_t n, double z, double *lo, double *hi);

/* pass@k over problems (passk_mean) and its 95 % interval by the rules above; NaN for all
 * three when k is not in 1..n or there are no problems. */
void passk_interval(int64_t n, const int64_t *correct, int32_t n_problems, int64_t k, int deterministic,
                    double *mean, double *lo, double *hi);

/* One line naming the interval, for JSON outputs ("interval" keys). */
extern const char PASSK_INTERVAL_METHOD[];

#endif
