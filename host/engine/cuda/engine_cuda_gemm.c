/* The CUDA engine's linear layers. Weights are [out, in] row-major, so y = x W^T: a few rows
 * go through psamp's GEMV (PSAMP_GEMM=gemv: each weight read once, no cuBLAS launch
 * overhead), the rest through cuBLAS, which is column-major: it computes y^T = W x^T,
 * reading W as a k x n matrix transposed. fc1 + bias + ReLU can run as one cuBLASLt call
 * with the RELU_BIAS epilogue writing the dtype (PSAMP_FFN=epilogue, the default), which saves the fp32
 * round trip through y and the bias_relu.cu launch. With PSAMP_GEMM_TUNE=on every call that
 * would go to cuBLAS(Lt) runs a tuned cuBLASLt plan instead where one exists
 * (engine_cuda_tune.c). */
#include "engine_cuda_gemm.h"
#include "engine_cuda_lt.h"
#include "engine_cuda_tune.h"

int cuda_gemv_takes(const cuda_engine *e, int32_t m) {
    return e->variants.gemm != PSAMP_CUDA_GEMM_CUBLAS && m <= PSAMP_GEMV_MAX_ROWS;
}

int cuda_gemm(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w, float *y,
              int32_t m, int32_t n, int32_t k, psamp_err *err) {
    if (cuda_gemv_takes(e, m)) {
        CUDA_TRY(err, psamp_k_gemv(x, w, y, m, n, k, e->dtype, lane->stream));
        return 0;
    }
    if (e->variants.gemm_tune == PSAMP_CUDA_GEMM_TUNE_ON) {
        const cuda_gemm_plan *plan = NULL;
        if (cuda_tuned_plan(e, lane, CUDA_LT_PLAIN, x, w, NULL, y, m, n, k, &plan, err)) return -1;
        if (plan) return cuda_plan_run(e, lane, plan, x, w, NULL, y, err);
    }
    const float one = 1.0f, zero = 0.0f;
    const cudaDataType_t t = cuda_data_type(e->dtype);
    CUBLAS_TRY(err, cublasGemmEx(lane->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, t, k, x, t,
                                 k, &zero, y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                                 CUBLAS_GEMM_DEFAULT));
    return 0;
}

/* fc1's descriptors and cuBLASLt's best algorithm for these pointers' alignments: *found =
 * 0 when it has none. */
static int lt_plan(cuda_engine *e, const cuda_lane *lane, const void *w, const void *x,
                   const void *bias_t, void *out, int32_t m, int32_t n, int32_t k, cuda_lt_call *c,
                   cublasLtMatmulHeuristicResult_t *algo, int *found, psamp_err *err) {
    if (cuda_lt_describe(e, lane, CUDA_LT_RELU_BIAS, w, x, bias_t, out, m, n, k, c, err))
        return -1;
    int returned = 0;
    CUBLAS_TRY(err, cublasLtMatmulAlgoGetHeuristic(e->lt, c->op, c->w, c->x, c->out, c->out,
                                                   c->pref, 1, algo, &returned));
    *found = returned > 0 && algo->state == CUBLAS_STATUS_SUCCESS;
    return 0;
}

int cuda_gemm_bias_relu(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w,
                        const void *bias_t, const float *bias_r, void *out, float *y, int32_t m,
                        int32_t n, int32_t k, psamp_err *err) {
    cuda_lt_call c = {NULL, NULL, NULL, NULL, NULL};
    cublasLtMatmulHeuristicResult_t algo;
    int found = 0;
    /* A few rows: the GEMV (one weight read, no cuBLAS launch cost) beats any epilogue. */
    const int gemv = cuda_gemv_takes(e, m);
    if (!gemv && e->variants.gemm_tune == PSAMP_CUDA_GEMM_TUNE_ON) {
        const cuda_gemm_plan *plan = NULL;
        if (cuda_tuned_plan(e, lane, CUDA_LT_RELU_BIAS, x, w, bias_t, out, m, n, k, &plan, err))
            return -1;
        if (plan) return cuda_plan_run(e, lane, plan, x, w, bias_t, out, err);
    }
    int rc = gemv ? 0 : lt_plan(e, lane, w, x, bias_t, out, m, n, k, &c, &algo, &found, err);
    if (rc == 0 && found) {
        const float one = 1.0f, zero = 0.0f;
        const cublasStatus_t st =
            cublasLtMatmul(e->lt, c.op, &one, w, c.w, x, c.x, &zero, out, c.out, out, c.out,
                           &algo.algo, lane->workspace, lane->workspace_bytes, lane->stream);
        if (st != CUBLAS_STATUS_SUCCESS)
            rc = psamp_fail(err, "cuda engine: cublasLtMatmul of fc1 (%d x %d x %d) failed: %s "
                            "(%s:%d)", m, n, k, cublasGetStatusString(st), __FILE__, __LINE__);
    }
    cuda_lt_call_free(&c);
    if (rc || found) return rc;
    /* The GEMV's rows, or no algorithm for the epilogue at these shapes: the separate path. */
    if (cuda_gemm(e, lane, x, w, y, m, n, k, err)) return -1;
    CUDA_TRY(err, psamp_k_bias_act(y, bias_r, out, m, n, 1, e->dtype, lane->stream));
    return 0;
}
