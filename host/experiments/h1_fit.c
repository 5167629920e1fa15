/* H1's statistics: the least-squares line and the choice of pairs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"
#include "philox.h"

int h1_fit_line(const double *x, const double *y, int64_t n, h1_fit *out, psamp_err *err) {
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n < 2) return psamp_fail(err, "a line needs at least 2 points (got %lld)", (long long)n);
    /* Two passes (means, then centred sums) keep the sums accurate when |D| is large. */
    double mx = 0.0, my = 0.0;
    for (int64_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0.0, sxy = 0.0, syy = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (!(sxx > 0.0)) return psamp_fail(err, "every x is the same (%g): no slope to fit", mx);
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mx;
    double ss_res = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double r = y[i] - (out->slope * x[i] + out->intercept);
        ss_res += r * r;
    }
    out->r2 = syy > 0.0 ? 1.0 - ss_res / syy : NAN;
    out->residual_std = n > 2 ? sqrt(ss_res / (double)(n - 2)) : NAN;
    return 0;
}

static uint64_t draw_u64(uint64_t seed, uint64_t stream, uint64_t *counter) {
    uint64_t hi = psamp_philox_u32(seed, stream, (*counter)++);
    uint64_t lo = psamp_philox_u32(seed, stream, (*counter)++);
    return hi << 32 | lo;
}

int64_t h1_choose_pairs(int32_t samples, int64_t want, uint64_t seed, uint64_t stream,
                        int32_t **out, psamp_err *err) {
    *out = NULL;
    if (samples < 2) return psamp_fail(err, "pairs need at least 2 samples (got %d)", samples);
    if (want < 1) return psamp_fail(err, "pairs must be at least 1 (got %lld)", (long long)want);
    int64_t all = (int64_t)samples * (samples - 1) / 2;
    int32_t *p = malloc((size_t)all * 2 * sizeof *p);
    if (!p) return psamp_fail(err, "out of memory for %lld pairs", (long long)all);
    int64_t k = 0;
    for (int32_t x = 0; x < samples; x++)
        for (int32_t y = x + 1; y < samples; y++) {
            p[2 * k] = x;
            p[2 * k + 1] = y;
            k++;
        }
    if (want < all) {
        /* Partial Fisher-Yates: the first `want` entries become a uniform sample. The modulo
         * bias of a 64-bit draw over fewer than 2^32 pairs is below 2^-32. */
        uint64_t counter = 0;
        for (int64_t i = 0; i < want; i++) {
            int64_t j = i + (int64_t)(draw_u64(seed, stream, &counter) % (uint64_t)(all - i));
            int32_t tx = p[2 * i], ty = p[2 * i + 1];
            p[2 * i] = p[2 * j];
            p[2 * i + 1] = p[2 * j + 1];
            p[2 * j] = tx;
            p[2 * j + 1] = ty;
        }
        all = want;
    }
    *out = p;
    return all;
}
