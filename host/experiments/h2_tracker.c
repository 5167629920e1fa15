/* H2's accumulators: every MH decision lands in its position, its relative-position bin,
 * its (block, step) cell and, for the first few chains, a log p trajectory. */
#include <stdlib.h>
#include <string.h>

#include "h2.h"

int h2_tracker_init(h2_tracker *t, int32_t n_bins, psamp_err *err) {
    memset(t, 0, sizeof *t);
    if (n_bins < 1 || n_bins > 1000) return psamp_fail(err, "--bins: %d is outside [1, 1000]", n_bins);
    t->n_bins = n_bins;
    t->bins = calloc((size_t)n_bins, sizeof *t->bins);
    if (!t->bins) return psamp_fail(err, "out of memory");
    return 0;
}

void h2_tracker_free(h2_tracker *t) {
    free(t->pos);
    free(t->bins);
    for (int32_t b = 0; b < t->n_blocks; b++) free(t->blocks[b].cells);
    free(t->blocks);
    for (int32_t i = 0; i < t->n_traj; i++) {
        free(t->traj[i].block);
        free(t->traj[i].step);
        free(t->traj[i].logp);
    }
    memset(t, 0, sizeof *t);
}

/* Grows a zero-filled array of `size`-byte items to hold index `need`. */
static int grow(void **arr, int32_t *cap, int32_t need, size_t size) {
    if (need < *cap) return 0;
    int32_t new_cap = *cap ? *cap : 16;
    while (new_cap <= need) new_cap *= 2;
    void *p = realloc(*arr, (size_t)new_cap * size);
    if (!p) return -1;
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(new_cap - *cap) * size);
    *arr = p;
    *cap = new_cap;
    return 0;
}

static void count(h2_count *c, int accepted, double gain) {
    c->proposals++;
    if (accepted) {
        c->accepted++;
        c->gain += gain;
    }
}

static int add_position(h2_tracker *t, const h2_step *s, double gain, psamp_err *err) {
    if (grow((void **)&t->pos, &t->cap_pos, s->idx, sizeof *t->pos) != 0)
        return psamp_fail(err, "out of memory for position %d", s->idx);
    if (s->idx >= t->n_pos) t->n_pos = s->idx + 1;
    count(&t->pos[s->idx], s->accepted, gain);
    count(&t->bins[(int64_t)s->idx * t->n_bins / s->len_current], s->accepted, gain);
    return 0;
}

static h2_cell *cell_for(h2_tracker *t, int32_t block, int32_t step) {
    if (grow((void **)&t->blocks, &t->cap_blocks, block, sizeof *t->blocks) != 0) return NULL;
    if (block >= t->n_blocks) t->n_blocks = block + 1;
    h2_block *b = &t->blocks[block];
    if (grow((void **)&b->cells, &b->cap, step, sizeof *b->cells) != 0) return NULL;
    if (step >= b->n_steps) b->n_steps = step + 1;
    return &b->cells[step];
}

static int add_trajectory(h2_tracker *t, const h2_step *s, double after, psamp_err *err) {
    h2_trajectory *tr = NULL;
    for (int32_t i = 0; i < t->n_traj; i++)
        if (t->traj[i].chain == s->chain) tr = &t->traj[i];
    if (!tr) {
        if (t->n_traj == H2_TRAJECTORIES) return 0;
        tr = &t->traj[t->n_traj++];
        tr->chain = s->chain;
    }
    if (tr->n == tr->cap) {
        int64_t cap = tr->cap ? 2 * tr->cap : 64;
        int32_t *b = realloc(tr->block, (size_t)cap * sizeof *b);
        if (b) tr->block = b;
        int32_t *st = realloc(tr->step, (size_t)cap * sizeof *st);
        if (st) tr->step = st;
        double *lp = realloc(tr->logp, (size_t)cap * sizeof *lp);
        if (lp) tr->logp = lp;
        if (!b || !st || !lp) return psamp_fail(err, "out of memory for a trajectory");
        tr->cap = cap;
    }
    tr->block[tr->n] = s->block;
    tr->step[tr->n] = s->step;
    tr->logp[tr->n] = after;
    tr->n++;
    return 0;
}

int h2_tracker_add(h2_tracker *t, const h2_step *s, psamp_err *err) {
    if (s->block < 0 || s->block >= H2_MAX_BLOCKS) return psamp_fail(err, "block %d is out of range", s->block);
    if (s->step < 0 || s->step >= H2_MAX_STEPS) return psamp_fail(err, "step %d is out of range", s->step);
    if (s->idx < 0 || s->idx >= H2_MAX_POSITION || s->idx >= s->len_current)
        return psamp_fail(err, "idx %d is outside [0, len_current %d)", s->idx, s->len_current);
    if (s->len_proposal <= s->idx || s->len_proposal > H2_MAX_POSITION)
        return psamp_fail(err, "len_proposal %d must exceed idx %d", s->len_proposal, s->idx);
    double before = s->logp_prefix + s->logp_current;
    double after = s->logp_prefix + (s->accepted ? s->logp_proposal : s->logp_current);
    double gain = s->logp_proposal - s->logp_current;
    if (add_position(t, s, gain, err) != 0) return -1;
    h2_cell *c = cell_for(t, s->block, s->step);
    if (!c) return psamp_fail(err, "out of memory for block %d step %d", s->block, s->step);
    t->proposals++;
    t->accepted += s->accepted != 0;
    t->proposal_tokens += s->len_proposal - s->idx;
    t->chains += s->block == 0 && s->step == 0;
    c->n++;
    c->accepted += s->accepted != 0;
    c->logp_before += before;
    c->logp_after += after;
    c->len_before += s->len_current;
    c->len_after += s->accepted ? s->len_proposal : s->len_current;
    if (s->has_state) {
        c->n_state++;
        c->off_greedy_before += s->off_greedy_before != 0;
        c->off_greedy_after += s->off_greedy_after != 0;
        c->correct_before += s->correct_before != 0;
        c->correct_after += s->correct_after != 0;
    }
    return add_trajectory(t, s, after, err);
}
