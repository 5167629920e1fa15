#include "passk_estimator.h"

#include <math.h>

double passk_estimate(int64_t n, int64_t c, int64_t k) {
    if (n <= 0 || c < 0 || c > n || k < 1 || k > n) return NAN;
    /* Fewer wrong samples than k: every k-subset holds a correct one. */
    if (n - c < k) return 1.0;
    double all_wrong = 1.0;
    for (int64_t i = n - c + 1; i <= n; i++) all_wrong *= 1.0 - (double)k / (double)i;
    return 1.0 - all_wrong;
}

double passk_mean(int64_t n, const int64_t *correct, int32_t n_problems, int64_t k) {
    if (n_problems <= 0) return NAN;
    double sum = 0.0;
    for (int32_t i = 0; i < n_problems; i++) sum += passk_estimate(n, correct[i], k);
    return sum / n_problems;
}

int passk_check_ks(const int32_t *ks, int32_t n_ks, int64_t n, const char *what, psamp_err *err) {
    if (n <= 0) return psamp_fail(err, "samples per problem must be positive (got %lld)", (long long)n);
    if (n_ks <= 0) return psamp_fail(err, "%s: no k values", what);
    for (int32_t i = 0; i < n_ks; i++) {
        if (ks[i] < 1) return psamp_fail(err, "%s: k = %d is not positive", what, ks[i]);
        if (ks[i] > n)
            return psamp_fail(err, "%s: k = %d is larger than the %lld samples per problem", what, ks[i],
                              (long long)n);
    }
    return 0;
}
