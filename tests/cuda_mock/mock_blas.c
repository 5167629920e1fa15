/* The cuBLAS and cuBLASLt calls the engine makes, on the host (see mock.h): column-major
 * GEMMs with fp32 accumulation, each enqueued on its handle's (or call's) stream, and
 * cuBLASLt's bias / ReLU epilogues. cuBLASLt's rules as the mock enforces them: fp32 compute
 * and scale, A and B of one type, the bias (CUBLASLT_MATMUL_DESC_BIAS_POINTER) in D's type
 * (cublasLt.h: "bias vector elements are the same type as the elements of output matrix"),
 * layouts that match the transposes. Its heuristic offers no algorithm when D's column
 * count (the engine's rows) is 7 mod 8, so that the engine's fallback path runs in the tests
 * too (the engine test's 39-row prefill) while the batches that tests compare with each
 * other (1 to 8 rows, or halves of them) all take the cuBLASLt path. Otherwise it offers up
 * to MOCK_LT_ALGOS algorithms (mock.h), all computing the same numbers, with fake device
 * times for the tuning tests: id 0, the first (an untuned call's), is the slowest; id 2 is
 * refused by cublasLtMatmul; id 1 is the fastest for GEMMs without ReLU, id 3 for those
 * with it (fc1's epilogue), so that a tuned plan's choice depends on the GEMM. */
#include <cblas.h>
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

typedef struct {
    cudaStream_t stream;
} mock_blas;

static mock_lt_counts counts;

mock_lt_counts mock_lt_counts_now(void) { return counts; }
void mock_note_timing_in_capture(void) { counts.timing_in_capture++; }

enum { REFUSED_ALGO = 2, GEMM_EX = -1 };

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
    *handle = (cublasHandle_t)calloc(1, sizeof(mock_blas));
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}
cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    free(handle);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    ((mock_blas *)handle)->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void *workspace, size_t bytes) {
    (void)handle, (void)workspace, (void)bytes;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    (void)handle, (void)mode;
    return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusString(cublasStatus_t status) {
    return status == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "mock cuBLAS error";
}

/* D = epilogue(alpha op(A) op(B) + beta C), column-major, fp32 accumulation. */
typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc, ldd;
    float alpha, beta;
    const void *a, *b, *c;
    void *d;
    psamp_dtype at, bt, ct, dt;
    int relu;
    const void *bias; /* [m] in dt, or NULL */
    int algo;         /* the cuBLASLt algorithm's id, or GEMM_EX */
} gemm_args;

/* Fake milliseconds of one GEMM (see the top of this file). */
static double fake_ms(const gemm_args *g) {
    switch (g->algo) {
    case 1: return g->relu ? 2.0 : 1.0;
    case 3: return g->relu ? 1.0 : 2.0;
    default: return 3.0;
    }
}

static void run_gemm(const void *p) {
    const gemm_args *g = p;
    const size_t a_n = (size_t)g->lda * (size_t)(g->ta ? g->m : g->k);
    const size_t b_n = (size_t)g->ldb * (size_t)(g->tb ? g->k : g->n);
    float *a = malloc(a_n * sizeof *a), *b = malloc(b_n * sizeof *b);
    float *prod = malloc((size_t)g->m * (size_t)g->n * sizeof *prod);
    float *col = malloc((size_t)g->m * sizeof *col), *bias = malloc((size_t)g->m * sizeof *bias);
    if (!a || !b || !prod || !col || !bias) abort(); /* test mock: no way on */
    mock_load(g->a, g->at, 0, a_n, a);
    mock_load(g->b, g->bt, 0, b_n, b);
    if (g->bias) mock_load(g->bias, g->dt, 0, (size_t)g->m, bias);
    /* The product in fp32 by the CPU engine's BLAS (the tests' GEMMs add up to seconds in a
     * plain loop under the sanitizers). */
    cblas_sgemm(CblasColMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                g->m, g->n, g->k, g->alpha, a, g->lda, b, g->ldb, 0.0f, prod, g->m);
    for (int j = 0; j < g->n; j++) {
        memcpy(col, prod + (size_t)j * g->m, (size_t)g->m * sizeof *col);
        if (g->beta != 0.0f) {
            float *old = malloc((size_t)g->m * sizeof *old);
            if (!old) abort();
            mock_load(g->c, g->ct, (size_t)j * g->ldc, (size_t)g->m, old);
            for (int i = 0; i < g->m; i++) col[i] += g->beta * old[i];
            free(old);
        }
        for (int i = 0; i < g->m; i++) {
            if (g->bias) col[i] += bias[i];
            if (g->relu && col[i] < 0.0f) col[i] = 0.0f;
        }
        mock_store(g->d, g->dt, (size_t)j * g->ldd, (size_t)g->m, col);
    }
    free(a), free(b), free(prod), free(col), free(bias);
    if (g->algo == GEMM_EX) counts.gemm_ex_runs++;
    else counts.runs[g->algo]++;
    mock_clock_advance(fake_ms(g));
}

static cublasStatus_t submit_gemm(cudaStream_t stream, const gemm_args *g) {
    const cudaError_t rc = mock_submit(stream, run_gemm, g, sizeof *g);
    return rc == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType_t Atype, int lda, const void *B,
                            cudaDataType_t Btype, int ldb, const void *beta, void *C,
                            cudaDataType_t Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo) {
    (void)algo;
    gemm_args g = {transa != CUBLAS_OP_N, transb != CUBLAS_OP_N, m, n, k, lda, ldb, ldc, ldc,
                   *(const float *)alpha, *(const float *)beta, A, B, C, C, PSAMP_F32, PSAMP_F32,
                   PSAMP_F32, PSAMP_F32, 0, NULL, GEMM_EX};
    if (computeType != CUBLAS_COMPUTE_32F || mock_dtype_of(Atype, &g.at) ||
        mock_dtype_of(Btype, &g.bt) || mock_dtype_of(Ctype, &g.ct) || Atype != Btype)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    g.dt = g.ct;
    if (lda < (g.ta ? k : m) || ldb < (g.tb ? n : k) || ldc < m) return CUBLAS_STATUS_INVALID_VALUE;
    return submit_gemm(((const mock_blas *)handle)->stream, &g);
}

/* ---- cuBLASLt ------------------------------------------------------------------------ */

typedef struct {
    cublasComputeType_t compute;
    cudaDataType_t scale;
    int32_t transa, transb;
    uint32_t epilogue;
    const void *bias;
} mock_lt_desc;

typedef struct {
    cudaDataType_t type;
    uint64_t rows, cols;
    int64_t ld;
} mock_lt_layout;

typedef struct {
    uint64_t workspace;
    uint32_t align[4]; /* the least alignment of A, B, C, D the algorithm must take */
} mock_lt_pref;

cublasStatus_t cublasLtCreate(cublasLtHandle_t *handle) {
    *handle = (cublasLtHandle_t)malloc(1);
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}
cublasStatus_t cublasLtDestroy(cublasLtHandle_t handle) {
    free(handle);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *desc, cublasComputeType_t compute,
                                        cudaDataType_t scale) {
    mock_lt_desc *d = calloc(1, sizeof *d);
    if (!d) return CUBLAS_STATUS_ALLOC_FAILED;
    d->compute = compute;
    d->scale = scale;
    d->transa = d->transb = CUBLAS_OP_N;
    d->epilogue = CUBLASLT_EPILOGUE_DEFAULT;
    *desc = (cublasLtMatmulDesc_t)d;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc) {
    free(desc);
    return CUBLAS_STATUS_SUCCESS;
}
/* The attributes the engine sets, each with the size cuBLASLt checks. */
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc,
                                              cublasLtMatmulDescAttributes_t attr,
                                              const void *buf, size_t size) {
    mock_lt_desc *d = (mock_lt_desc *)desc;
    void *field = attr == CUBLASLT_MATMUL_DESC_TRANSA     ? (void *)&d->transa
                  : attr == CUBLASLT_MATMUL_DESC_TRANSB   ? (void *)&d->transb
                  : attr == CUBLASLT_MATMUL_DESC_EPILOGUE ? (void *)&d->epilogue
                  : attr == CUBLASLT_MATMUL_DESC_BIAS_POINTER ? (void *)&d->bias
                                                              : NULL;
    const size_t want = attr == CUBLASLT_MATMUL_DESC_BIAS_POINTER ? sizeof(void *) : 4;
    if (!field || !buf || size != want) return CUBLAS_STATUS_INVALID_VALUE;
    memcpy(field, buf, size);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *layout, cudaDataType type,
                                          uint64_t rows, uint64_t cols, int64_t ld) {
    psamp_dtype dt;
    if (mock_dtype_of(type, &dt) || ld < (int64_t)rows) return CUBLAS_STATUS_INVALID_VALUE;
    mock_lt_layout *l = calloc(1, sizeof *l);
    if (!l) return CUBLAS_STATUS_ALLOC_FAILED;
    *l = (mock_lt_layout){type, rows, cols, ld};
    *layout = (cublasLtMatrixLayout_t)l;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout) {
    free(layout);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *pref) {
    mock_lt_pref *p = calloc(1, sizeof *p);
    if (!p) return CUBLAS_STATUS_ALLOC_FAILED;
    for (int i = 0; i < 4; i++) p->align[i] = 256; /* cuBLASLt's default assumption */
    *pref = (cublasLtMatmulPreference_t)p;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref) {
    free(pref);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref,
                                                    cublasLtMatmulPreferenceAttributes_t attr,
                                                    const void *buf, size_t size) {
    mock_lt_pref *p = (mock_lt_pref *)pref;
    const cublasLtMatmulPreferenceAttributes_t align_attr[4] = {
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
    if (!buf) return CUBLAS_STATUS_INVALID_VALUE;
    if (attr == CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES && size == sizeof(uint64_t)) {
        memcpy(&p->workspace, buf, size);
        return CUBLAS_STATUS_SUCCESS;
    }
    for (int i = 0; i < 4; i++)
        if (attr == align_attr[i] && size == sizeof(uint32_t)) {
            memcpy(&p->align[i], buf, size);
            return CUBLAS_STATUS_SUCCESS;
        }
    return CUBLAS_STATUS_INVALID_VALUE;
}

/* Checks a call against the rules above and fills g (pointers aside). */
static cublasStatus_t lt_check(const mock_lt_desc *d, const mock_lt_layout *a,
                               const mock_lt_layout *b, const mock_lt_layout *c,
                               const mock_lt_layout *dl, gemm_args *g) {
    if (d->compute != CUBLAS_COMPUTE_32F || d->scale != CUDA_R_32F || a->type != b->type ||
        c->type != dl->type || c->rows != dl->rows || c->cols != dl->cols)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    const uint32_t e = d->epilogue;
    if (e != CUBLASLT_EPILOGUE_DEFAULT && e != CUBLASLT_EPILOGUE_RELU &&
        e != CUBLASLT_EPILOGUE_BIAS && e != CUBLASLT_EPILOGUE_RELU_BIAS)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    const int has_bias = e == CUBLASLT_EPILOGUE_BIAS || e == CUBLASLT_EPILOGUE_RELU_BIAS;
    if (has_bias != (d->bias != NULL)) return CUBLAS_STATUS_INVALID_VALUE;
    g->ta = d->transa != CUBLAS_OP_N;
    g->tb = d->transb != CUBLAS_OP_N;
    g->m = (int)dl->rows;
    g->n = (int)dl->cols;
    g->k = (int)(g->ta ? a->rows : a->cols);
    /* op(A) is m x k, op(B) is k x n */
    if ((g->ta ? a->cols : a->rows) != (uint64_t)g->m || (g->tb ? b->cols : b->rows) != (uint64_t)g->k ||
        (g->tb ? b->rows : b->cols) != (uint64_t)g->n)
        return CUBLAS_STATUS_INVALID_VALUE;
    g->lda = (int)a->ld;
    g->ldb = (int)b->ld;
    g->ldc = (int)c->ld;
    g->ldd = (int)dl->ld;
    g->relu = e == CUBLASLT_EPILOGUE_RELU || e == CUBLASLT_EPILOGUE_RELU_BIAS;
    if (mock_dtype_of(a->type, &g->at) || mock_dtype_of(b->type, &g->bt) ||
        mock_dtype_of(c->type, &g->ct) || mock_dtype_of(dl->type, &g->dt))
        return CUBLAS_STATUS_NOT_SUPPORTED;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
                                              cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                              cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
                                              cublasLtMatmulPreference_t pref, int requested,
                                              cublasLtMatmulHeuristicResult_t results[],
                                              int *returned) {
    (void)handle, (void)pref;
    if (requested <= 0) return CUBLAS_STATUS_INVALID_VALUE;
    if (requested > 1) {
        counts.tuning_heuristics++;
        if (mock_capturing()) mock_note_timing_in_capture();
    }
    gemm_args g;
    memset(&g, 0, sizeof g);
    const cublasStatus_t st = lt_check((const mock_lt_desc *)desc, (const mock_lt_layout *)a,
                                       (const mock_lt_layout *)b, (const mock_lt_layout *)c,
                                       (const mock_lt_layout *)d, &g);
    *returned = 0;
    if (st != CUBLAS_STATUS_SUCCESS || g.n % 8 == 7) return CUBLAS_STATUS_SUCCESS; /* none */
    for (int i = 0; i < requested && i < MOCK_LT_ALGOS; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].algo.data[0] = (uint64_t)i;
        results[i].state = CUBLAS_STATUS_SUCCESS;
        results[i].wavesCount = 1.0f;
        *returned = i + 1;
    }
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmul(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
                              const void *alpha, const void *A, cublasLtMatrixLayout_t Adesc,
                              const void *B, cublasLtMatrixLayout_t Bdesc, const void *beta,
                              const void *C, cublasLtMatrixLayout_t Cdesc, void *D,
                              cublasLtMatrixLayout_t Ddesc, const cublasLtMatmulAlgo_t *algo,
                              void *workspace, size_t workspace_bytes, cudaStream_t stream) {
    (void)handle, (void)workspace, (void)workspace_bytes;
    if (!algo || algo->data[0] >= MOCK_LT_ALGOS) return CUBLAS_STATUS_INVALID_VALUE;
    if (algo->data[0] == REFUSED_ALGO) {
        counts.refused++;
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    /* The algorithm came from a heuristic told each pointer's alignment; the mock's own
     * algorithm records none, so it checks the one rule every cuBLASLt kernel keeps: the
     * elements themselves are aligned. */
    if ((uintptr_t)A % 2 || (uintptr_t)B % 2 || (uintptr_t)D % 2)
        return CUBLAS_STATUS_INVALID_VALUE;
    gemm_args g;
    memset(&g, 0, sizeof g);
    const mock_lt_desc *d = (const mock_lt_desc *)desc;
    const cublasStatus_t st = lt_check(d, (const mock_lt_layout *)Adesc, (const mock_lt_layout *)Bdesc,
                                       (const mock_lt_layout *)Cdesc, (const mock_lt_layout *)Ddesc, &g);
    if (st != CUBLAS_STATUS_SUCCESS) return st;
    g.alpha = *(const float *)alpha;
    g.beta = *(const float *)beta;
    g.a = A;
    g.b = B;
    g.c = C;
    g.d = D;
    g.bias = d->bias;
    g.algo = (int)algo->data[0];
    return submit_gemm(stream, &g);
}
