/* The toy engine (engine_toy.h): slots over a toy world's automaton. Every operation
 * validates its whole batch before it changes any slot, so a failed call leaves the engine
 * as it was. */
#include "engine_toy.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "sample_row.h"

typedef struct {
    psamp_engine base; /* first: the engine interface */
    const toy_world *world;
    float *logits;     /* [n_states * n_tokens]: log p, -INFINITY where impossible */
    int32_t *tokens;   /* [n_slots * max_len] */
    int32_t *states;   /* [n_slots * (max_len + 1)]: the state after each prefix; [0] = start,
                          TOY_END after a null transition */
    int32_t *len;      /* [n_slots] */
    /* Scratch for checking that a batch names distinct slots: mark[slot] == generation
     * means "seen in this batch", owner[slot] = the request that named it. */
    uint32_t *mark;
    int32_t *owner;
    uint32_t generation;
} toy_engine;

static const char TOY_BACKEND[] = "toy";

static int32_t *slot_tokens(const toy_engine *t, int32_t slot) {
    return t->tokens + (size_t)slot * (size_t)t->base.info.max_len;
}

static int32_t *slot_states(const toy_engine *t, int32_t slot) {
    return t->states + (size_t)slot * ((size_t)t->base.info.max_len + 1);
}

/* A slot is complete once a null transition ended it or it holds `length` tokens. */
static int slot_ended(const toy_engine *t, int32_t slot) {
    int32_t n = t->len[slot];
    return (n > 0 && slot_states(t, slot)[n] == TOY_END) || n >= t->world->length;
}

static int check_slot(const toy_engine *t, int32_t slot, const char *what, psamp_err *err) {
    if (slot < 0 || slot >= t->base.info.n_slots)
        return psamp_fail(err, "toy engine: %s: slot %d is outside [0, %d)", what, slot, t->base.info.n_slots);
    return 0;
}

/* Starts a new batch for the distinct-slot checks. */
static void new_batch(toy_engine *t) {
    if (++t->generation == 0) { /* wrapped: forget every old mark */
        memset(t->mark, 0, (size_t)t->base.info.n_slots * sizeof *t->mark);
        t->generation = 1;
    }
}

static void toy_destroy(psamp_engine *e) {
    toy_engine *t = (toy_engine *)e;
    free(t->logits);
    free(t->tokens);
    free(t->states);
    free(t->len);
    free(t->mark);
    free(t->owner);
    free(t);
}

/* log softmax(log p(. | state) / tau)[token]: the per-state temperature distribution. */
static double tempered_logp(const toy_world *w, int32_t state, int32_t token, float tau) {
    const double *row = w->logp + (size_t)state * (size_t)w->n_tokens;
    if (tau == 1.0f) return row[token];
    double max = -INFINITY, sum = 0.0;
    for (int32_t k = 0; k < w->n_tokens; k++)
        if (row[k] > max) max = row[k];
    for (int32_t k = 0; k < w->n_tokens; k++) sum += exp((row[k] - max) / tau);
    return (row[token] - max) / tau - log(sum);
}

static int toy_prefill(psamp_engine *e, int32_t slot, const int32_t *tokens, int32_t n, float tau,
                       float *logp, psamp_err *err) {
    toy_engine *t = (toy_engine *)e;
    const toy_world *w = t->world;
    if (check_slot(t, slot, "prefill", err) != 0) return -1;
    if (n < 0 || n > e->info.max_len)
        return psamp_fail(err, "toy engine: prefill slot %d: %d tokens, outside [0, %d]", slot, n, e->info.max_len);
    if (logp && !(tau > 0.0f))
        return psamp_fail(err, "toy engine: prefill slot %d: scoring temperature %g is not positive", slot, tau);
    double total;
    int32_t last;
    if (toy_world_walk(w, tokens, n, &total, &last, err) != 0)
        return psamp_fail_context(err, "toy engine: prefill slot %d", slot);
    int32_t *toks = slot_tokens(t, slot), *st = slot_states(t, slot);
    st[0] = w->start;
    for (int32_t i = 0; i < n; i++) {
        size_t cell = (size_t)st[i] * (size_t)w->n_tokens + (size_t)tokens[i];
        toks[i] = tokens[i];
        st[i + 1] = w->next[cell];
        if (logp) logp[i] = (float)tempered_logp(w, st[i], tokens[i], tau);
    }
    t->len[slot] = n;
    return 0;
}

static int toy_fork(psamp_engine *e, const psamp_fork_request *forks, int32_t n, psamp_err *err) {
    toy_engine *t = (toy_engine *)e;
    new_batch(t);
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        if (check_slot(t, f->dst, "fork dst", err) != 0 || check_slot(t, f->src, "fork src", err) != 0)
            return psamp_fail_context(err, "fork %d", i);
        if (f->keep < 0 || f->keep > t->len[f->src])
            return psamp_fail(err, "toy engine: fork %d: keep %d is outside [0, %d] (length of slot %d)", i,
                              f->keep, t->len[f->src], f->src);
        if (t->mark[f->dst] == t->generation)
            return psamp_fail(err, "toy engine: fork %d: slot %d is the dst of fork %d too", i, f->dst,
                              t->owner[f->dst]);
        t->mark[f->dst] = t->generation;
        t->owner[f->dst] = i;
    }
    /* Forks apply as if simultaneously only when no fork reads a slot another one writes. */
    for (int32_t i = 0; i < n; i++) {
        int32_t src = forks[i].src;
        if (t->mark[src] == t->generation && t->owner[src] != i)
            return psamp_fail(err, "toy engine: fork %d: src slot %d is the dst of fork %d", i, src, t->owner[src]);
    }
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        if (f->dst != f->src) {
            memcpy(slot_tokens(t, f->dst), slot_tokens(t, f->src), (size_t)f->keep * sizeof(int32_t));
            memcpy(slot_states(t, f->dst), slot_states(t, f->src), ((size_t)f->keep + 1) * sizeof(int32_t));
        }
        t->len[f->dst] = f->keep;
    }
    return 0;
}

static int check_step_request(toy_engine *t, const psamp_step_request *r, int32_t i, psamp_err *err) {
    if (check_slot(t, r->slot, "step", err) != 0) return psamp_fail_context(err, "request %d", i);
    if (!(r->tau >= 0.0f) || !isfinite(r->tau))
        return psamp_fail(err, "toy engine: step request %d: tau %g is not a finite number >= 0", i, (double)r->tau);
    if (t->mark[r->slot] == t->generation)
        return psamp_fail(err, "toy engine: step request %d: slot %d is also stepped by request %d", i, r->slot,
                          t->owner[r->slot]);
    t->mark[r->slot] = t->generation;
    t->owner[r->slot] = i;
    if (slot_ended(t, r->slot))
        return psamp_fail(err, "toy engine: step request %d: slot %d has ended (%d tokens)", i, r->slot,
                          t->len[r->slot]);
    if (t->len[r->slot] >= t->base.info.max_len)
        return psamp_fail(err, "toy engine: step request %d: slot %d is full (max_len %d)", i, r->slot,
                          t->base.info.max_len);
    return 0;
}

static int toy_step(psamp_engine *e, const psamp_step_request *reqs, int32_t n, psamp_step_result *out,
                    psamp_err *err) {
    toy_engine *t = (toy_engine *)e;
    const toy_world *w = t->world;
    const int32_t vocab = w->n_tokens;
    new_batch(t);
    for (int32_t i = 0; i < n; i++)
        if (check_step_request(t, &reqs[i], i, err) != 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        const psamp_step_request *r = &reqs[i];
        int32_t *st = slot_states(t, r->slot), pos = t->len[r->slot];
        size_t row = (size_t)st[pos] * (size_t)vocab;
        double u = r->tau > 0.0f ? psamp_u32_to_unit(psamp_philox_u32(r->seed, r->stream, r->counter)) : 0.5;
        psamp_row_sample s = psamp_sample_row(t->logits + row, vocab, r->tau, u);
        slot_tokens(t, r->slot)[pos] = s.token;
        st[pos + 1] = w->next[row + (size_t)s.token];
        t->len[r->slot] = pos + 1;
        out[i].token = s.token;
        out[i].logp = (float)w->logp[row + (size_t)s.token];
        out[i].logq = s.logq;
        out[i].ended = slot_ended(t, r->slot);
    }
    return 0;
}

static const psamp_engine_ops TOY_OPS = {toy_destroy, toy_prefill, toy_fork, toy_step};

int psamp_engine_toy_create(const toy_world *w, int32_t n_slots, int32_t max_len, psamp_engine **out,
                            psamp_err *err) {
    *out = NULL;
    if (!w) return psamp_fail(err, "toy engine: no world");
    if (n_slots < 1) return psamp_fail(err, "toy engine: n_slots %d is less than 1", n_slots);
    if (max_len < 1) return psamp_fail(err, "toy engine: max_len %d is less than 1", max_len);
    size_t cells = (size_t)w->n_states * (size_t)w->n_tokens;
    size_t slots = (size_t)n_slots, per_slot = (size_t)max_len + 1;
    if (per_slot > SIZE_MAX / sizeof(int32_t) / 2 / slots)
        return psamp_fail(err, "toy engine: %d slots x %d tokens do not fit in memory", n_slots, max_len);
    toy_engine *t = calloc(1, sizeof *t);
    if (!t) return psamp_fail(err, "toy engine: out of memory");
    t->world = w;
    t->logits = malloc(cells * sizeof *t->logits);
    t->tokens = malloc(slots * (size_t)max_len * sizeof *t->tokens);
    t->states = malloc(slots * per_slot * sizeof *t->states);
    t->len = calloc(slots, sizeof *t->len);
    t->mark = calloc(slots, sizeof *t->mark);
    t->owner = calloc(slots, sizeof *t->owner);
    if (!t->logits || !t->tokens || !t->states || !t->len || !t->mark || !t->owner) {
        toy_destroy(&t->base);
        return psamp_fail(err, "toy engine: out of memory for %d slots x %d tokens", n_slots, max_len);
    }
    for (size_t c = 0; c < cells; c++) t->logits[c] = (float)w->logp[c];
    for (size_t s = 0; s < slots; s++) t->states[s * per_slot] = w->start;
    t->base.ops = &TOY_OPS;
    t->base.info.backend = TOY_BACKEND;
    snprintf(t->base.info.detail, sizeof t->base.info.detail, "toy world %.80s: %d tokens, %d states, length %d",
             w->name, w->n_tokens, w->n_states, w->length);
    t->base.info.vocab_size = w->n_tokens;
    t->base.info.n_slots = n_slots;
    t->base.info.max_len = max_len;
    t->base.info.min_prompt = 0;
    *out = &t->base;
    return 0;
}

int psamp_engine_toy_slot(const psamp_engine *e, int32_t slot, const int32_t **tokens, int32_t *len,
                          int32_t *ended, psamp_err *err) {
    if (!e || e->info.backend != TOY_BACKEND) return psamp_fail(err, "toy engine: not a toy engine");
    const toy_engine *t = (const toy_engine *)e;
    if (check_slot(t, slot, "slot", err) != 0) return -1;
    *tokens = slot_tokens(t, slot);
    *len = t->len[slot];
    *ended = slot_ended(t, slot);
    return 0;
}
