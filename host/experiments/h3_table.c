#include "h3_table.h"

#include <math.h>
#include <string.h>

void h3_cell_add(h3_cell *c, const h3_sample_metrics *m) {
    c->full++;
    c->sum_logp += m->logp_total;
    c->sum_logp_sq += m->logp_total * m->logp_total;
    c->sum_per_token += m->logp_per_token;
    for (int k = 0; k < H3_MAX_NGRAM; k++)
        if (!isnan(m->distinct[k])) {
            c->sum_distinct[k] += m->distinct[k];
            c->n_distinct[k]++;
        }
    c->sum_loop += m->loop_tokens;
    if (m->loop_tokens > c->max_loop) c->max_loop = m->loop_tokens;
}

void h3_cell_stats(const h3_cell *c, h3_stats *out) {
    memset(out, 0, sizeof *out);
    out->samples = c->samples;
    out->full = c->full;
    out->prompts = 1;
    double n = c->full;
    out->logp_total = n > 0 ? c->sum_logp / n : NAN;
    /* Sample standard deviation; 0 for a single sample (greedy). */
    double var = n > 1 ? (c->sum_logp_sq - c->sum_logp * c->sum_logp / n) / (n - 1) : 0.0;
    out->logp_total_sd = n > 0 ? sqrt(var > 0 ? var : 0.0) : NAN;
    out->logp_per_token = n > 0 ? c->sum_per_token / n : NAN;
    for (int k = 0; k < H3_MAX_NGRAM; k++)
        out->distinct[k] = c->n_distinct[k] ? c->sum_distinct[k] / c->n_distinct[k] : NAN;
    out->loop_tokens = n > 0 ? c->sum_loop / n : NAN;
    out->loop_tokens_max = c->max_loop;
}

void h3_summary_stats(const h3_cell *cells, int32_t n, h3_stats *out) {
    h3_stats sum;
    int32_t used = 0, used_distinct[H3_MAX_NGRAM] = {0};
    memset(&sum, 0, sizeof sum);
    memset(out, 0, sizeof *out);
    for (int32_t i = 0; i < n; i++) {
        h3_stats s;
        h3_cell_stats(&cells[i], &s);
        out->samples += s.samples;
        out->full += s.full;
        if (s.loop_tokens_max > out->loop_tokens_max) out->loop_tokens_max = s.loop_tokens_max;
        if (s.full == 0) continue;
        used++;
        sum.logp_total += s.logp_total;
        sum.logp_total_sd += s.logp_total_sd;
        sum.logp_per_token += s.logp_per_token;
        sum.loop_tokens += s.loop_tokens;
        for (int k = 0; k < H3_MAX_NGRAM; k++)
            if (!isnan(s.distinct[k])) {
                sum.distinct[k] += s.distinct[k];
                used_distinct[k]++;
            }
    }
    out->prompts = used;
    out->logp_total = used ? sum.logp_total / used : NAN;
    out->logp_total_sd = used ? sum.logp_total_sd / used : NAN; /* mean within-prompt spread */
    out->logp_per_token = used ? sum.logp_per_token / used : NAN;
    out->loop_tokens = used ? sum.loop_tokens / used : NAN;
    for (int k = 0; k < H3_MAX_NGRAM; k++) out->distinct[k] = used_distinct[k] ? sum.distinct[k] / used_distinct[k] : NAN;
}
