/* A CPU stand-in for the CUDA runtime, cuBLAS, cuBLASLt and psamp's kernel launchers, so that
 * the CUDA engine's host code (host/engine/cuda/engine_cuda*.c) and the GPU tests run, and are checked,
 * on a machine with the CUDA headers but no GPU. Device memory is host memory; outside a
 * graph capture every operation runs at once, in the order it is enqueued. A capture
 * follows CUDA's rules strictly: the capturing stream and the streams that wait on events
 * recorded in the capture take part (each operation remembers what it depends on: the
 * stream's earlier operations and the events it waited for); work enqueued on a stream not
 * taking part fails (real CUDA would run it at once, outside the graph); the capture ends
 * only when every stream taking part has been joined back into the origin stream. A graph
 * launch replays the operations in an order that respects those dependencies and nothing
 * else, changing from launch to launch (the recorded order, then each stream run as far
 * ahead as it may, highest stream first, then lowest first), so that a missing dependency
 * between streams changes results. The kernels here follow the contracts of
 * kernels/kernels.h in plain C (fp32 math over values stored in the engine dtype); they are
 * a second implementation of the same semantics, not the CUDA code, which only a GPU (or,
 * for some kernels, tests/cuda_emu) can check. */
#ifndef PSAMP_CUDA_MOCK_H
#define PSAMP_CUDA_MOCK_H

#include <cuda_runtime_api.h>
#include <library_types.h>
#include <stddef.h>

#include "opt_checkpoint.h"

/* Runs fn(args) now, or records it when a stream capture is open and `stream` takes part in
 * it (args are copied). Fails when a capture is open and stream does not take part, or on
 * no memory; the failure is also what the next cudaGetLastError returns. */
cudaError_t mock_submit(cudaStream_t stream, void (*fn)(const void *args), const void *args,
                        size_t size);

/* Elements [offset, offset + n) of a dtype array as fp32, and back. */
void mock_load(const void *base, psamp_dtype dt, size_t offset, size_t n, float *out);
void mock_store(void *base, psamp_dtype dt, size_t offset, size_t n, const float *in);
/* The engine dtype of a cuBLAS data type; -1 for others. */
int mock_dtype_of(cudaDataType_t t, psamp_dtype *out);

/* Test hooks. The mock's clock: milliseconds of fake device time, advanced by every GEMM as
 * it runs (cublasGemmEx 3; cuBLASLt by algorithm, see mock_blas.c; other operations 0), read
 * by cudaEventRecord outside a capture, so cudaEventElapsedTime gives deterministic times. */
void mock_clock_advance(double ms);
/* What cudaMemGetInfo reports as free from now on (default 8 GiB of 16). */
void mock_set_free_bytes(size_t free_bytes);
/* Whether a stream capture is open. */
int mock_capturing(void);

/* What the cuBLASLt mock saw since the process started (the mock serves one thread). Its
 * heuristic offers up to MOCK_LT_ALGOS algorithms, ids 0.. in order; id 2 is refused by
 * cublasLtMatmul; id 0 (the heuristic's first, what an untuned call runs) is the slowest. */
#define MOCK_LT_ALGOS 4
typedef struct {
    long tuning_heuristics;   /* heuristic queries for more than one algorithm */
    long runs[MOCK_LT_ALGOS]; /* cuBLASLt GEMMs run (eagerly or replayed), per algorithm id */
    long gemm_ex_runs;        /* cublasGemmEx GEMMs run */
    long refused;             /* cublasLtMatmul calls refused (algorithm 2) */
    long timing_in_capture;   /* tuning queries or event timings while a capture was open */
} mock_lt_counts;
mock_lt_counts mock_lt_counts_now(void);
/* Counts a timing or tuning query made while a capture is open (real CUDA fails timings
 * there; the tests assert none happen). */
void mock_note_timing_in_capture(void);

#endif
