/* A small persistent thread pool for the CPU engine's loops that BLAS does not cover
 * (attention per row and head, sampling per row). Items are handed out one at a time from
 * an atomic counter, so rows of different lengths balance themselves; the calling thread
 * works too. The pool allocates nothing after creation. */
#ifndef PSAMP_CPU_POOL_H
#define PSAMP_CPU_POOL_H

#include <stdint.h>

#include "error.h"

typedef struct cpu_pool cpu_pool;

/* fn handles item `item`; `thread` in [0, n_threads) indexes per-thread scratch. */
typedef void (*cpu_pool_fn)(void *ctx, int64_t item, int thread);

/* n_threads >= 1 (1: everything runs on the caller, no threads are started). */
int cpu_pool_create(cpu_pool **out, int n_threads, psamp_err *err);
/* Runs fn on every item in [0, n_items) and returns when all are done. */
void cpu_pool_run(cpu_pool *pool, int64_t n_items, cpu_pool_fn fn, void *ctx);
int cpu_pool_threads(const cpu_pool *pool);
void cpu_pool_destroy(cpu_pool *pool);

#endif
