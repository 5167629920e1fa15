/* The CUDA engine's device allocations and lanes (engine_cuda_alloc.c). */
#ifndef PSAMP_ENGINE_CUDA_ALLOC_H
#define PSAMP_ENGINE_CUDA_ALLOC_H

#include <stddef.h>

#include "engine_cuda_state.h"

/* The cuBLAS workspace of each lane (the memory plan counts one per lane). */
#define BLAS_WORKSPACE_BYTES ((size_t)32 << 20)

/* cudaMalloc recorded in e->allocs (freed by destroy), zero-filled. */
int cuda_engine_alloc(cuda_engine *e, void **ptr, size_t bytes, const char *what,
                      psamp_err *err);
/* A non-blocking stream of the given priority with its own cuBLAS handle and workspace (the
 * stream and handle are the caller's to destroy; the workspace is e's allocation). */
int cuda_lane_create(cuda_engine *e, cuda_lane *lane, int priority, psamp_err *err);

#endif
