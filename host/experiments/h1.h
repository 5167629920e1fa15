/* H1, power vs temperature, measured on sampled sequences.
 *
 * For each prompt, `samples` sequences are drawn from the model (temperature 1) and scored
 * by the engine at temperature 1 and at every T of the config: score_T(x) = sum over x's
 * generated tokens of log softmax(logits / T)[token]. For pairs (x, y) of one prompt,
 *
 *   D       = score_1(x) - score_1(y)            the sequence log-likelihood gap
 *   power   : alpha * D                          exact by definition of p^alpha
 *   gap_T   = score_T(x) - score_T(y)
 *           = D / T - (N_T(x) - N_T(y)),  N_T(x) = sum over x's tokens of log sum_v p(v|.)^(1/T)
 *
 * so temperature T equals power alpha = 1/T exactly when the per-token normalisers N_T
 * cancel between x and y. The experiment fits gap_T = slope * D + intercept per T and
 * reports slope, R^2, the residual spread, and the deviation from alpha * D. */
#ifndef PSAMP_H1_H
#define PSAMP_H1_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "error.h"

typedef struct {
    int32_t n_prompts;
    const int32_t *const *prompts; /* encoded prompts (OPT: with the BOS) */
    const int32_t *prompt_len;
    int32_t samples;               /* sequences per prompt, >= 2 */
    int32_t pairs;                 /* pairs per prompt; at least all pairs: every pair */
    int32_t max_new_tokens;
    int32_t n_temps;
    const double *temps;           /* > 0 */
    uint64_t seed;
    const volatile sig_atomic_t *stop; /* NULL, or the sampler's stop flag
                                          (psamp_sampler_hooks.stop): the run then fails */
} h1_config;

/* Least squares y = slope * x + intercept. */
typedef struct {
    int64_t n;
    double slope, intercept;
    double r2;           /* 1 - SS_res / SS_tot; NAN when y is constant */
    double residual_std; /* sqrt(SS_res / (n - 2)); NAN for n < 3 */
} h1_fit;

typedef struct {
    int32_t n_prompts, samples, n_temps;
    double *temps;          /* [n_temps] */
    double *logp;           /* [prompt * samples + s]: the sampler's own sum of log p */
    double *score;          /* [(prompt * samples + s) * (n_temps + 1) + t]: t = 0 at
                               temperature 1, t = i + 1 at temps[i] */
    int32_t *length;        /* [prompt * samples + s]: generated tokens */
    int64_t n_pairs;
    int32_t *pairs;         /* [3 * n_pairs]: prompt, x, y */
    h1_fit *fit;            /* [n_temps]: gap_T on D */
    double *dev_rms;        /* [n_temps]: root mean square of gap_T - D / T (power with
                               alpha = 1/T has 0) */
    double *dev_mean_abs;   /* [n_temps]: mean |gap_T - D / T| */
    double d_mean_abs, d_std; /* the spread of D itself, for scale */
    double rescore_max_abs; /* max |sampler's log p - score at temperature 1|: the engine's
                               prefill and decode agree */
} h1_result;

/* Runs the experiment on an engine with at least samples + 1 slots of the longest prompt +
 * max_new_tokens. progress (may be NULL) gets the fraction done. */
int h1_run(psamp_engine *e, const h1_config *cfg, void (*progress)(void *, double), void *ctx,
           h1_result *out, psamp_err *err);
void h1_result_free(h1_result *r);

/* D (t = -1) or gap at temps[t] of pair i. */
double h1_pair_gap(const h1_result *r, int64_t i, int32_t t);

/* Fits y on x over n points; fails (err) when n < 2 or x is constant. */
int h1_fit_line(const double *x, const double *y, int64_t n, h1_fit *out, psamp_err *err);

/* Chooses min(want, s(s-1)/2) distinct pairs x < y of s samples, uniformly without
 * replacement (all of them, in order, when want covers every pair), from a Philox stream
 * keyed by seed. out holds 2 * min(...) entries. Returns the count, or -1 (err). */
int64_t h1_choose_pairs(int32_t samples, int64_t want, uint64_t seed, uint64_t stream,
                        int32_t **out, psamp_err *err);

/* The results as one JSON object (format in experiments/README.md, "## H1"). */
int h1_write_json(FILE *f, const h1_result *r, const char *model, const char *backend,
                  const char *const *prompt_texts, int32_t max_new_tokens, int32_t pairs,
                  uint64_t seed, psamp_err *err);

#endif
