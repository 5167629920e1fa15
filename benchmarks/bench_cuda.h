/* Helpers of bench_cuda (the decode-step benchmark) and of its kernel timings: failure
 * macros, host clock and median, random device buffers, event timing, and the gemm shapes
 * of one OPT step. */
#ifndef PSAMP_BENCH_CUDA_H
#define PSAMP_BENCH_CUDA_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opt_checkpoint.h"
#include "splitmix64.h"

/* Returns -1 from the enclosing function, naming the failed call, its error and where. */
#define BENCH_FAIL_IF(bad, call, why)                                                        \
    do {                                                                                     \
        if (bad) {                                                                           \
            fprintf(stderr, "bench_cuda: %s failed: %s (%s:%d)\n", call, why, __FILE__,      \
                    __LINE__);                                                               \
            return -1;                                                                       \
        }                                                                                    \
    } while (0)
#define BENCH_CUDA(call)                                                                     \
    do {                                                                                     \
        cudaError_t rc_ = (call);                                                            \
        BENCH_FAIL_IF(rc_ != cudaSuccess, #call, cudaGetErrorString(rc_));                   \
    } while (0)
#define BENCH_BLAS(call)                                                                     \
    do {                                                                                     \
        cublasStatus_t rc_ = (call);                                                         \
        BENCH_FAIL_IF(rc_ != CUBLAS_STATUS_SUCCESS, #call, cublasGetStatusString(rc_));      \
    } while (0)

/* Sorts x. */
double median(double *x, int n);
/* cudaMalloc'd buffer of n random dtype values in [-0.5, 0.5) (never zeros: they can run
 * faster than real data). */
int random_device(void **dev, size_t n, psamp_dtype dt, uint64_t seed);
/* Fills n_bytes of device memory dev with random dtype values, one random block of at most
 * 32 MB repeated (a 2 GiB host buffer would be slow). */
int fill_random(void *dev, size_t n_bytes, psamp_dtype dt, uint64_t seed);
/* Median seconds of 5 runs of work(ctx) enqueued on stream, after one warm-up run, timed
 * with events around each. */
int median_seconds(cudaStream_t stream, int (*work)(const void *ctx), const void *ctx, double *sec);

typedef struct {
    int n, k;  /* output features, input features of one linear layer */
    int count; /* how many per step */
} gemm_shape;

/* bench_cuda_kernels.c: kernels timed alone. */
/* One step's GEMMs at m <= PSAMP_GEMV_MAX_ROWS rows through psamp_k_gemv (x [m, k] and w
 * as given, large enough for every shape). */
int time_gemvs(cudaStream_t stream, const gemm_shape *s, int n_shapes, int m, const void *x,
               const void *w, float *y, psamp_dtype dt, double *sec);
/* One layer's attention over n rows, row i of slot i at length len[i] (<= max_len), 12
 * heads of 64 as in OPT-125M: prints the split and the warp kernels' times and rates, and the
 * warp kernel's with each forced number of warps per row. */
int time_attention(cudaStream_t stream, int n, const int *len, int max_len, psamp_dtype dt);
/* bench_cuda_budget.c: the step's small kernels alone at n rows (len: the rows' lengths,
 * which seed their draws): prints each kernel's time and the per-step sums. */
int time_budget(cudaStream_t stream, int n, const int *len, int max_len, psamp_dtype dt);

#endif
