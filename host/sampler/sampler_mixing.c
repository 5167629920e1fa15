/* Mixing statistics of a run's chains (sampler_mixing.h). */
#include "sampler_mixing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"

/* Keys the random splits' Philox stream, apart from every chain's streams. */
#define MIXING_SPLIT_KEY 0xD1B54A32D192ED03ull

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b); /* NaN last */
    return (a > b) - (a < b);
}

double psamp_ks_distance(double *a, int32_t na, double *b, int32_t nb) {
    if (na <= 0 || nb <= 0) return 0.0;
    qsort(a, (size_t)na, sizeof *a, cmp_double);
    qsort(b, (size_t)nb, sizeof *b, cmp_double);
    int32_t i = 0, j = 0;
    double d = 0.0;
    /* Step through the distinct values: both CDFs take every copy of a value at once, so a
     * value shared by both samples never opens a gap that is not there. */
    while (i < na && j < nb) {
        double v = a[i] < b[j] ? a[i] : b[j];
        while (i < na && !(a[i] > v)) i++;
        while (j < nb && !(b[j] > v)) j++;
        double gap = fabs((double)i / na - (double)j / nb);
        if (gap > d) d = gap;
    }
    return d;
}

static int cmp_i32(const void *pa, const void *pb) {
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

/* The group's most common first drawn token, lowest id on ties; sorts a copy in `work`. */
static int32_t most_common_first(const psamp_chain_result *g, int32_t n, int32_t *work) {
    for (int32_t i = 0; i < n; i++) work[i] = g[i].first_token_drawn;
    qsort(work, (size_t)n, sizeof *work, cmp_i32);
    int32_t best = work[0], best_count = 0;
    for (int32_t i = 0, run = 0; i < n; i++) {
        run = i > 0 && work[i] == work[i - 1] ? run + 1 : 1;
        if (run > best_count) { /* ascending, so a tie keeps the lower id */
            best = work[i];
            best_count = run;
        }
    }
    return best;
}

/* KS distance between the first n_a entries of v (after a shuffle) and the rest. */
static double split_ks(const double *v, int32_t n, int32_t n_a, double *work) {
    memcpy(work, v, (size_t)n * sizeof *v);
    return psamp_ks_distance(work, n_a, work + n_a, n - n_a);
}

/* Fisher-Yates shuffle keyed by (seed, split key + group, counters from *counter). */
static void shuffle(double *v, int32_t n, uint64_t seed, uint64_t stream, uint64_t *counter) {
    for (int32_t i = n - 1; i > 0; i--) {
        uint64_t r = psamp_philox_u32(seed, stream, (*counter)++);
        int32_t j = (int32_t)((r * (uint64_t)(i + 1)) >> 32);
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

typedef struct {
    double sum, weight;
} weighted_mean;

static void add(weighted_mean *m, double value, double weight) {
    m->sum += value * weight;
    m->weight += weight;
}

static double mean_of(const weighted_mean *m) { return m->weight > 0 ? m->sum / m->weight : NAN; }

int psamp_run_mixing(const psamp_chain_result *chains, int32_t n, int32_t chains_per_group,
                     int32_t probe_steps, uint64_t seed, psamp_mixing *out, psamp_err *err) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return psamp_fail(err, "mixing: no chains");
    if (chains_per_group <= 0 || chains_per_group > n) chains_per_group = n;
    /* Work arrays of one group's size: the two sides, a shuffled copy, the first tokens. */
    double *side = malloc((size_t)chains_per_group * 3 * sizeof *side);
    int32_t *firsts = malloc((size_t)chains_per_group * sizeof *firsts);
    if (!side || !firsts) {
        free(side);
        free(firsts);
        return psamp_fail(err, "out of memory for the mixing statistics");
    }
    double *other = side + chains_per_group, *shuffled = other + chains_per_group;
    weighted_mean start = {0, 0}, start_null = {0, 0}, shift = {0, 0};
    int64_t turned = 0, proposals = 0, accepted = 0;
    out->probe_steps = probe_steps;
    for (int32_t g0 = 0, group = 0; g0 < n; g0 += chains_per_group, group++) {
        const psamp_chain_result *g = chains + g0;
        int32_t m = n - g0 < chains_per_group ? n - g0 : chains_per_group, n_a = 0, n_b = 0;
        out->groups++;
        int32_t mode = most_common_first(g, m, firsts);
        for (int32_t i = 0; i < m; i++) {
            if (g[i].first_token_drawn == mode) side[n_a++] = g[i].logp_sum;
            else other[n_b++] = g[i].logp_sum;
            turned += g[i].n_tokens > 0 && g[i].tokens[0] != g[i].first_token_drawn;
            proposals += g[i].proposals;
            accepted += g[i].accepted;
        }
        if (n_a > 0 && n_b > 0) {
            out->groups_split++;
            /* The null splits shuffle the group's log p in chain order, so they see the same
             * values as the real split, only not sorted by where the chains started. */
            for (int32_t i = 0; i < m; i++) shuffled[i] = g[i].logp_sum;
            add(&start, psamp_ks_distance(side, n_a, other, n_b), m);
            uint64_t counter = 0, stream = MIXING_SPLIT_KEY + (uint64_t)group;
            double null_sum = 0.0;
            for (int s = 0; s < PSAMP_MIXING_NULL_SPLITS; s++) {
                shuffle(shuffled, m, seed, stream, &counter);
                null_sum += split_ks(shuffled, m, n_a, side);
            }
            add(&start_null, null_sum / PSAMP_MIXING_NULL_SPLITS, m);
        }
        if (probe_steps > 0) {
            for (int32_t i = 0; i < m; i++) {
                side[i] = g[i].logp_sum;
                other[i] = g[i].probe_logp_sum;
            }
            add(&shift, psamp_ks_distance(side, m, other, m), m);
        }
    }
    free(side);
    free(firsts);
    out->start_dependence = mean_of(&start);
    out->start_dependence_null = mean_of(&start_null);
    out->probe_shift = probe_steps > 0 ? mean_of(&shift) : NAN;
    out->first_token_turnover = (double)turned / n;
    out->acceptance = proposals > 0 ? (double)accepted / (double)proposals : NAN;
    double excess = out->start_dependence - out->start_dependence_null;
    if (isnan(excess)) excess = 0.0; /* every chain drew the same first token */
    out->score = probe_steps > 0 && out->probe_shift > excess ? out->probe_shift : excess;
    return 0;
}

/* Score levels of the verdict. On the toy worlds of tests/test_mixing_toy.c the score is
 * close to the true TV distance to p^alpha (docs/mixing.md), so these read as TV. */
#define MIXING_NOT_MIXED 0.10
#define MIXING_PARTLY 0.03
/* Above this noise level (few chains) a small score says little. */
#define MIXING_NOISY 0.10

void psamp_mixing_verdict(const psamp_mixing *m, char *buf, size_t cap) {
    char what[128];
    int have_start = m->groups_split > 0, have_probe = m->probe_steps > 0 && !isnan(m->probe_shift);
    if (!have_start && !have_probe) {
        snprintf(buf, cap, "not measurable: every chain drew the same first token; --mixing-probe P "
                           "measures whether the chains still move");
        return;
    }
    int n = 0;
    if (have_start)
        n = snprintf(what, sizeof what, "start dependence %.2f (noise %.2f)", m->start_dependence,
                     m->start_dependence_null);
    if (have_probe && n >= 0 && (size_t)n < sizeof what)
        snprintf(what + n, sizeof what - (size_t)n, "%sprobe shift %.2f", have_start ? ", " : "",
                 m->probe_shift);
    const char *reading;
    if (m->score >= MIXING_NOT_MIXED)
        reading = "not mixed; more MCMC steps, more blocks or proposal temperature 1";
    else if (m->score >= MIXING_PARTLY)
        reading = "not fully mixed; more MCMC steps would help";
    else if (have_start && m->start_dependence_null > MIXING_NOISY)
        reading = "no sign of poor mixing, but too few chains to see much; run more chains";
    else if (!have_start)
        reading = "the chains no longer drift (the start term needs chains that drew different first tokens)";
    else
        reading = "no sign of poor mixing at this noise level";
    snprintf(buf, cap, "%s: %s", what, reading);
}
