#include "h3_metrics.h"

#include <math.h>

static int same_ngram(const int32_t *a, const int32_t *b, int32_t n) {
    for (int32_t k = 0; k < n; k++)
        if (a[k] != b[k]) return 0;
    return 1;
}

double h3_distinct_ngrams(const int32_t *tokens, int32_t len, int32_t n) {
    if (n < 1 || len < n) return NAN;
    int32_t total = len - n + 1, unique = 0;
    /* Quadratic, but samples are at most a few thousand tokens and this runs once each. */
    for (int32_t i = 0; i < total; i++) {
        int32_t seen = 0;
        for (int32_t j = 0; j < i && !seen; j++) seen = same_ngram(tokens + i, tokens + j, n);
        unique += !seen;
    }
    return (double)unique / total;
}

void h3_longest_loop(const int32_t *tokens, int32_t len, int32_t *loop_tokens, int32_t *period) {
    int32_t best = 0, best_p = 0;
    for (int32_t p = 1; 2 * p <= len; p++) {
        int32_t run = 0; /* consecutive i with x[i] == x[i + p] */
        for (int32_t i = 0; i + p < len; i++) {
            run = tokens[i] == tokens[i + p] ? run + 1 : 0;
            /* run matches ending at i make x[i-run+1 .. i+p] periodic: run + p tokens. */
            if (run >= p && run + p > best) {
                best = run + p;
                best_p = p;
            }
        }
    }
    *loop_tokens = best;
    *period = best_p;
}

void h3_measure(const int32_t *tokens, const float *logp, int32_t n, h3_sample_metrics *out) {
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++) sum += logp[i];
    out->logp_total = sum;
    out->logp_per_token = n > 0 ? sum / n : NAN;
    for (int32_t k = 0; k < H3_MAX_NGRAM; k++) out->distinct[k] = h3_distinct_ngrams(tokens, n, k + 1);
    h3_longest_loop(tokens, n, &out->loop_tokens, &out->loop_period);
}
