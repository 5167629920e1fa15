/* The CUDA runtime and cuBLAS calls the engine makes, on the host (see mock.h). */
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "tensor_narrow.h"

#define MOCK_MAX_ARGS 256

typedef struct {
    void (*fn)(const void *args);
    unsigned char args[MOCK_MAX_ARGS];
} mock_op;

typedef struct {
    mock_op *ops;
    int n, cap;
} mock_graph;

/* The open capture (test-only state: the mock serves one thread). */
static mock_graph *capturing;

int mock_submit(void (*fn)(const void *args), const void *args, size_t size) {
    if (size > MOCK_MAX_ARGS) return -1;
    if (!capturing) {
        fn(args);
        return 0;
    }
    if (capturing->n == capturing->cap) {
        int cap = capturing->cap ? 2 * capturing->cap : 64;
        mock_op *grown = realloc(capturing->ops, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        capturing->ops = grown;
        capturing->cap = cap;
    }
    mock_op *op = &capturing->ops[capturing->n++];
    op->fn = fn;
    memcpy(op->args, args, size);
    return 0;
}

void mock_load(const void *base, psamp_dtype dt, size_t offset, size_t n, float *out) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    psamp_tensor view = {(const unsigned char *)base + offset * es, dt, 1, {(int64_t)n, 0}, "mock"};
    psamp_tensor_to_f32(&view, out);
}

void mock_store(void *base, psamp_dtype dt, size_t offset, size_t n, const float *in) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    psamp_f32_to_dtype(in, n, dt, (unsigned char *)base + offset * es);
}

/* ---- runtime ---------------------------------------------------------------------- */

cudaError_t cudaGetDeviceCount(int *count) {
    *count = 1;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char *cudaGetErrorString(cudaError_t error) {
    return error == cudaSuccess ? "no error" : "mock CUDA error";
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
    memset(prop, 0, sizeof *prop);
    strcpy(prop->name, "CPU mock of a CUDA device");
    return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    *free_bytes = (size_t)8 << 30;
    *total_bytes = (size_t)16 << 30;
    return cudaSuccess;
}
/* 256-byte aligned like cudaMalloc, and exactly `size` bytes, so that AddressSanitizer sees
 * a kernel reading past the end of a buffer. */
cudaError_t cudaMalloc(void **ptr, size_t size) {
    *ptr = NULL;
    if (posix_memalign(ptr, 256, size ? size : 1) != 0) *ptr = NULL;
    return *ptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void *ptr) {
    free(ptr);
    return cudaSuccess;
}
cudaError_t cudaMallocHost(void **ptr, size_t size) { return cudaMalloc(ptr, size); }
cudaError_t cudaFreeHost(void *ptr) { return cudaFree(ptr); }
cudaError_t cudaMemset(void *ptr, int value, size_t count) {
    memset(ptr, value, count);
    return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
    (void)kind;
    memcpy(dst, src, count);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
    (void)stream;
    if (capturing) return cudaErrorStreamCaptureUnsupported; /* the engine never does */
    return cudaMemcpy(dst, src, count, kind);
}
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    (void)stream;
    return capturing ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned int flags) {
    (void)flags;
    *stream = (cudaStream_t)malloc(1);
    return *stream ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    free(stream);
    return cudaSuccess;
}

/* ---- graphs ------------------------------------------------------------------------ */

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode) {
    (void)stream, (void)mode;
    if (capturing) return cudaErrorIllegalState;
    capturing = calloc(1, sizeof *capturing);
    return capturing ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    (void)stream;
    if (!capturing) return cudaErrorIllegalState;
    *graph = (cudaGraph_t)capturing;
    capturing = NULL;
    return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags) {
    (void)flags;
    const mock_graph *g = (const mock_graph *)graph;
    mock_graph *copy = calloc(1, sizeof *copy);
    if (!copy) return cudaErrorMemoryAllocation;
    copy->ops = malloc((size_t)(g->n > 0 ? g->n : 1) * sizeof *copy->ops);
    if (!copy->ops) {
        free(copy);
        return cudaErrorMemoryAllocation;
    }
    if (g->n) memcpy(copy->ops, g->ops, (size_t)g->n * sizeof *copy->ops);
    copy->n = copy->cap = g->n;
    *exec = (cudaGraphExec_t)copy;
    return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    (void)stream;
    const mock_graph *g = (const mock_graph *)exec;
    for (int i = 0; i < g->n; i++) g->ops[i].fn(g->ops[i].args);
    return cudaSuccess;
}
static void free_graph(mock_graph *g) {
    if (g) free(g->ops);
    free(g);
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    free_graph((mock_graph *)graph);
    return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    free_graph((mock_graph *)exec);
    return cudaSuccess;
}

/* ---- cuBLAS ------------------------------------------------------------------------ */

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
    *handle = (cublasHandle_t)malloc(1);
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}
cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    free(handle);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    (void)handle, (void)stream;
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

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const void *a, *b;
    void *c;
    psamp_dtype at, bt, ct;
} gemm_args;

/* Column-major C = alpha op(A) op(B) + beta C with fp32 accumulation. */
static void run_gemm(const void *p) {
    const gemm_args *g = p;
    const size_t a_n = (size_t)g->lda * (size_t)(g->ta ? g->m : g->k);
    const size_t b_n = (size_t)g->ldb * (size_t)(g->tb ? g->k : g->n);
    float *a = malloc(a_n * sizeof *a), *b = malloc(b_n * sizeof *b);
    float *col = malloc((size_t)g->m * sizeof *col);
    if (!a || !b || !col) abort(); /* test mock: no way on */
    mock_load(g->a, g->at, 0, a_n, a);
    mock_load(g->b, g->bt, 0, b_n, b);
    for (int j = 0; j < g->n; j++) {
        for (int i = 0; i < g->m; i++) {
            float s = 0.0f;
            for (int q = 0; q < g->k; q++) {
                const float av = g->ta ? a[(size_t)i * g->lda + q] : a[(size_t)q * g->lda + i];
                const float bv = g->tb ? b[(size_t)q * g->ldb + j] : b[(size_t)j * g->ldb + q];
                s += av * bv;
            }
            col[i] = g->alpha * s;
        }
        if (g->beta != 0.0f) {
            float *old = malloc((size_t)g->m * sizeof *old);
            if (!old) abort();
            mock_load(g->c, g->ct, (size_t)j * g->ldc, (size_t)g->m, old);
            for (int i = 0; i < g->m; i++) col[i] += g->beta * old[i];
            free(old);
        }
        mock_store(g->c, g->ct, (size_t)j * g->ldc, (size_t)g->m, col);
    }
    free(a), free(b), free(col);
}

static int to_dtype(cudaDataType_t t, psamp_dtype *out) {
    if (t == CUDA_R_32F) *out = PSAMP_F32;
    else if (t == CUDA_R_16F) *out = PSAMP_F16;
    else if (t == CUDA_R_16BF) *out = PSAMP_BF16;
    else return -1;
    return 0;
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType_t Atype, int lda, const void *B,
                            cudaDataType_t Btype, int ldb, const void *beta, void *C,
                            cudaDataType_t Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo) {
    (void)handle, (void)algo;
    gemm_args g = {transa != CUBLAS_OP_N, transb != CUBLAS_OP_N, m, n, k, lda, ldb, ldc,
                   *(const float *)alpha, *(const float *)beta, A, B, C, PSAMP_F32, PSAMP_F32,
                   PSAMP_F32};
    if (computeType != CUBLAS_COMPUTE_32F || to_dtype(Atype, &g.at) || to_dtype(Btype, &g.bt) ||
        to_dtype(Ctype, &g.ct) || Atype != Btype)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    if (lda < (g.ta ? k : m) || ldb < (g.tb ? n : k) || ldc < m) return CUBLAS_STATUS_INVALID_VALUE;
    return mock_submit(run_gemm, &g, sizeof g) ? CUBLAS_STATUS_INTERNAL_ERROR : CUBLAS_STATUS_SUCCESS;
}
