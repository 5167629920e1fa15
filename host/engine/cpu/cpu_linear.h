/* The two kernels every CPU forward pass is built from: a linear layer split over the engine's
 * pool (one single-threaded cblas_sgemm per column chunk), and the weighted sum of rows that
 * attention uses for its scores (over K stored transposed) and its mix (over V). Shared by
 * the OPT and the Qwen2 / Llama / Phi-3 forward passes. */
#ifndef PSAMP_CPU_LINEAR_H
#define PSAMP_CPU_LINEAR_H

#include <stdint.h>

#include "cpu_pool.h"

/* y[n, out] = x[n, in] W^T + bias (or y += ... when accumulate), ReLU when asked. W is
 * [out, in] row-major (HF's layout); bias may be NULL. */
void cpu_linear(cpu_pool *pool, const float *x, int32_t n, int32_t in, const float *w, const float *bias,
                int32_t out, float *y, int accumulate, int relu);

/* y[j] = sum_k a[k] m[k * stride + j] for j < len: contiguous multiply-adds over j that
 * vectorise without reordering any sum. */
void cpu_weighted_rows(float *restrict y, const float *restrict a, const float *restrict m, int32_t n_terms,
                       int32_t len, int32_t stride);

#endif
