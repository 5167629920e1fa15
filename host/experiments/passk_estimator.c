#include "passk_estimator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double passk_estimate(int64_t n, int64_t c, int64_t k) {
    if (n <= 0 || c < 0 || c > n || k < 1 || k > n) return NAN;
    /* Fewer wrong samples than k: every k-subset holds a correct one. */
    if (n - c < k) return 1.0;
    if (k == 1) return (double)c / (double)n; /* the product's value, without its rounding */
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

static int cmp_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
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
    /* A k given twice would be a duplicate column in every output. */
    int32_t *sorted = malloc((size_t)n_ks * sizeof *sorted);
    if (!sorted) return psamp_fail(err, "%s: out of memory", what);
    memcpy(sorted, ks, (size_t)n_ks * sizeof *sorted);
    qsort(sorted, (size_t)n_ks, sizeof *sorted, cmp_int32);
    int32_t twice = 0;
    for (int32_t i = 1; i < n_ks && !twice; i++)
        if (sorted[i] == sorted[i - 1]) twice = sorted[i];
    free(sorted);
    if (twice) return psamp_fail(err, "%s: k = %d is listed twice", what, twice);
    return 0;
}
