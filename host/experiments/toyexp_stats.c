/* Distances, unique rates and best-of-n success over a toy world's enumeration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "toyexp.h"

int toyexp_locate(const toy_enumeration *en, const psamp_run_result *r, int64_t **index, psamp_err *err) {
    int64_t *ix = malloc((size_t)(r->n_chains > 0 ? r->n_chains : 1) * sizeof *ix);
    if (!ix) return psamp_fail(err, "out of memory for %d chains", r->n_chains);
    for (int32_t c = 0; c < r->n_chains; c++)
        ix[c] = toy_enumeration_find(en, r->chains[c].tokens, r->chains[c].n_tokens);
    *index = ix;
    return 0;
}

int toyexp_distance(const double *exact, int64_t n, const int64_t *index, int32_t n_samples,
                    double *tv, double *kl, psamp_err *err) {
    if (n_samples < 1) return psamp_fail(err, "no samples to compare");
    double *count = calloc((size_t)n, sizeof *count), outside = 0.0, sum = 0.0, div = 0.0;
    if (!count) return psamp_fail(err, "out of memory for %lld sequences", (long long)n);
    for (int32_t s = 0; s < n_samples; s++) {
        if (index[s] < 0 || index[s] >= n) outside += 1.0;
        else count[index[s]] += 1.0;
    }
    for (int64_t i = 0; i < n; i++) {
        double f = count[i] / n_samples;
        sum += fabs(f - exact[i]);
        if (f > 0.0) div += exact[i] > 0.0 ? f * log(f / exact[i]) : INFINITY;
    }
    free(count);
    *tv = 0.5 * (sum + outside / n_samples);
    *kl = outside > 0.0 ? INFINITY : div;
    return 0;
}

/* A key for exact draws that no chain stream of the same seed uses. */
#define TOYEXP_FLOOR_KEY 0x5851F42D4C957F2Dull

int toyexp_floor(const double *exact, int64_t n, int32_t n_samples, int32_t reps, uint64_t seed,
                 double *tv, double *kl, psamp_err *err) {
    double *cdf = malloc((size_t)n * sizeof *cdf);
    int64_t *index = malloc((size_t)(n_samples > 0 ? n_samples : 1) * sizeof *index);
    int rc = 0;
    *tv = *kl = 0.0;
    if (!cdf || !index) {
        free(cdf);
        free(index);
        return psamp_fail(err, "out of memory");
    }
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) cdf[i] = acc += exact[i];
    for (int32_t r = 0; rc == 0 && r < reps; r++) {
        for (int32_t s = 0; s < n_samples; s++) {
            /* Inverse CDF by bisection; u is scaled by the total so rounding never falls off. */
            double u = psamp_u32_to_unit(psamp_philox_u32(seed ^ TOYEXP_FLOOR_KEY, (uint64_t)r, (uint64_t)s)) * acc;
            int64_t lo = 0, hi = n - 1;
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cdf[mid] < u) lo = mid + 1;
                else hi = mid;
            }
            index[s] = lo;
        }
        double t, k;
        rc = toyexp_distance(exact, n, index, n_samples, &t, &k, err);
        *tv += t / reps;
        *kl += k / reps;
    }
    free(cdf);
    free(index);
    return rc;
}

double toyexp_unique_exact(const double *exact, int64_t n, int32_t k) {
    double sum = 0.0;
    /* 1 - (1 - pi)^k without cancellation for tiny pi. */
    for (int64_t i = 0; i < n; i++) sum += -expm1((double)k * log1p(-exact[i]));
    return sum / k;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double toyexp_unique_sampled(const int64_t *index, int32_t n_samples, int32_t k) {
    int32_t groups = k > 0 ? n_samples / k : 0;
    if (groups == 0) return NAN;
    int64_t *g = malloc((size_t)k * sizeof *g);
    if (!g) return NAN;
    double sum = 0.0;
    for (int32_t i = 0; i < groups; i++) {
        memcpy(g, index + (size_t)i * (size_t)k, (size_t)k * sizeof *g);
        qsort(g, (size_t)k, sizeof *g, cmp_i64);
        int32_t distinct = 1;
        for (int32_t j = 1; j < k; j++) distinct += g[j] != g[j - 1];
        sum += (double)distinct / k;
    }
    free(g);
    return sum / groups;
}

double toyexp_correct_mass(const toy_world *w, const toy_enumeration *en, const double *weights) {
    if (w->n_correct == 0) return NAN;
    double m = 0.0;
    for (int64_t i = 0; i < en->n; i++)
        if (toy_world_is_correct(w, en->seqs[i].tokens, en->seqs[i].n)) m += weights[i];
    return m;
}

typedef struct {
    double logp;
    int64_t i;
} ranked;

static int cmp_logp(const void *a, const void *b) {
    double x = ((const ranked *)a)->logp, y = ((const ranked *)b)->logp;
    return (x > y) - (x < y);
}

/* Sequences whose log p agree this closely are one tie group (equal products of equal
 * probabilities, summed in another order). */
#define TOYEXP_TIE 1e-9

int toyexp_best_of_exact(const toy_world *w, const toy_enumeration *en, const double *q, int32_t n,
                         double *out, psamp_err *err) {
    if (w->n_correct == 0) {
        *out = NAN;
        return 0;
    }
    ranked *r = malloc((size_t)en->n * sizeof *r);
    if (!r) return psamp_fail(err, "out of memory for %lld sequences", (long long)en->n);
    for (int64_t i = 0; i < en->n; i++) r[i] = (ranked){en->seqs[i].logp, i};
    qsort(r, (size_t)en->n, sizeof *r, cmp_logp);
    /* The best of n lands in a tie group with probability F(<= group)^n - F(< group)^n, and
     * on a member in proportion to its weight (the first draw in the group wins). */
    double below = 0.0, success = 0.0;
    for (int64_t a = 0; a < en->n;) {
        int64_t b = a;
        double group = 0.0, good = 0.0;
        while (b < en->n && r[b].logp - r[a].logp <= TOYEXP_TIE) {
            const toy_sequence *s = &en->seqs[r[b].i];
            group += q[r[b].i];
            if (toy_world_is_correct(w, s->tokens, s->n)) good += q[r[b].i];
            b++;
        }
        if (group > 0.0) success += (pow(below + group, n) - pow(below, n)) * good / group;
        below += group;
        a = b;
    }
    free(r);
    *out = success;
    return 0;
}
