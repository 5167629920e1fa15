/* The CUDA engine's linear layers (engine_cuda_gemm.c). */
#ifndef PSAMP_ENGINE_CUDA_GEMM_H
#define PSAMP_ENGINE_CUDA_GEMM_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* 1 when m rows go through kernels/gemv.cu (PSAMP_GEMM=gemv or fused, m <= 8). */
int cuda_gemv_takes(const cuda_engine *e, int32_t m);
/* y[m, n] (fp32) = x[m, k] W[n, k]^T on lane (x, W in the dtype). */
int cuda_gemm(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w, float *y,
              int32_t m, int32_t n, int32_t k, psamp_err *err);
/* out[m, n] (dtype) = relu(x W^T + bias) through cuBLASLt's epilogue (bias_t: the bias in
 * the dtype, or NULL); for the GEMV's few rows, or when cuBLASLt offers no algorithm,
 * cuda_gemm into y then bias_act with bias_r (bias_t's values in fp32: the same sums). */
int cuda_gemm_bias_relu(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w,
                        const void *bias_t, const float *bias_r, void *out, float *y, int32_t m,
                        int32_t n, int32_t k, psamp_err *err);

#endif
