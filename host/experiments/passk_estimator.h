/* The unbiased pass@k estimator of Chen et al. (2021, "Evaluating Large Language Models
 * Trained on Code"): from n samples of which c are correct,
 *
 *     pass@k = 1 - C(n - c, k) / C(n, k)
 *
 * is the probability that k samples drawn without replacement from the n contain at least
 * one correct one. C(n, k) overflows a double long before n = 2000, so the ratio is taken as
 * the product  C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i),  which stays in [0, 1]
 * and needs no large numbers. */
#ifndef PSAMP_PASSK_ESTIMATOR_H
#define PSAMP_PASSK_ESTIMATOR_H

#include <stdint.h>

#include "error.h"

/* pass@k for one problem: 0 <= c <= n, 1 <= k <= n (callers validate; out-of-range input
 * returns NaN rather than a plausible number). */
double passk_estimate(int64_t n, int64_t c, int64_t k);

/* Mean of passk_estimate over problems (each problem weighs the same); NaN without
 * problems. correct[i] is problem i's count out of n samples. */
double passk_mean(int64_t n, const int64_t *correct, int32_t n_problems, int64_t k);

/* Checks a list of k values against n: every k in 1..n (errors name `what`, e.g. "--k"). */
int passk_check_ks(const int32_t *ks, int32_t n_ks, int64_t n, const char *what, psamp_err *err);

#endif
