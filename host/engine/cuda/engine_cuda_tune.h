/* Tuned cuBLASLt plans of the CUDA engine's GEMMs, PSAMP_GEMM_TUNE=on (engine_cuda_tune.c). */
#ifndef PSAMP_ENGINE_CUDA_TUNE_H
#define PSAMP_ENGINE_CUDA_TUNE_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* *plan = the tuned plan of this GEMM, tuning it first when e->tune_pass is set and there is
 * none yet (never inside a stream capture: that fails); NULL when there is no plan with an
 * algorithm (the caller's untuned path). */
int cuda_tuned_plan(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *x,
                    const void *w, const void *bias_t, void *out, int32_t m, int32_t n,
                    int32_t k, const cuda_gemm_plan **plan, psamp_err *err);
/* Runs a plan's GEMM on the lane (bias_t: the bias of this call, for CUDA_LT_RELU_BIAS). */
int cuda_plan_run(cuda_engine *e, const cuda_lane *lane, const cuda_gemm_plan *p, const void *x,
                  const void *w, const void *bias_t, void *out, psamp_err *err);
/* Frees every plan (a variant switch, destroy). */
void cuda_plans_free(cuda_engine *e);
/* The plans e holds with an algorithm and the host seconds spent tuning them. */
void cuda_tune_stats(const cuda_engine *e, int32_t *plans, double *seconds);
/* Two events with timing (ev NULL-filled by the caller; those made stay on failure), and
 * their release. */
int cuda_timing_events(cudaEvent_t ev[2], psamp_err *err);
void cuda_timing_events_free(cudaEvent_t ev[2]);

#endif
