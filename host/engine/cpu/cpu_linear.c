/* Linear layers over the pool and attention's weighted row sums (cpu_linear.h). */
#include "cpu_linear.h"

#include <cblas.h>
#include <stddef.h>

#include "gemv_rows.h"

/* Hot loops get AVX2/AVX-512 clones picked at load time; the build itself targets baseline
 * x86-64 so the binary runs anywhere. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

/* Output columns per GEMM task: whole 64-column tiles, small enough that every thread gets
 * several tasks (the pool balances them when a core is busy elsewhere); one task when the
 * pool has one thread. */
static int32_t linear_chunk(int32_t out, int threads) {
    if (threads == 1) return out;
    int32_t chunk = (out + 4 * threads - 1) / (4 * threads);
    chunk = (chunk + 63) / 64 * 64;
    return chunk < 64 ? 64 : chunk;
}

typedef struct {
    const float *x, *w, *bias;
    float *y;
    int32_t n, in, out, chunk;
    int accumulate, relu;
} linear_job;

/* Columns [c0, c1) of y = x W^T (+ y), then + bias and ReLU on them while they are hot. Up to
 * GEMV_ROWS_MAX rows (decode steps of a few chains) each weight is read once into every row;
 * OpenBLAS's sgemm would first copy this slice of W into its packing buffer. */
static void linear_task(void *ctx, int64_t item, int thread) {
    const linear_job *j = ctx;
    const int32_t c0 = (int32_t)item * j->chunk;
    const int32_t cols = j->out - c0 < j->chunk ? j->out - c0 : j->chunk;
    (void)thread;
    if (j->n <= GEMV_ROWS_MAX)
        gemv_rows(j->x, j->in, j->n, j->w + (size_t)c0 * j->in, j->in, cols, j->y + c0, j->out, j->accumulate);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->n, cols, j->in, 1.0f, j->x, j->in,
                    j->w + (size_t)c0 * j->in, j->in, j->accumulate ? 1.0f : 0.0f, j->y + c0, j->out);
    if (!j->bias && !j->relu) return;
    for (int32_t r = 0; r < j->n; r++) {
        float *row = j->y + (size_t)r * j->out + c0;
        if (j->bias)
            for (int32_t i = 0; i < cols; i++) row[i] += j->bias[c0 + i];
        if (j->relu)
            for (int32_t i = 0; i < cols; i++) row[i] = row[i] > 0.0f ? row[i] : 0.0f;
    }
}

/* y[n, out] = x[n, in] W^T + bias (or y += ... when accumulate), ReLU when asked. W is
 * [out, in] row-major (HF's layout). The columns are split over the pool; each task is one
 * single-threaded sgemm. */
void cpu_linear(cpu_pool *pool, const float *x, int32_t n, int32_t in, const float *w,
                const float *bias, int32_t out, float *y, int accumulate, int relu) {
    linear_job j = {x, w, bias, y, n, in, out, linear_chunk(out, cpu_pool_threads(pool)),
                    accumulate, relu};
    cpu_pool_run(pool, (out + j.chunk - 1) / j.chunk, linear_task, &j);
}

/* y[j] = sum_k a[k] m[k * stride + j] for j < len: a weighted sum of n_terms rows, as
 * contiguous multiply-adds over j that vectorise without reordering any sum. With K stored
 * transposed this gives the scores (a = q, rows = K's head_dim rows); with V it gives the
 * mix (a = the attention weights, rows = V[t]). */
VECTOR_CLONES
void cpu_weighted_rows(float *restrict y, const float *restrict a, const float *restrict m,
                       int32_t n_terms, int32_t len, int32_t stride) {
    for (int32_t j = 0; j < len; j++) y[j] = 0.0f;
    for (int32_t k = 0; k < n_terms; k++) {
        const float ak = a[k], *restrict row = m + (size_t)k * stride;
        for (int32_t j = 0; j < len; j++) y[j] += ak * row[j];
    }
}

