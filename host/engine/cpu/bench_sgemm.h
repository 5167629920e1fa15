/* The machine's own cblas_sgemm rate on an OPT model's decode GEMMs, measured in the same
 * run as a benchmark so that the engine's throughput can be set against what the BLAS does
 * on the very same shapes. The calls are the CPU engine's: y[rows, out] = x[rows, in] W^T,
 * W row-major [out, in], one weight buffer per layer (weights do not stay in cache). */
#ifndef PSAMP_BENCH_SGEMM_H
#define PSAMP_BENCH_SGEMM_H

#include <stdint.h>

#include "error.h"
#include "opt_checkpoint.h"

#define BENCH_SGEMM_SHAPES 5

typedef struct {
    const char *name;  /* "qkv", "out_proj", "fc1", "fc2", "lm_head" */
    int32_t out, in;   /* W is [out, in] */
    int32_t per_token; /* GEMMs of this shape in one decode step (layers, or 1) */
    double gflops;     /* measured rate at `rows` rows */
} bench_sgemm_shape;

typedef struct {
    int32_t rows;
    bench_sgemm_shape shapes[BENCH_SGEMM_SHAPES];
    double gemm_flops_per_token; /* 2 * multiply-adds of every linear layer and lm_head */
    double step_gflops;          /* one decode step's GEMMs, in the model's proportions */
} bench_sgemm_report;

/* FLOPs of one token's linear layers and lm_head (no attention). */
double bench_gemm_flops_per_token(const opt_config *cfg);

/* Times each shape at `rows` rows for about min_seconds in all (best of repeats). */
int bench_sgemm_measure(const opt_config *cfg, int32_t rows, double min_seconds, bench_sgemm_report *out,
                        psamp_err *err);

#endif
