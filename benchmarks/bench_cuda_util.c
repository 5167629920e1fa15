/* bench_cuda.h's helpers: median, random device buffers, event timing. */
#include <stdlib.h>

#include "bench_cuda.h"
#include "tensor_narrow.h"

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

int random_device(void **dev, size_t n, psamp_dtype dt, uint64_t seed) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    float *f = malloc(n * sizeof *f);
    void *bits = malloc(n * es);
    if (!f || !bits) {
        free(f), free(bits);
        fprintf(stderr, "bench_cuda: out of host memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++) f[i] = (float)((double)(splitmix64(&seed) >> 11) * 0x1p-53 - 0.5);
    psamp_f32_to_dtype(f, n, dt, bits);
    cudaError_t rc = cudaMalloc(dev, n * es);
    if (rc == cudaSuccess) rc = cudaMemcpy(*dev, bits, n * es, cudaMemcpyHostToDevice);
    free(f), free(bits);
    BENCH_CUDA(rc);
    return 0;
}

int median_seconds(cudaStream_t stream, int (*work)(const void *ctx), const void *ctx,
                          double *sec) {
    cudaEvent_t a, b;
    BENCH_CUDA(cudaEventCreate(&a));
    BENCH_CUDA(cudaEventCreate(&b));
    double times[5];
    int rc = 0;
    for (int pass = -1; pass < 5 && rc == 0; pass++) {
        float ms = 0.0f;
        rc = cudaEventRecord(a, stream) != cudaSuccess || work(ctx) != 0 ||
             cudaEventRecord(b, stream) != cudaSuccess || cudaEventSynchronize(b) != cudaSuccess ||
             cudaEventElapsedTime(&ms, a, b) != cudaSuccess;
        if (pass >= 0) times[pass] = ms * 1e-3;
    }
    cudaEventDestroy(a), cudaEventDestroy(b);
    BENCH_FAIL_IF(rc != 0, "timing with CUDA events", cudaGetErrorString(cudaGetLastError()));
    *sec = median(times, 5);
    return 0;
}

int fill_random(void *dev, size_t n_bytes, psamp_dtype dt, uint64_t seed) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    size_t block = (size_t)32 << 20;
    if (n_bytes < block) block = (n_bytes + es - 1) / es * es;
    void *src = NULL;
    if (random_device(&src, block / es, dt, seed)) return -1;
    for (size_t at = 0; at < n_bytes; at += block) {
        const size_t len = n_bytes - at < block ? n_bytes - at : block;
        BENCH_CUDA(cudaMemcpy((char *)dev + at, src, len, cudaMemcpyDeviceToDevice));
    }
    cudaFree(src);
    return 0;
}
