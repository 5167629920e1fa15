/* cuBLASLt descriptors of the CUDA engine's GEMMs: out = x W^T, with fc1's ReLU + bias
 * epilogue or without, described once here for the untuned epilogue path
 * (engine_cuda_gemm.c) and the tuned plans (engine_cuda_tune.c). */
#include "engine_cuda_lt.h"

cudaDataType_t cuda_data_type(psamp_dtype d) {
    return d == PSAMP_F16 ? CUDA_R_16F : d == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F;
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
    const cudaDataType_t t = cuda_data_type(e->dtype), t_out = kind == CUDA_LT_PLAIN ? CUDA_R_32F : t;
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
