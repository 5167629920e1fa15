/* A toy world: a probabilistic automaton over a small vocabulary, loaded from the JSON
 * format of docs/formats.md. It is a language model small enough to know exactly:
 * the toy engine (engine_toy.h) samples from it, toy_exact.h computes its exact answers.
 *
 * Transitions are kept as dense [state][token] tables (vocabularies are tiny), so the
 * engine and the dynamic programs look a transition up in one index. */
#ifndef PSAMP_TOY_WORLD_H
#define PSAMP_TOY_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Values of toy_world.next[] besides a state index. */
#define TOY_END (-1)        /* the transition ends the sequence (`null` in the spec) */
#define TOY_IMPOSSIBLE (-2) /* the token is not listed in that state: probability 0 */

typedef struct {
    char *name;       /* the spec's "name", or its file name when absent */
    int32_t n_tokens; /* vocabulary size; token i has id i */
    char **tokens;    /* token strings (the text of a sequence joins them) */
    int32_t length;   /* maximum sequence length, >= 1 */
    int32_t n_states;
    char **state_names;
    int32_t start;    /* index of the state before the first token */
    /* [n_states * n_tokens], row = state: the probability of each token (0 when not
     * listed), its log (-INFINITY when not listed) and where it leads (a state index,
     * TOY_END or TOY_IMPOSSIBLE). Rows are renormalised to sum to exactly 1 (the spec
     * allows 1e-6 of slack) so that every consumer sees one and the same distribution. */
    double *prob;
    double *logp;
    int32_t *next;
    /* The optional "correct" set: sequence c is correct_tokens[correct_offset[c] ..
     * correct_offset[c + 1]). n_correct = 0 when the spec has none. */
    int32_t n_correct;
    int32_t *correct_offset;
    int32_t *correct_tokens;
} toy_world;

/* Loads and validates a spec file. On failure *out is NULL and err says, in one line, the
 * file and the field at fault ("w.json: states.good.X: probability -0.1 is not positive"). */
int toy_world_load(const char *path, toy_world **out, psamp_err *err);
/* The same from a JSON text in memory; `label` stands for the file name in messages. */
int toy_world_parse(const char *json, size_t len, const char *label, toy_world **out,
                    psamp_err *err);
void toy_world_free(toy_world *w);

/* The id of a token string, or -1. */
int32_t toy_world_token_id(const toy_world *w, const char *token);

/* Walks tokens[0..n) from the start state. Returns 0 when the world can produce them
 * (then *logp = their summed log-probability and *end_state = the state after the last
 * token, TOY_END when a null transition ended the sequence); -1 with err naming the first
 * impossible position (a token not listed in its state, a token after the end, or more
 * tokens than the world's length). */
int toy_world_walk(const toy_world *w, const int32_t *tokens, int32_t n, double *logp,
                   int32_t *end_state, psamp_err *err);

/* 1 when tokens[0..n) is one of the world's `correct` sequences (0 without a correct set). */
int toy_world_is_correct(const toy_world *w, const int32_t *tokens, int32_t n);

/* Writes the text of a sequence (token strings joined) into buf[0..cap), truncating with
 * "..." when it does not fit; returns buf. */
char *toy_world_text(const toy_world *w, const int32_t *tokens, int32_t n, char *buf, size_t cap);

#endif
