/* The toy engine: host/engine/engine.h over a toy world (toy_world.h). A slot is a token
 * sequence plus the automaton state after each prefix; the start state precedes the first
 * token, so an empty prompt is the normal case (min_prompt = 0) and every generated token,
 * the first included, has its real log-probability. Sampling goes through the shared row
 * sampler with logits = log p, so the toy engine draws exactly as the OPT engines do. */
#ifndef PSAMP_ENGINE_TOY_H
#define PSAMP_ENGINE_TOY_H

#include <stdint.h>

#include "engine.h"
#include "toy_world.h"

/* Creates an engine with n_slots empty slots of max_len tokens each. The engine borrows w:
 * it must outlive the engine. A step ends a slot (`ended` = 1) on a null transition or when
 * the slot reaches the world's length. */
int psamp_engine_toy_create(const toy_world *w, int32_t n_slots, int32_t max_len,
                            psamp_engine **out, psamp_err *err);

/* Looks inside a toy engine's slot (for tests and exact checks): its tokens (valid until
 * the next call that changes the slot), length, and whether it has ended. */
int psamp_engine_toy_slot(const psamp_engine *e, int32_t slot, const int32_t **tokens,
                          int32_t *len, int32_t *ended, psamp_err *err);

#endif
