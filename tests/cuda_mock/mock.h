/* A CPU stand-in for the CUDA runtime, cuBLAS and psamp's kernel launchers, so that the CUDA
 * engine's host code (host/engine_cuda*.c) and the GPU tests run, and are checked, on a
 * machine with the CUDA headers but no GPU. Device memory is host memory; a stream runs
 * every operation at once; graph capture records the operations and a graph launch replays
 * them. The kernels here follow the contracts of kernels/kernels.h in plain C (fp32 math
 * over values stored in the engine dtype); they are a second implementation of the same
 * semantics, not the CUDA code, which only a GPU can check. */
#ifndef PSAMP_CUDA_MOCK_H
#define PSAMP_CUDA_MOCK_H

#include <stddef.h>

#include "opt_checkpoint.h"

/* Runs fn(args) now, or records it when a stream capture is open (args are copied). */
int mock_submit(void (*fn)(const void *args), const void *args, size_t size);

/* Elements [offset, offset + n) of a dtype array as fp32, and back. */
void mock_load(const void *base, psamp_dtype dt, size_t offset, size_t n, float *out);
void mock_store(void *base, psamp_dtype dt, size_t offset, size_t n, const float *in);

#endif
