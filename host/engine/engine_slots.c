#include "engine_slots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int psamp_slots_init(psamp_slot_table *s, const char *engine, int32_t n_slots, int32_t max_len,
                     int32_t vocab_size, int32_t eos_id, psamp_err *err) {
    memset(s, 0, sizeof *s);
    s->engine = engine;
    s->n_slots = n_slots;
    s->max_len = max_len;
    s->vocab_size = vocab_size;
    s->eos_id = eos_id;
    s->tokens = calloc((size_t)n_slots * (size_t)max_len, sizeof *s->tokens);
    s->length = calloc((size_t)n_slots, sizeof *s->length);
    s->seen = calloc((size_t)n_slots, sizeof *s->seen);
    if (!s->tokens || !s->length || !s->seen) {
        psamp_slots_free(s);
        return psamp_fail(err, "%s: out of memory for the tokens of %d slots x %d", engine,
                          n_slots, max_len);
    }
    return 0;
}

uint64_t psamp_slots_bytes(int32_t n_slots, int32_t max_len) {
    psamp_slot_table s;
    return (uint64_t)n_slots * ((uint64_t)max_len * sizeof *s.tokens + sizeof *s.length + sizeof *s.seen);
}

void psamp_slots_free(psamp_slot_table *s) {
    free(s->tokens);
    free(s->length);
    free(s->seen);
    s->tokens = s->length = s->seen = NULL;
}

/* what names the argument ("prefill", "step request 3", "fork request 0 (src)"). */
static int check_slot(const psamp_slot_table *s, int32_t slot, const char *what, psamp_err *err) {
    if (slot < 0 || slot >= s->n_slots)
        return psamp_fail(err, "%s: %s: slot %d outside [0, %d)", s->engine, what, slot,
                          s->n_slots);
    return 0;
}

/* A new stamp for the repeated-slot checks (the array is cleared when stamps wrap). */
static int32_t next_stamp(psamp_slot_table *s) {
    if (s->stamp == INT32_MAX) {
        memset(s->seen, 0, (size_t)s->n_slots * sizeof *s->seen);
        s->stamp = 0;
    }
    return ++s->stamp;
}

int psamp_slots_check_prefill(const psamp_slot_table *s, int32_t slot, const int32_t *tokens,
                              int32_t n, int scoring, float tau, psamp_err *err) {
    if (check_slot(s, slot, "prefill", err)) return -1;
    if (n < 1 || n > s->max_len)
        return psamp_fail(err, "%s: prefill of slot %d: %d tokens, expected 1 to %d (max_len)",
                          s->engine, slot, n, s->max_len);
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->vocab_size)
            return psamp_fail(err,
                              "%s: prefill of slot %d: token %d at index %d is outside the "
                              "vocabulary [0, %d)",
                              s->engine, slot, tokens[i], i, s->vocab_size);
    if (scoring && !(tau > 0.0f && !isinf(tau)))
        return psamp_fail(err, "%s: prefill of slot %d: scoring temperature %g is not positive",
                          s->engine, slot, (double)tau);
    return 0;
}

void psamp_slots_set(psamp_slot_table *s, int32_t slot, const int32_t *tokens, int32_t n) {
    memmove(psamp_slot_tokens(s, slot), tokens, (size_t)n * sizeof *tokens);
    s->length[slot] = n;
}

int psamp_slots_check_forks(psamp_slot_table *s, const psamp_fork_request *forks, int32_t n,
                            psamp_err *err) {
    if (n < 0) return psamp_fail(err, "%s: fork of %d requests", s->engine, n);
    const int32_t stamp = next_stamp(s);
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        char what[48];
        snprintf(what, sizeof what, "fork request %d (dst)", i);
        if (check_slot(s, f->dst, what, err)) return -1;
        snprintf(what, sizeof what, "fork request %d (src)", i);
        if (check_slot(s, f->src, what, err)) return -1;
        if (f->keep < 0 || f->keep > s->length[f->src])
            return psamp_fail(err, "%s: fork request %d: keep %d outside [0, %d] (length of slot %d)",
                              s->engine, i, f->keep, s->length[f->src], f->src);
        if (s->seen[f->dst] == stamp)
            return psamp_fail(err, "%s: fork request %d: slot %d is the destination of two forks",
                              s->engine, i, f->dst);
        s->seen[f->dst] = stamp;
    }
    for (int32_t i = 0; i < n; i++)
        if (forks[i].src != forks[i].dst && s->seen[forks[i].src] == stamp)
            return psamp_fail(err,
                              "%s: fork request %d: source slot %d is also a fork destination "
                              "in this call",
                              s->engine, i, forks[i].src);
    return 0;
}

void psamp_slots_apply_forks(psamp_slot_table *s, const psamp_fork_request *forks, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        if (f->dst != f->src)
            memcpy(psamp_slot_tokens(s, f->dst), psamp_slot_tokens(s, f->src),
                   (size_t)f->keep * sizeof(int32_t));
        s->length[f->dst] = f->keep;
    }
}

int psamp_slots_check_step(psamp_slot_table *s, const psamp_step_request *reqs, int32_t n,
                           psamp_err *err) {
    if (n < 0 || n > s->n_slots)
        return psamp_fail(err, "%s: step of %d requests, expected 0 to %d (n_slots)", s->engine,
                          n, s->n_slots);
    const int32_t stamp = next_stamp(s);
    for (int32_t i = 0; i < n; i++) {
        const int32_t slot = reqs[i].slot;
        char what[32];
        snprintf(what, sizeof what, "step request %d", i);
        if (check_slot(s, slot, what, err)) return -1;
        if (s->seen[slot] == stamp)
            return psamp_fail(err, "%s: step request %d: slot %d is requested twice", s->engine,
                              i, slot);
        s->seen[slot] = stamp;
        if (s->length[slot] < 1)
            return psamp_fail(err, "%s: step request %d: slot %d is empty (prefill it first)",
                              s->engine, i, slot);
        if (s->length[slot] >= s->max_len)
            return psamp_fail(err, "%s: step request %d: slot %d is full (%d tokens, max_len %d)",
                              s->engine, i, slot, s->length[slot], s->max_len);
        if (!(reqs[i].tau >= 0.0f) || isinf(reqs[i].tau))
            return psamp_fail(err, "%s: step request %d: tau %g must be finite and >= 0",
                              s->engine, i, (double)reqs[i].tau);
    }
    return 0;
}

int psamp_slots_append(psamp_slot_table *s, int32_t slot, int32_t token) {
    psamp_slot_tokens(s, slot)[s->length[slot]++] = token;
    return token == s->eos_id;
}
