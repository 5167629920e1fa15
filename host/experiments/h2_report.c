/* H2's report as JSON: columns of numbers, one entry per position, bin or MH decision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h2.h"
#include "json_write.h"

static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

/* "key":[v(0), ..., v(n-1)] with v computed per index. */
typedef double (*column_fn)(const void *ctx, int64_t i);
static void column(FILE *f, const char *key, int64_t n, column_fn fn, const void *ctx) {
    fprintf(f, ",\"%s\":[", key);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        psamp_json_number(f, fn(ctx, i));
    }
    fputc(']', f);
}

static double c_proposals(const void *c, int64_t i) { return (double)((const h2_count *)c)[i].proposals; }
static double c_accepted(const void *c, int64_t i) { return (double)((const h2_count *)c)[i].accepted; }
static double c_rate(const void *c, int64_t i) {
    const h2_count *k = (const h2_count *)c + i;
    return ratio((double)k->accepted, (double)k->proposals);
}
static double c_gain(const void *c, int64_t i) {
    const h2_count *k = (const h2_count *)c + i;
    return ratio(k->gain, (double)k->accepted);
}

static void write_counts(FILE *f, const char *key, const h2_count *c, int64_t n) {
    fprintf(f, ",\"%s\":{\"n\":%lld", key, (long long)n);
    column(f, "proposals", n, c_proposals, c);
    column(f, "accepted", n, c_accepted, c);
    column(f, "accept_rate", n, c_rate, c);
    column(f, "mean_gain", n, c_gain, c);
    fputc('}', f);
}

/* The (block, step) cells flattened in decision order. */
typedef struct {
    int64_t n;
    const h2_cell **cells;
    int32_t *block, *step;
} decisions;

static int flatten(const h2_tracker *t, decisions *d, psamp_err *err) {
    memset(d, 0, sizeof *d);
    for (int32_t b = 0; b < t->n_blocks; b++) d->n += t->blocks[b].n_steps;
    size_t n = d->n > 0 ? (size_t)d->n : 1;
    d->cells = malloc(n * sizeof *d->cells);
    d->block = malloc(n * sizeof *d->block);
    d->step = malloc(n * sizeof *d->step);
    if (!d->cells || !d->block || !d->step) return psamp_fail(err, "out of memory");
    int64_t k = 0;
    for (int32_t b = 0; b < t->n_blocks; b++)
        for (int32_t s = 0; s < t->blocks[b].n_steps; s++, k++) {
            d->cells[k] = &t->blocks[b].cells[s];
            d->block[k] = b;
            d->step[k] = s;
        }
    return 0;
}

static void free_decisions(decisions *d) {
    free(d->cells);
    free(d->block);
    free(d->step);
}

#define CELL(ctx, i) (((const decisions *)(ctx))->cells[i])
static double d_block(const void *c, int64_t i) { return ((const decisions *)c)->block[i]; }
static double d_step(const void *c, int64_t i) { return ((const decisions *)c)->step[i]; }
static double d_chains(const void *c, int64_t i) { return (double)CELL(c, i)->n; }
static double d_rate(const void *c, int64_t i) { return ratio((double)CELL(c, i)->accepted, (double)CELL(c, i)->n); }
static double d_lp_before(const void *c, int64_t i) { return ratio(CELL(c, i)->logp_before, (double)CELL(c, i)->n); }
static double d_lp_after(const void *c, int64_t i) { return ratio(CELL(c, i)->logp_after, (double)CELL(c, i)->n); }
static double d_len_before(const void *c, int64_t i) { return ratio(CELL(c, i)->len_before, (double)CELL(c, i)->n); }
static double d_len_after(const void *c, int64_t i) { return ratio(CELL(c, i)->len_after, (double)CELL(c, i)->n); }
static double d_off_before(const void *c, int64_t i) {
    return ratio((double)CELL(c, i)->off_greedy_before, (double)CELL(c, i)->n_state);
}
static double d_off_after(const void *c, int64_t i) {
    return ratio((double)CELL(c, i)->off_greedy_after, (double)CELL(c, i)->n_state);
}
static double d_correct_before(const void *c, int64_t i) {
    return ratio((double)CELL(c, i)->correct_before, (double)CELL(c, i)->n_state);
}
static double d_correct_after(const void *c, int64_t i) {
    return ratio((double)CELL(c, i)->correct_after, (double)CELL(c, i)->n_state);
}

static void write_steps(FILE *f, const decisions *d) {
    fprintf(f, ",\"steps\":{\"n\":%lld", (long long)d->n);
    fputs(",\"decision\":[", f);
    for (int64_t i = 0; i < d->n; i++) fprintf(f, i ? ",%lld" : "%lld", (long long)(i + 1));
    fputc(']', f);
    column(f, "block", d->n, d_block, d);
    column(f, "step", d->n, d_step, d);
    column(f, "chains", d->n, d_chains, d);
    column(f, "accept_rate", d->n, d_rate, d);
    column(f, "logp_before", d->n, d_lp_before, d);
    column(f, "logp_after", d->n, d_lp_after, d);
    column(f, "length_before", d->n, d_len_before, d);
    column(f, "length_after", d->n, d_len_after, d);
    column(f, "off_greedy_before", d->n, d_off_before, d);
    column(f, "off_greedy_after", d->n, d_off_after, d);
    column(f, "correct_before", d->n, d_correct_before, d);
    column(f, "correct_after", d->n, d_correct_after, d);
    fputc('}', f);
}

/* A trajectory's decisions numbered as in "steps": cells before its block, plus step + 1. */
static void write_trajectories(FILE *f, const h2_tracker *t) {
    fputs(",\"trajectories\":[", f);
    for (int32_t k = 0; k < t->n_traj; k++) {
        const h2_trajectory *tr = &t->traj[k];
        fprintf(f, "%s{\"chain\":%llu,\"decision\":[", k ? "," : "", (unsigned long long)tr->chain);
        for (int64_t i = 0; i < tr->n; i++) {
            int64_t d = tr->step[i] + 1;
            for (int32_t b = 0; b < tr->block[i]; b++) d += t->blocks[b].n_steps;
            fprintf(f, i ? ",%lld" : "%lld", (long long)d);
        }
        fputs("],\"logp\":[", f);
        for (int64_t i = 0; i < tr->n; i++) {
            if (i) fputc(',', f);
            psamp_json_number(f, tr->logp[i]);
        }
        fputs("]}", f);
    }
    fputc(']', f);
}

static void string_or_null(FILE *f, const char *s) {
    if (s) psamp_json_string(f, s, strlen(s));
    else fputs("null", f);
}

int h2_write_json(FILE *f, const h2_tracker *t, const h2_meta *meta, psamp_err *err) {
    decisions d;
    if (flatten(t, &d, err) != 0) {
        free_decisions(&d);
        return -1;
    }
    fputs("{\"experiment\":\"h2\",\"source\":", f);
    string_or_null(f, meta->source);
    fputs(",\"model\":", f);
    string_or_null(f, meta->model);
    fprintf(f, ",\"chains\":%lld,\"proposals\":%lld,\"accepted\":%lld,", (long long)t->chains,
            (long long)t->proposals, (long long)t->accepted);
    psamp_json_key_number(f, "accept_rate", ratio((double)t->accepted, (double)t->proposals));
    fputc(',', f);
    psamp_json_key_number(f, "mean_proposal_tokens", ratio((double)t->proposal_tokens, (double)t->proposals));
    fputs(",\"greedy_first\":", f);
    string_or_null(f, meta->greedy_first);
    fputs(",\"exact\":{", f);
    psamp_json_key_number(f, "off_greedy", meta->exact_off_greedy);
    fputc(',', f);
    psamp_json_key_number(f, "correct", meta->exact_correct);
    fputc('}', f);
    write_counts(f, "by_position", t->pos, t->n_pos);
    write_counts(f, "by_relative_position", t->bins, t->n_bins);
    write_steps(f, &d);
    write_trajectories(f, t);
    fputs("}\n", f);
    free_decisions(&d);
    if (ferror(f)) return psamp_fail(err, "write failed");
    return 0;
}
