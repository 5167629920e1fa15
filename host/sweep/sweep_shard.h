/* Splitting a sweep into N disjoint shards for N machines (Slurm array tasks, GPUs): the
 * points are dealt out by estimated tokens, not by count, so shards finish together. */
#ifndef PSAMP_SWEEP_SHARD_H
#define PSAMP_SWEEP_SHARD_H

#include <stdint.h>

#include "error.h"

#define SWEEP_MAX_SHARDS 100000

/* Parses "I/N" (0 <= I < N, N >= 1; I is a Slurm array task id). Errors name --shard. */
int sweep_shard_parse(const char *spec, int32_t *index, int32_t *count, psamp_err *err);

/* shard_of[i] = the shard of point i. Longest processing time first: points in order of
 * decreasing cost (ties: lower index first) go to the least loaded shard (ties: lower
 * shard), which keeps every shard within one point's cost of the mean. Deterministic, so
 * every shard computes the same split. */
int sweep_shard_assign(const double *cost, int32_t n, int32_t count, int32_t *shard_of,
                       psamp_err *err);

#endif
