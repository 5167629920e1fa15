/* H2, the correction tracker: where Metropolis-Hastings resamples and what it keeps.
 *
 * A tracker is fed one MH decision at a time (h2_step), from a `psamp generate --trace`
 * file (h2_read_trace) or live from the sampler's on_mh_step hook, and accumulates:
 *   - proposals and acceptances by resampled position idx, absolute and relative to the
 *     current length (n_bins bins of idx / len_current);
 *   - per (block, step): acceptance, the mean total log p and length of the chains before
 *     and after the decision (each record carries logp_prefix, so a record alone gives the
 *     chain's total: logp_prefix + logp_current before, + logp_proposal after an accept);
 *   - with a chain's tokens (a live run on a toy world): the fraction of chains whose
 *     sequence has left the greedy first token, and the fraction on a correct path;
 *   - the log p trajectories of the first few chains. */
#ifndef PSAMP_H2_H
#define PSAMP_H2_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Positions, blocks and steps beyond these are refused as corrupt input. */
#define H2_MAX_POSITION (1 << 24)
#define H2_MAX_BLOCKS (1 << 20)
#define H2_MAX_STEPS (1 << 20)
#define H2_TRAJECTORIES 8

typedef struct {
    uint64_t chain;
    int32_t block, step, idx, len_current, len_proposal, accepted;
    double logp_prefix, logp_current, logp_proposal;
    int32_t has_state;          /* the flags below are known (a live toy-world run) */
    int32_t off_greedy_before, off_greedy_after; /* first token differs from greedy's first */
    int32_t correct_before, correct_after;       /* sequence is a prefix of a correct one */
} h2_step;

typedef struct {
    int64_t n, accepted;
    double logp_before, logp_after, len_before, len_after; /* sums over chains */
    int64_t n_state, off_greedy_before, off_greedy_after, correct_before, correct_after;
} h2_cell;

typedef struct {
    int32_t n_steps, cap;
    h2_cell *cells;
} h2_block;

typedef struct {
    uint64_t chain;
    int64_t n, cap;
    int32_t *block, *step;
    double *logp; /* total log p after each decision */
} h2_trajectory;

/* Proposals and accepts at one position (or bin); gain sums logp_proposal - logp_current
 * over the accepts: how much log p the corrections there bought. */
typedef struct {
    int64_t proposals, accepted;
    double gain;
} h2_count;

typedef struct {
    int32_t n_bins;
    int64_t proposals, accepted, proposal_tokens, chains; /* chains: records at block 0, step 0 */
    int32_t n_pos, cap_pos;
    h2_count *pos;                   /* by absolute idx */
    h2_count *bins;                  /* [n_bins] by idx / len_current */
    int32_t n_blocks, cap_blocks;
    h2_block *blocks;
    int32_t n_traj;
    h2_trajectory traj[H2_TRAJECTORIES];
} h2_tracker;

int h2_tracker_init(h2_tracker *t, int32_t n_bins, psamp_err *err);
void h2_tracker_free(h2_tracker *t);
/* Checks the step (0 <= idx < len_current, idx < len_proposal, ranges) and adds it. */
int h2_tracker_add(h2_tracker *t, const h2_step *s, psamp_err *err);

/* Feeds every line of a `psamp generate --trace` file; errors name FILE:LINE and field. */
int h2_read_trace(const char *path, h2_tracker *t, psamp_err *err);
/* One trace line (JSON text) to a step; `where` prefixes errors (e.g. "t.jsonl:3"). */
int h2_parse_trace_line(const char *line, const char *where, h2_step *s, psamp_err *err);

typedef struct {
    const char *source;       /* the trace file, or "run" */
    const char *model;        /* may be NULL */
    const char *greedy_first; /* text of the greedy first token (toy runs), or NULL */
    double exact_off_greedy;  /* exact p^alpha mass off the greedy first token; NAN if unknown */
    double exact_correct;     /* exact p^alpha mass of the correct set; NAN if unknown */
} h2_meta;

/* The report as one JSON object (format in experiments/README.md, "## H2"). */
int h2_write_json(FILE *f, const h2_tracker *t, const h2_meta *meta, psamp_err *err);

#endif
