/* Kernels of the decode step timed alone, to check the byte model of each variant without
 * the rest of the step: the small-batch GEMV on the step's shapes, and one layer's attention
 * in each kernel (split, warp, warp with the fused KV append) over the step's own row
 * lengths. */
#include <stdlib.h>
#include <string.h>

#include "bench_cuda.h"
#include "kernels.h"

#define HEADS 12
#define HEAD_DIM 64
#define HIDDEN (HEADS * HEAD_DIM)
/* Attention rotates over copies of the KV cache totalling at least this much, so that small
 * batches are not timed out of L2 (50 MB on an H100/H200). */
#define ROTATE_BYTES ((size_t)256 << 20)
#define MAX_COPIES 12
#define L2_BYTES (50e6)

typedef struct {
    const gemm_shape *s;
    int n_shapes, m;
    const void *x, *w;
    float *y;
    psamp_dtype dt;
    cudaStream_t stream;
} gemv_work;

static int run_gemvs(const void *ctx) {
    const gemv_work *g = ctx;
    for (int i = 0; i < g->n_shapes; i++)
        for (int r = 0; r < g->s[i].count; r++)
            BENCH_CUDA(psamp_k_gemv(g->x, g->w, g->y, g->m, g->s[i].n, g->s[i].k, g->dt, g->stream));
    return 0;
}

int time_gemvs(cudaStream_t stream, const gemm_shape *s, int n_shapes, int m, const void *x,
               const void *w, float *y, psamp_dtype dt, double *sec) {
    const gemv_work g = {s, n_shapes, m, x, w, y, dt, stream};
    return median_seconds(stream, run_gemvs, &g, sec);
}

typedef struct {
    const float *q;
    const char *k, *v; /* copies of one layer's cache, copy_bytes apart */
    size_t copy_bytes;
    int copies;
    void *out;
    float *partial;
    const psamp_k_row *rows;
    int n, max_len;
    int warps; /* < 0: the split kernels; 0: the warp kernel's own choice; else forced */
    const float *qkv, *bias; /* non-NULL: the warp kernel with the fused append (warps 0) */
    psamp_dtype dt;
    cudaStream_t stream;
} attention_work;

/* One launch per copy of the cache. */
static int run_attention(const void *ctx) {
    const attention_work *a = ctx;
    for (int c = 0; c < a->copies; c++) {
        const void *k = a->k + (size_t)c * a->copy_bytes, *v = a->v + (size_t)c * a->copy_bytes;
        if (a->qkv)
            BENCH_CUDA(psamp_k_attention_warp_append(a->qkv, a->bias, (float *)a->q, (void *)k,
                                                     (void *)v, a->out, a->partial, a->rows, a->n,
                                                     HEADS, HEAD_DIM, a->max_len, 0, a->dt,
                                                     a->stream));
        else if (a->warps >= 0)
            BENCH_CUDA(psamp_k_attention_warp(a->q, k, v, a->out, a->partial, a->rows, a->n, HEADS,
                                              HEAD_DIM, a->max_len, a->warps, a->dt, a->stream));
        else
            BENCH_CUDA(psamp_k_attention(a->q, k, v, a->out, a->partial, a->rows, a->n, HEADS,
                                         HEAD_DIM, a->max_len, a->dt, a->stream));
    }
    return 0;
}

int time_attention(cudaStream_t stream, int n, const int *len, int max_len, psamp_dtype dt) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    const size_t copy_bytes = (size_t)n * max_len * HIDDEN * es;
    int copies = (int)((ROTATE_BYTES + 2 * copy_bytes - 1) / (2 * copy_bytes));
    copies = copies < 1 ? 1 : copies > MAX_COPIES ? MAX_COPIES : copies;
    psamp_k_row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) return fprintf(stderr, "bench_cuda: out of host memory\n"), -1;
    double kv_bytes = 0.0; /* read by one launch: K and V of every position of every row */
    for (int i = 0; i < n; i++) {
        rows[i].slot = i;
        rows[i].pos = len[i] - 1;
        rows[i].target = -1;
        kv_bytes += 2.0 * len[i] * HIDDEN * (double)es;
    }
    char *k = NULL, *v = NULL;
    void *q = NULL, *out = NULL, *rows_d = NULL, *qkv = NULL, *bias = NULL;
    float *partial = NULL;
    int rc = -1;
    const size_t partial_n = psamp_attention_partial_floats(n, HEADS, HEAD_DIM, max_len);
    if (cudaMalloc((void **)&k, copy_bytes * copies) == cudaSuccess &&
        cudaMalloc((void **)&v, copy_bytes * copies) == cudaSuccess &&
        cudaMalloc(&out, (size_t)n * HIDDEN * es) == cudaSuccess &&
        cudaMalloc((void **)&partial, partial_n * sizeof(float)) == cudaSuccess &&
        cudaMalloc(&rows_d, (size_t)n * sizeof *rows) == cudaSuccess &&
        cudaMemcpy(rows_d, rows, (size_t)n * sizeof *rows, cudaMemcpyHostToDevice) == cudaSuccess &&
        random_device(&q, (size_t)n * HIDDEN, PSAMP_F32, 21) == 0 &&
        random_device(&qkv, (size_t)n * 3 * HIDDEN, PSAMP_F32, 24) == 0 &&
        random_device(&bias, (size_t)3 * HIDDEN, PSAMP_F32, 25) == 0 &&
        fill_random(k, copy_bytes * copies, dt, 22) == 0 &&
        fill_random(v, copy_bytes * copies, dt, 23) == 0 && cudaDeviceSynchronize() == cudaSuccess) {
        /* split, warp (its own choice), warp with 1, 2, 4, 8 warps per row forced, then
         * warp with the fused KV append (its own choice; it writes position pos of each
         * row into the copies, which later runs read like any other position) */
        const int warps[] = {-1, 0, 1, 2, 4, 8, 0};
        double sec[7] = {0.0};
        rc = 0;
        for (int i = 0; i < 7 && rc == 0; i++) {
            const int fused = i == 6;
            const attention_work a = {q, k, v, copy_bytes, copies, out, partial, rows_d, n,
                                      max_len, warps[i], fused ? qkv : NULL,
                                      fused ? bias : NULL, dt, stream};
            rc = median_seconds(stream, run_attention, &a, &sec[i]);
            sec[i] /= copies;
        }
        if (rc == 0) {
            const int w = psamp_attention_warps_per_row(n, HEADS, HEAD_DIM, max_len, dt);
            printf("       attention alone, one layer (%d rows x %d heads of %d, %.1f MB of KV%s): "
                   "split %.3f ms = %.0f GB/s | warp (%d/row) %.3f ms = %.0f GB/s | %.2fx\n",
                   n, HEADS, HEAD_DIM, kv_bytes * 1e-6, kv_bytes * copies < 2.0 * L2_BYTES ? ", L2-resident" : "",
                   sec[0] * 1e3, kv_bytes / sec[0] * 1e-9, w, sec[1] * 1e3, kv_bytes / sec[1] * 1e-9,
                   sec[0] / sec[1]);
            printf("       warp with 1/2/4/8 warps per row forced: %.3f / %.3f / %.3f / %.3f ms; "
                   "warp + fused KV append %.3f ms = %.0f GB/s\n",
                   sec[2] * 1e3, sec[3] * 1e3, sec[4] * 1e3, sec[5] * 1e3, sec[6] * 1e3,
                   kv_bytes / sec[6] * 1e-9);
            printf("BENCH attention slots=%d split_ms=%.4f warp_ms=%.4f split_gbs=%.0f warp_gbs=%.0f "
                   "warp_per_row=%d w1_ms=%.4f w2_ms=%.4f w4_ms=%.4f w8_ms=%.4f append_ms=%.4f "
                   "append_gbs=%.0f\n",
                   n, sec[0] * 1e3, sec[1] * 1e3, kv_bytes / sec[0] * 1e-9, kv_bytes / sec[1] * 1e-9, w,
                   sec[2] * 1e3, sec[3] * 1e3, sec[4] * 1e3, sec[5] * 1e3, sec[6] * 1e3,
                   kv_bytes / sec[6] * 1e-9);
        }
    } else {
        fprintf(stderr, "bench_cuda: attention buffers for %d rows: %s\n", n,
                cudaGetErrorString(cudaGetLastError()));
    }
    cudaFree(k), cudaFree(v), cudaFree(q), cudaFree(out), cudaFree(partial), cudaFree(rows_d);
    cudaFree(qkv), cudaFree(bias);
    free(rows);
    return rc;
}
