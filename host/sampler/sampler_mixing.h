/* How far from mixed a power-sampling run is, from its chains alone (no exact answer).
 *
 * Chains of one prompt form a group. Within a group, a mixed sampler's final log p does not
 * depend on where a chain started, and does not move when the chain runs on:
 *   start_dependence  Kolmogorov-Smirnov distance between the final log p of the chains
 *                     whose first drawn token is the group's most common one and of the
 *                     others; chains that forget their start make this sampling noise
 *   start_dependence_null  the same distance for random splits of the group into two sides
 *                     of the same sizes: that noise level
 *   probe_shift       KS distance between the kept samples' log p and the log p after P
 *                     more MH steps on the last block (--mixing-probe); NaN without a probe
 *   first_token_turnover  fraction of chains whose kept first token differs from the first
 *                     token they drew (0: the first block never changed its first token)
 *   acceptance        accepted / proposed MH moves
 *   score             max(start_dependence - start_dependence_null, probe_shift), the start
 *                     term alone without a probe: larger is further from mixed
 * Group statistics are averaged over groups, weighted by group size (over the groups where
 * the statistic exists). tests/test_mixing_toy.c checks that they rank settings as the
 * exact total variation distance to p^alpha does; docs/mixing.md reads them. */
#ifndef PSAMP_SAMPLER_MIXING_H
#define PSAMP_SAMPLER_MIXING_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"

typedef struct {
    double start_dependence, start_dependence_null;
    double probe_shift;
    double first_token_turnover;
    double acceptance;
    double score;
    int32_t probe_steps;
    int32_t groups;             /* groups of chains (prompts) */
    int32_t groups_split;       /* groups whose chains drew more than one first token */
} psamp_mixing;

/* Random splits averaged into start_dependence_null. */
#define PSAMP_MIXING_NULL_SPLITS 8

/* The statistics of n chains in groups of chains_per_group consecutive chains (the last
 * group may be smaller; <= 0: one group), run with probe_steps probe steps. seed keys the
 * random splits. Returns -1 with err set when n <= 0 or memory runs out. */
int psamp_run_mixing(const psamp_chain_result *chains, int32_t n, int32_t chains_per_group,
                     int32_t probe_steps, uint64_t seed, psamp_mixing *out, psamp_err *err);

/* Two-sample Kolmogorov-Smirnov distance sup |F_a - F_b| (0 when either side is empty).
 * Ties are exact: both empirical CDFs step together at each distinct value. Sorts a and b. */
double psamp_ks_distance(double *a, int32_t na, double *b, int32_t nb);

/* One line for people, such as "start dependence 0.31 (noise 0.02): not mixed; more MCMC
 * steps or proposal temperature 1". */
void psamp_mixing_verdict(const psamp_mixing *m, char *buf, size_t cap);

#endif
