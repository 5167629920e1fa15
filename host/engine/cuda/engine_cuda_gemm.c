/* The CUDA engine's linear layers. Weights are [out, in] row-major, so y = x W^T: a few rows
 * go through psamp's GEMV (PSAMP_GEMM=gemv: each weight read once, no cuBLAS launch
 * overhead), the rest through cuBLAS, which is column-major: it computes y^T = W x^T,
 * reading W as a k x n matrix transposed. fc1 + bias + ReLU can run as one cuBLASLt call
 * with the RELU_BIAS epilogue writing the dtype (PSAMP_FFN=epilogue, the default), which saves the fp32
 * round trip through y and the bias_relu.cu launch. With PSAMP_GEMM_TUNE=on every call that
 * would go to cuBLAS(Lt) runs a tuned cuBLASLt plan instead where one exists
 * (engine_cuda_tune.c). */
#include "engine_cuda_internal.h"

static cudaDataType_t cuda_type(psamp_dtype d) {
    return d == PSAMP_F16 ? CUDA_R_16F : d == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

int cuda_gemm(cuda_engine *e, const cuda_lane *lane, const void *x, const void *w, float *y,
              int32_t m, int32_t n, int32_t k, psamp_err *err) {
    if (e->variants.gemm == PSAMP_CUDA_GEMM_GEMV && m <= PSAMP_GEMV_MAX_ROWS) {
        CUDA_TRY(err, psamp_k_gemv(x, w, y, m, n, k, e->dtype, lane->stream));
        return 0;
    }
    if (e->variants.gemm_tune == PSAMP_CUDA_GEMM_TUNE_ON) {
        const cuda_gemm_plan *plan = NULL;
        if (cuda_tuned_plan(e, lane, CUDA_LT_PLAIN, x, w, NULL, y, m, n, k, &plan, err)) return -1;
        if (plan) return cuda_plan_run(e, lane, plan, x, w, NULL, y, err);
    }
    const float one = 1.0f, zero = 0.0f;
    const cudaDataType_t t = cuda_type(e->dtype);
    CUBLAS_TRY(err, cublasGemmEx(lane->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, t, k, x, t,
                                 k, &zero, y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                                 CUBLAS_GEMM_DEFAULT));
    return 0;
}

void cuda_lt_call_free(cuda_lt_call *c) {
    if (c->pref) (void)cublasLtMatmulPreferenceDestroy(c->pref);
    if (c->out) (void)cublasLtMatrixLayoutDestroy(c->out);
    if (c->x) (void)cublasLtMatrixLayoutDestroy(c->x);
    if (c->w) (void)cublasLtMatrixLayoutDestroy(c->w);
    if (c->op) (void)cublasLtMatmulDescDestroy(c->op);
    *c = (cuda_lt_call){NULL, NULL, NULL, NULL, NULL};
}

/* cuBLASLt's heuristic assumes 256-byte aligned matrices unless told less (a half batch's
 * rows start mid-buffer). */
uint32_t cuda_lt_alignment(const void *p) {
    uint32_t a = 256;
    while (a > 1 && (uintptr_t)p % a != 0) a /= 2;
    return a;
}

/* out^T [n, m] = W x^T (+ epilogue) in column-major terms: W stored k x n, x stored k x m,
 * out n x m (fp32 for CUDA_LT_PLAIN, else the dtype); fp32 compute and scale. */
int cuda_lt_describe(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *w,
                     const void *x, const void *bias_t, const void *out, int32_t m, int32_t n,
                     int32_t k, cuda_lt_call *c, psamp_err *err) {
    const cudaDataType_t t = cuda_type(e->dtype), t_out = kind == CUDA_LT_PLAIN ? CUDA_R_32F : t;
    const cublasOperation_t trans = CUBLAS_OP_T, none = CUBLAS_OP_N;
    const cublasLtEpilogue_t epilogue = kind == CUDA_LT_PLAIN ? CUBLASLT_EPILOGUE_DEFAULT
                                        : bias_t             ? CUBLASLT_EPILOGUE_RELU_BIAS
                                                             : CUBLASLT_EPILOGUE_RELU;
    const uint64_t workspace = lane->workspace_bytes;
    CUBLAS_TRY(err, cublasLtMatmulDescCreate(&c->op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    CUBLAS_TRY(err, cublasLtMatmulDescSetAttribute(c->op, CUBLASLT_MATMUL_DESC_TRANSA, &trans,
                                                   sizeof trans));
    CUBLAS_TRY(err, cublasLtMatmulDescSetAttribute(c->op, CUBLASLT_MATMUL_DESC_TRANSB, &none,
                                                   sizeof none));
    CUBLAS_TRY(err, cublasLtMatmulDescSetAttribute(c->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                                                   sizeof epilogue));
    /* The bias in the output's type: cuBLASLt's default for 16-bit outputs. */
    if (kind != CUDA_LT_PLAIN && bias_t)
        CUBLAS_TRY(err, cublasLtMatmulDescSetAttribute(c->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                       &bias_t, sizeof bias_t));
    CUBLAS_TRY(err, cublasLtMatrixLayoutCreate(&c->w, t, (uint64_t)k, (uint64_t)n, k));
    CUBLAS_TRY(err, cublasLtMatrixLayoutCreate(&c->x, t, (uint64_t)k, (uint64_t)m, k));
    CUBLAS_TRY(err, cublasLtMatrixLayoutCreate(&c->out, t_out, (uint64_t)n, (uint64_t)m, n));
    CUBLAS_TRY(err, cublasLtMatmulPreferenceCreate(&c->pref));
    CUBLAS_TRY(err, cublasLtMatmulPreferenceSetAttribute(
                        c->pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                        sizeof workspace));
    const struct {
        cublasLtMatmulPreferenceAttributes_t attr;
        uint32_t bytes;
    } aligned[] = {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, cuda_lt_alignment(w)},
                   {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, cuda_lt_alignment(x)},
                   {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, cuda_lt_alignment(out)},
                   {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, cuda_lt_alignment(out)}};
    for (size_t i = 0; i < sizeof aligned / sizeof aligned[0]; i++)
        CUBLAS_TRY(err, cublasLtMatmulPreferenceSetAttribute(c->pref, aligned[i].attr,
                                                             &aligned[i].bytes,
                                                             sizeof aligned[i].bytes));
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
    const int gemv = e->variants.gemm == PSAMP_CUDA_GEMM_GEMV && m <= PSAMP_GEMV_MAX_ROWS;
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
