/* The CUDA engine's device allocations, each recorded for destroy to free, and its lanes:
 * a stream with the cuBLAS handle bound to it and that handle's workspace. */
#include <stdlib.h>

#include "engine_cuda_alloc.h"

int cuda_engine_alloc(cuda_engine *e, void **ptr, size_t bytes, const char *what,
                      psamp_err *err) {
    *ptr = NULL;
    if (bytes == 0) return 0;
    if (e->n_allocs == e->cap_allocs) {
        int32_t cap = e->cap_allocs ? 2 * e->cap_allocs : 64;
        void **grown = realloc(e->allocs, (size_t)cap * sizeof *grown);
        if (!grown) return psamp_fail(err, "cuda engine: out of host memory");
        e->allocs = grown;
        e->cap_allocs = cap;
    }
    cudaError_t rc = cudaMalloc(ptr, bytes);
    if (rc != cudaSuccess) {
        *ptr = NULL;
        return psamp_fail(err, "cuda engine: cudaMalloc of %.1f MiB for %s failed: %s (%s:%d)",
                          (double)bytes / 1048576.0, what, cudaGetErrorString(rc), __FILE__,
                          __LINE__);
    }
    e->allocs[e->n_allocs++] = *ptr;
    CUDA_TRY(err, cudaMemset(*ptr, 0, bytes));
    return 0;
}

int cuda_lane_create(cuda_engine *e, cuda_lane *lane, int priority, psamp_err *err) {
    CUDA_TRY(err, cudaStreamCreateWithPriority(&lane->stream, cudaStreamNonBlocking, priority));
    CUBLAS_TRY(err, cublasCreate(&lane->blas));
    CUBLAS_TRY(err, cublasSetStream(lane->blas, lane->stream));
    /* fp32 means fp32: no TF32 tensor-core shortcut (the engine test holds it to 1e-4). */
    if (e->dtype == PSAMP_F32) CUBLAS_TRY(err, cublasSetMathMode(lane->blas, CUBLAS_PEDANTIC_MATH));
    /* A fixed workspace keeps cuBLAS from allocating inside graph capture. */
    lane->workspace_bytes = BLAS_WORKSPACE_BYTES;
    if (cuda_engine_alloc(e, &lane->workspace, lane->workspace_bytes, "cuBLAS workspace", err))
        return -1;
    CUBLAS_TRY(err, cublasSetWorkspace(lane->blas, lane->workspace, lane->workspace_bytes));
    return 0;
}
