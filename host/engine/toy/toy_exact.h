/* Exact answers for toy worlds, by dynamic programming over (position, state), never by
 * sampling: what power sampling and temperature sampling should produce.
 *
 * Complete sequences for max_tokens T (1 <= T <= the world's length) are the token
 * sequences the automaton can produce that end with a null transition at or before T
 * tokens, or that reach T tokens (cut there). A sequence's probability p(x) is the product
 * of its transitions' probabilities, the cut included, so p sums to 1 over them.
 *
 *   power p^alpha:          pi(x) = p(x)^alpha / Z_alpha over complete sequences
 *   temperature sampling:   q(x) = prod_i q(x_i | state), q(. | s) = softmax(log p(. | s) / tau)
 *                           renormalised per state (tau = 0: greedy, lowest id on ties)
 *
 * Temperature 1/alpha is the "low temperature" baseline that the power distribution is
 * compared against: it sharpens each step, p^alpha sharpens whole sequences. */
#ifndef PSAMP_TOY_EXACT_H
#define PSAMP_TOY_EXACT_H

#include <stdint.h>

#include "error.h"
#include "toy_world.h"

/* One ranked complete sequence. */
typedef struct {
    int32_t n;       /* number of tokens */
    int32_t *tokens; /* owned by the summary */
    double prob;     /* its probability under the summarised distribution */
} toy_ranked;

/* A distribution over complete sequences, summarised. */
typedef struct {
    double log_z;        /* log of the sum of the unnormalised weights: log Z_alpha for
                            power; for temperature the weights are normalised, so ~0 */
    double entropy;      /* in nats */
    double correct_mass; /* total probability of the world's `correct` set; NAN without one */
    int32_t n_top;       /* min(requested, number of complete sequences) */
    toy_ranked *top;     /* most likely first; equal probabilities in no promised order */
} toy_exact_summary;

/* Fills *out for p^alpha (alpha > 0, finite) over complete sequences of at most max_tokens
 * tokens, with the n_top (>= 0) most likely sequences. Free with toy_exact_summary_free. */
int toy_exact_power(const toy_world *w, int32_t max_tokens, double alpha, int32_t n_top,
                    toy_exact_summary *out, psamp_err *err);
/* The same for token-wise sampling at `temperature` (>= 0; 1/alpha for the baseline). */
int toy_exact_temperature(const toy_world *w, int32_t max_tokens, double temperature,
                          int32_t n_top, toy_exact_summary *out, psamp_err *err);
void toy_exact_summary_free(toy_exact_summary *s);

/* Per-transition log-weights [n_states * n_tokens] (-INFINITY where impossible): the
 * sequence weight is the exp of their sum. Power: alpha * log p. Temperature: log q.
 * Exposed for toy_enumerate.c; the caller frees *out. */
typedef enum { TOY_WEIGHT_POWER, TOY_WEIGHT_TEMPERATURE } toy_weighting;
int toy_exact_log_weights(const toy_world *w, toy_weighting kind, double param, double **out,
                          psamp_err *err);
/* log Z = log sum over complete sequences of exp(sum of log-weights), for max_tokens. */
int toy_exact_log_z(const toy_world *w, const double *log_weights, int32_t max_tokens,
                    double *log_z, psamp_err *err);
/* The k most likely complete sequences under those weights, probabilities exp(weight -
 * log_z), by a k-best Viterbi over (position, state) (toy_top.c). *out is an array of
 * *n_out (<= k) entries, each with its own tokens; free it with toy_ranked_free. */
int toy_exact_top(const toy_world *w, const double *log_weights, int32_t max_tokens, int32_t k,
                  double log_z, toy_ranked **out, int32_t *n_out, psamp_err *err);
void toy_ranked_free(toy_ranked *r, int32_t n);

/* ---- enumeration (toy_enumerate.c): every complete sequence, for statistical tests ---- */

typedef struct {
    int32_t n;             /* number of tokens */
    const int32_t *tokens; /* into the enumeration's pool */
    int32_t ended;         /* 1: a null transition ended it; 0: cut at max_tokens */
    double logp;           /* log p(x) */
    double power;          /* p(x)^alpha / Z_alpha */
    double temperature;    /* q(x) at the enumeration's temperature */
} toy_sequence;

typedef struct {
    int32_t max_tokens;
    double alpha, temperature;
    double log_z;       /* log Z_alpha */
    int64_t n;          /* number of complete sequences */
    toy_sequence *seqs; /* in lexicographic order of token ids (the set is prefix-free) */
    int32_t *pool;
} toy_enumeration;

/* Lists every complete sequence for max_tokens with its probability under p^alpha and
 * under sampling at `temperature`. Fails, before allocating anything for the list, with
 * "too large to enumerate (N sequences > limit)" when there are more than `limit`. */
int toy_exact_enumerate(const toy_world *w, int32_t max_tokens, double alpha, double temperature,
                        int64_t limit, toy_enumeration *out, psamp_err *err);
/* Index of a sequence in the enumeration (binary search), or -1 when it is not complete. */
int64_t toy_enumeration_find(const toy_enumeration *e, const int32_t *tokens, int32_t n);
void toy_enumeration_free(toy_enumeration *e);

/* The number of complete sequences (a double: it can be astronomically large). */
int toy_exact_count(const toy_world *w, int32_t max_tokens, double *count, double *total_tokens,
                    psamp_err *err);

#endif
