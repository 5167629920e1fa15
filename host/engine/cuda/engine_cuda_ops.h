/* The CUDA engine's operations and the step's CUDA graphs (engine_cuda_ops.c): the entries
 * of its psamp_engine_ops table (engine_cuda.c). */
#ifndef PSAMP_ENGINE_CUDA_OPS_H
#define PSAMP_ENGINE_CUDA_OPS_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* psamp_engine_ops's prefill, fork and step (host/engine/engine.h). */
int cuda_prefill(psamp_engine *base, int32_t slot, const int32_t *tokens, int32_t n, float tau,
                 float *logp, psamp_err *err);
int cuda_fork(psamp_engine *base, const psamp_fork_request *forks, int32_t n, psamp_err *err);
int cuda_step(psamp_engine *base, const psamp_step_request *reqs, int32_t n,
              psamp_step_result *out, psamp_err *err);

/* Buckets of padded batch sizes for the step graphs, for a table of n_slots slots. */
int cuda_buckets_init(cuda_engine *e, psamp_err *err);
void cuda_buckets_free(cuda_engine *e);
/* Drops every captured step graph (the kernels they hold changed) and every tuned plan. */
void cuda_buckets_reset(cuda_engine *e);

#endif
