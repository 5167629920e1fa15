/* Toy-world experiments: what the sampler's chains produce against the exact answers of
 * toy_exact.h, swept over MH steps, block sizes, alpha and token budget.
 *
 * For each world (complete sequences of at most its length, empty prompt):
 *   convergence  TV and KL(empirical || p^alpha) of power's final sequences against MH steps
 *                per block, for several block sizes, beside the floor that exact draws of
 *                the same number reach (finite-sample noise);
 *   alpha sweep  success (mass on `correct`) of power, sampled and exact, and of temperature
 *                1/alpha, sampled and exact; power's acceptance rate and TV per alpha;
 *   budget       success against tokens decoded per chain: power at increasing MH steps,
 *                best-of-n at temperature 1 (with its exact success), temperature 1,
 *                temperature 1/alpha and greedy;
 *   diversity    unique rate at k (distinct sequences among k draws, over k), sampled from
 *                disjoint groups of k chains and exact: (1/k) sum_x 1 - (1 - pi(x))^k. */
#ifndef PSAMP_TOYEXP_H
#define PSAMP_TOYEXP_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "sampler.h"
#include "toy_exact.h"
#include "toy_world.h"

typedef struct {
    int32_t chains;
    uint64_t seed;
    int64_t enumerate_limit;   /* worlds with more complete sequences are refused */
    /* convergence */
    double conv_alpha;
    int32_t n_conv_blocks, n_conv_steps;
    int32_t *conv_blocks, *conv_steps;
    /* alpha sweep */
    int32_t n_alphas;
    double *alphas;
    int32_t sweep_block, sweep_steps;
    /* budget */
    double budget_alpha;
    int32_t budget_block, n_budget_steps, n_best_of;
    int32_t *budget_steps, *best_of;
    /* diversity */
    double div_alpha;
    int32_t div_block, div_steps, n_k;
    int32_t *ks;
    const volatile sig_atomic_t *stop; /* NULL, or the sampler's stop flag
                                          (psamp_sampler_hooks.stop): the runs then fail */
} toyexp_config;

/* ---- statistics over an enumeration (toyexp_stats.c) ---- */

/* Index of each chain's final sequence in the enumeration (-1: not a complete sequence). */
int toyexp_locate(const toy_enumeration *en, const psamp_run_result *r, int64_t **index, psamp_err *err);
/* TV and KL(empirical || exact) of the located samples; exact[i] is the target's
 * probability of sequence i. Samples outside the enumeration count fully toward TV. */
int toyexp_distance(const double *exact, int64_t n, const int64_t *index, int32_t n_samples,
                    double *tv, double *kl, psamp_err *err);
/* The same distances for n_samples exact i.i.d. draws (Philox, seed/stream), averaged over
 * `reps` repetitions: how close a perfect sampler gets with that many samples. */
int toyexp_floor(const double *exact, int64_t n, int32_t n_samples, int32_t reps, uint64_t seed,
                 double *tv, double *kl, psamp_err *err);
/* Expected unique rate of k i.i.d. draws from exact. */
double toyexp_unique_exact(const double *exact, int64_t n, int32_t k);
/* Mean unique rate over the floor(n_samples / k) disjoint groups of k consecutive samples;
 * NAN when there is no full group. */
double toyexp_unique_sampled(const int64_t *index, int32_t n_samples, int32_t k);
/* Probability that the likeliest of n draws from sampling weights q (per sequence) is in
 * the correct set; ties in log p go to the earliest draw, as the bestofn sampler does. */
int toyexp_best_of_exact(const toy_world *w, const toy_enumeration *en, const double *q, int32_t n,
                         double *out, psamp_err *err);
/* Sum of weights over the world's correct sequences (NAN without a correct set). */
double toyexp_correct_mass(const toy_world *w, const toy_enumeration *en, const double *weights);

/* ---- the experiment (toyexp_run.c) ---- */

/* Runs every section on one world and writes its JSON object to f. progress (may be NULL)
 * gets the fraction of this world's runs done. */
int toyexp_world(const toy_world *w, const char *path, const toyexp_config *cfg, FILE *f,
                 void (*progress)(void *, double), void *ctx, psamp_err *err);
/* Sampler runs one world takes (for progress over several worlds). */
int32_t toyexp_runs_per_world(const toyexp_config *cfg);

#endif
