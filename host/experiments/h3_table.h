/* H3's tallies: per (method, prompt) cell, the equal-length measures of the samples that
 * reached the full length, and the summary of a method over prompts (each prompt weighs
 * the same). */
#ifndef PSAMP_H3_TABLE_H
#define PSAMP_H3_TABLE_H

#include <stdint.h>

#include "h3_metrics.h"

typedef struct {
    int32_t samples;       /* samples drawn */
    int32_t full;          /* samples that reached the full length (the ones measured) */
    double sum_logp, sum_logp_sq, sum_per_token;
    double sum_distinct[H3_MAX_NGRAM];
    int32_t n_distinct[H3_MAX_NGRAM];
    double sum_loop;
    int32_t max_loop;
} h3_cell;

/* Means of a cell (or of a method over prompts); NaN where nothing was measured. */
typedef struct {
    int32_t samples, full, prompts;
    double logp_total, logp_total_sd, logp_per_token;
    double distinct[H3_MAX_NGRAM];
    double loop_tokens;
    int32_t loop_tokens_max;
} h3_stats;

void h3_cell_add(h3_cell *c, const h3_sample_metrics *m);
void h3_cell_stats(const h3_cell *c, h3_stats *out);
/* A method's summary over its n cells: the mean of each cell's means. */
void h3_summary_stats(const h3_cell *cells, int32_t n, h3_stats *out);

#endif
