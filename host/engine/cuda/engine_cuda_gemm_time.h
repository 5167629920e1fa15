/* A step's GEMMs timed alone, for bench_cuda (engine_cuda_gemm_time.c). */
#ifndef PSAMP_ENGINE_CUDA_GEMM_TIME_H
#define PSAMP_ENGINE_CUDA_GEMM_TIME_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* psamp_engine_cuda_time_gemms (engine_cuda.h) on an engine known to be a CUDA engine. */
int cuda_time_gemms(cuda_engine *e, int32_t rows, double *seconds, psamp_err *err);

#endif
