#include "passk_interval.h"

#include <math.h>

#include "passk_estimator.h"

const char PASSK_INTERVAL_METHOD[] =
    "95%: normal approximation over problems (mean +- 1.96 sd/sqrt(P)); one problem: Wilson score "
    "interval of c of n, mapped through 1-(1-p)^k";

static double clip01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

void passk_wilson(int64_t c, int64_t n, double z, double *lo, double *hi) {
    double p = (double)c / (double)n, z2n = z * z / (double)n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * sqrt(p * (1 - p) / (double)n + z2n / (4.0 * (double)n));
    *lo = clip01(centre - half);
    *hi = clip01(centre + half);
}

void passk_interval(int64_t n, const int64_t *correct, int32_t n_problems, int64_t k, int deterministic,
                    double *mean, double *lo, double *hi) {
    *mean = *lo = *hi = NAN;
    if (n_problems <= 0 || k < 1 || k > n) return;
    *mean = passk_mean(n, correct, n_problems, k);
    if (n_problems == 1) {
        if (deterministic) {
            *lo = *hi = *mean;
            return;
        }
        double p_lo, p_hi;
        passk_wilson(correct[0], n, PASSK_Z95, &p_lo, &p_hi);
        *lo = clip01(1.0 - pow(1.0 - p_lo, (double)k));
        *hi = clip01(1.0 - pow(1.0 - p_hi, (double)k));
        /* The estimator and the interval come from different formulas: keep the estimate inside. */
        if (*lo > *mean) *lo = *mean;
        if (*hi < *mean) *hi = *mean;
        return;
    }
    double ss = 0;
    for (int32_t i = 0; i < n_problems; i++) {
        double d = passk_estimate(n, correct[i], k) - *mean;
        ss += d * d;
    }
    double half = PASSK_Z95 * sqrt(ss / (n_problems - 1)) / sqrt((double)n_problems);
    *lo = clip01(*mean - half);
    *hi = clip01(*mean + half);
}
