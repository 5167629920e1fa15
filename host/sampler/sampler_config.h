/* What the sampler's files share about a config beyond sampler.h (internal to the sampler):
 * defined in sampler_config.c with the rest of the settings, so that sampler_config.c and
 * sampler_chain.c need nothing of each other. */
#ifndef PSAMP_SAMPLER_CONFIG_H
#define PSAMP_SAMPLER_CONFIG_H

#include <stdint.h>

#include "sampler.h"

/* Sequences (slots) one chain holds: 2 for power/maxswap (current and proposal), best_of
 * for best-of-N, else 1. */
int32_t sampler_seqs_per_chain(const psamp_sampler_config *cfg);
/* Chains decoding at once out of n_jobs queued ones: all, or max_active when smaller. */
int64_t sampler_active_jobs(const psamp_sampler_config *cfg, int64_t n_jobs);

#endif
