/* The host-side bookkeeping every OPT engine needs for its slots: each slot's tokens and
 * length, and the argument checks of prefill, fork and step (one-line errors that name the
 * engine, the request and the slot). Engines keep their model state (KV caches) themselves;
 * this table says which positions of it are live.
 *
 * A slot of length n holds tokens[0..n) and the KV of positions [0, n-1): its last token is
 * pending (host/engine/engine.h). */
#ifndef PSAMP_ENGINE_SLOTS_H
#define PSAMP_ENGINE_SLOTS_H

#include <stdint.h>

#include "engine.h"

typedef struct {
    const char *engine;    /* names the engine in messages: "cuda engine" */
    int32_t n_slots, max_len, vocab_size;
    int32_t eos_id;        /* -1: none */
    int32_t *tokens;       /* [n_slots][max_len] */
    int32_t *length;       /* [n_slots] */
    int32_t *seen;         /* [n_slots] stamps that catch a slot named twice in one call */
    int32_t stamp;
} psamp_slot_table;

int psamp_slots_init(psamp_slot_table *s, const char *engine, int32_t n_slots, int32_t max_len,
                     int32_t vocab_size, int32_t eos_id, psamp_err *err);
/* What psamp_slots_init allocates for n_slots of max_len tokens. */
uint64_t psamp_slots_bytes(int32_t n_slots, int32_t max_len);
void psamp_slots_free(psamp_slot_table *s);

static inline int32_t *psamp_slot_tokens(const psamp_slot_table *s, int32_t slot) {
    return s->tokens + (int64_t)slot * s->max_len;
}

/* Checks a prefill (slot in range, 1 <= n <= max_len, tokens in the vocabulary, and when
 * scoring a positive temperature tau). */
int psamp_slots_check_prefill(const psamp_slot_table *s, int32_t slot, const int32_t *tokens,
                              int32_t n, int scoring, float tau, psamp_err *err);
/* Sets slot to tokens[0..n) (after the engine has computed its KV). */
void psamp_slots_set(psamp_slot_table *s, int32_t slot, const int32_t *tokens, int32_t n);

/* Checks a fork call: slots in range, keep within src's length, no dst twice, no dst that is
 * the src of another fork (so the forks may run in any order, or all at once). */
int psamp_slots_check_forks(psamp_slot_table *s, const psamp_fork_request *forks, int32_t n,
                            psamp_err *err);
/* Applies checked forks to the tokens and lengths. */
void psamp_slots_apply_forks(psamp_slot_table *s, const psamp_fork_request *forks, int32_t n);

/* Checks a step: 0 <= n <= n_slots, slots in range and distinct, each non-empty and not
 * full, tau finite and >= 0. */
int psamp_slots_check_step(psamp_slot_table *s, const psamp_step_request *reqs, int32_t n,
                           psamp_err *err);
/* Appends a sampled token to slot; returns 1 when it ends the sequence (EOS). */
int psamp_slots_append(psamp_slot_table *s, int32_t slot, int32_t token);

#endif
