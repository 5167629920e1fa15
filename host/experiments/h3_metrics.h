/* H3's measures of one sample, all on a fixed number of tokens so that methods compare at
 * equal length: log p (total and per token) and repetition -- distinct n-grams and the
 * longest repeated loop. */
#ifndef PSAMP_H3_METRICS_H
#define PSAMP_H3_METRICS_H

#include <stdint.h>

#define H3_MAX_NGRAM 3

typedef struct {
    double logp_total;           /* sum of log p over the tokens */
    double logp_per_token;
    double distinct[H3_MAX_NGRAM]; /* distinct-n: unique n-grams / n-grams, n = 1..3 (NaN when
                                      the sample is shorter than n) */
    int32_t loop_tokens;         /* longest stretch that is one block repeated back to back
                                    (at least twice): "a b a b a" has 5; 0 when none */
    int32_t loop_period;         /* that block's length */
} h3_sample_metrics;

/* Measures tokens[0..n) with their log p (n >= 1). */
void h3_measure(const int32_t *tokens, const float *logp, int32_t n, h3_sample_metrics *out);

/* Fraction of distinct n-grams in tokens[0..len); NaN when len < n. */
double h3_distinct_ngrams(const int32_t *tokens, int32_t len, int32_t n);
/* The longest loop: a stretch x[i..i+L) with x[j] = x[j+p] throughout and L >= 2p; the
 * smallest such p for the longest L. */
void h3_longest_loop(const int32_t *tokens, int32_t len, int32_t *loop_tokens, int32_t *period);

#endif
