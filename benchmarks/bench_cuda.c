/* CUDA engine decode-step throughput on a random OPT-125M-shaped model (no download), with
 * the roofline of each step measured in the same run.
 *
 * One engine holds max(slots) + 1 slots of 288 tokens (a 32-token prompt + 256 new). A
 * template slot is prefilled with 287 random tokens; for each batch size n, slots 0..n-1 are
 * forked from it at random lengths in [33, 264] (one batched fork), then the whole batch is
 * stepped (tau = 1, each slot its own Philox stream): 3 warm-up steps (the first captures the
 * bucket's graph), then `steps` timed steps, host clock around each engine call (H2D, graph,
 * D2H, sync), median reported.
 *
 * Floor of a step = max(FLOP time, byte time), both from rates measured here:
 *   FLOPs: 2 per multiply-add of the linear layers and lm_head over n rows, plus attention
 *          (4 * hidden * kv_len per slot and layer); rate: cuBLAS on the model's own GEMM
 *          shapes at M = 4096 rows (the engine's call, dtype inputs, fp32 output/compute).
 *   bytes: every weight matrix once + every active slot's K and V read once; rate: a 1 GiB
 *          device-to-device copy, counting bytes read + written.
 * ratio = measured step / floor (goal: <= 1.5 at 1024 slots). "gemm ms" is cuBLAS alone on
 * the step's GEMM shapes at M = n: the step's time minus it is attention, sampling and the
 * small kernels.
 *
 * usage: bench_cuda [--dtype fp16|bf16|fp32] [--steps N] [slots ...]  (default 1 64 256 1024 4096)
 * Lines starting "BENCH" are the machine-readable summary (tests/gpu/check.sh). */
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_cuda.h"
#include "opt_checkpoint.h"
#include "philox.h"
#include "tensor_narrow.h"

#define PROMPT 32
#define NEW_TOKENS 256
#define MAX_LEN (PROMPT + NEW_TOKENS)
#define WARMUP 3
#define RATE_ROWS 4096
#define MAX_SIZES 16

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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Device buffers of random dtype values (never zeros: they can run faster than real data). */
static int random_device(void **dev, size_t n, psamp_dtype dt, uint64_t seed) {
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

typedef struct {
    int n, k;  /* output features, input features of one linear layer */
    int count; /* how many per step */
} gemm_shape;

/* The step's GEMMs (engine_cuda_forward.c): per layer qkv, out, fc1, fc2, then lm_head. */
static int model_shapes(const opt_config *c, gemm_shape *s) {
    const int h = c->hidden, f = c->ffn_dim, l = c->n_layers;
    s[0] = (gemm_shape){3 * h, h, l};
    s[1] = (gemm_shape){h, h, l};
    s[2] = (gemm_shape){f, h, l};
    s[3] = (gemm_shape){h, f, l};
    s[4] = (gemm_shape){c->vocab_size, c->word_embed_proj_dim, 1};
    return 5;
}

/* Median seconds of 5 runs of work(ctx) enqueued on stream, after one warm-up run, timed
 * with events around each. */
static int median_seconds(cudaStream_t stream, int (*work)(const void *ctx), const void *ctx,
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

typedef struct {
    cublasHandle_t blas;
    const gemm_shape *s;
    int n_shapes, m;
    const void *x, *w;
    float *y;
    cudaDataType_t t;
} gemm_work;

/* One step's GEMMs at m rows, the engine's call (row-major x W^T, fp32 out and compute). */
static int run_gemms(const void *ctx) {
    const gemm_work *g = ctx;
    const float one = 1.0f, zero = 0.0f;
    for (int i = 0; i < g->n_shapes; i++)
        for (int r = 0; r < g->s[i].count; r++)
            BENCH_BLAS(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, g->s[i].n, g->m, g->s[i].k,
                                    &one, g->w, g->t, g->s[i].k, g->x, g->t, g->s[i].k, &zero, g->y,
                                    CUDA_R_32F, g->s[i].n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

static int time_gemms(cublasHandle_t blas, cudaStream_t stream, const gemm_shape *s, int n_shapes,
                      int m, const void *x, const void *w, float *y, psamp_dtype dt, double *sec) {
    const gemm_work g = {blas, s, n_shapes, m, x, w, y,
                         dt == PSAMP_F16 ? CUDA_R_16F : dt == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F};
    return median_seconds(stream, run_gemms, &g, sec);
}

typedef struct {
    void *dst;
    const void *src;
    size_t bytes;
    cudaStream_t stream;
} copy_work;

static int run_copy(const void *ctx) {
    const copy_work *c = ctx;
    BENCH_CUDA(cudaMemcpyAsync(c->dst, c->src, c->bytes, cudaMemcpyDeviceToDevice, c->stream));
    return 0;
}

/* Device-to-device copy rate in bytes/s (read + written), 1 GiB, median of 5. */
static int copy_rate(cudaStream_t stream, double *rate) {
    const size_t bytes = (size_t)1 << 30;
    void *src = NULL, *dst = NULL;
    BENCH_CUDA(cudaMalloc(&src, bytes));
    BENCH_CUDA(cudaMalloc(&dst, bytes));
    BENCH_CUDA(cudaMemset(src, 0x5a, bytes));
    BENCH_CUDA(cudaDeviceSynchronize());
    const copy_work c = {dst, src, bytes, stream};
    double sec = 0.0;
    const int rc = median_seconds(stream, run_copy, &c, &sec);
    cudaFree(src), cudaFree(dst);
    if (rc) return -1;
    *rate = 2.0 * (double)bytes / sec;
    return 0;
}

typedef struct {
    cublasHandle_t blas;
    cudaStream_t stream;
    void *x, *w;
    float *y;
    gemm_shape shapes[5];
    int n_shapes;
    double gemm_flops_per_row; /* 2 * multiply-adds of one row through every GEMM */
    double weight_bytes;
    double gemm_rate, copy_rate; /* FLOP/s at RATE_ROWS rows, bytes/s */
} ceilings;

/* rows: the most rows any timing here uses (RATE_ROWS or the largest batch). */
static int measure_ceilings(const opt_config *c, psamp_dtype dt, int rows, ceilings *m) {
    memset(m, 0, sizeof *m);
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    m->n_shapes = model_shapes(c, m->shapes);
    size_t max_w = 0, max_k = 0, max_n = 0;
    for (int i = 0; i < m->n_shapes; i++) {
        const gemm_shape *s = &m->shapes[i];
        const size_t w = (size_t)s->n * (size_t)s->k;
        m->gemm_flops_per_row += 2.0 * (double)w * s->count;
        m->weight_bytes += (double)(w * es) * s->count;
        max_w = w > max_w ? w : max_w;
        max_k = (size_t)s->k > max_k ? (size_t)s->k : max_k;
        max_n = (size_t)s->n > max_n ? (size_t)s->n : max_n;
    }
    BENCH_BLAS(cublasCreate(&m->blas));
    BENCH_CUDA(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking));
    BENCH_BLAS(cublasSetStream(m->blas, m->stream));
    if (random_device(&m->w, max_w, dt, 11) || random_device(&m->x, (size_t)rows * max_k, dt, 12))
        return -1;
    BENCH_CUDA(cudaMalloc((void **)&m->y, (size_t)rows * max_n * sizeof(float)));
    BENCH_CUDA(cudaDeviceSynchronize()); /* uploads ran on the legacy stream */
    double sec = 0.0;
    if (time_gemms(m->blas, m->stream, m->shapes, m->n_shapes, RATE_ROWS, m->x, m->w, m->y, dt, &sec))
        return -1;
    m->gemm_rate = m->gemm_flops_per_row * RATE_ROWS / sec;
    return copy_rate(m->stream, &m->copy_rate);
}

static void free_ceilings(ceilings *m) {
    cudaFree(m->x), cudaFree(m->w), cudaFree(m->y);
    if (m->blas) cublasDestroy(m->blas);
    if (m->stream) cudaStreamDestroy(m->stream);
}

/* Forks slots 0..n-1 from the template at random lengths and times `steps` batched steps. */
static int run_size(psamp_engine *e, const opt_config *c, psamp_dtype dt, int n, int steps,
                    int32_t template_slot, const ceilings *m, uint64_t *rng) {
    psamp_err err = {{0}};
    psamp_fork_request *forks = malloc((size_t)n * sizeof *forks);
    psamp_step_request *reqs = malloc((size_t)n * sizeof *reqs);
    psamp_step_result *res = malloc((size_t)n * sizeof *res);
    double *times = malloc((size_t)steps * sizeof *times);
    if (!forks || !reqs || !res || !times) {
        free(forks), free(reqs), free(res), free(times);
        fprintf(stderr, "bench_cuda: out of host memory\n");
        return -1;
    }
    const int max_keep = MAX_LEN - WARMUP - steps - 1;
    double kv_positions = 0.0; /* sum of the slots' KV lengths over the timed steps */
    for (int i = 0; i < n; i++) {
        const int keep = PROMPT + 1 + (int)(splitmix64(rng) % (uint64_t)(max_keep - PROMPT));
        forks[i] = (psamp_fork_request){i, template_slot, keep};
        /* A step at length len reads len KV positions (the pending token's included). */
        kv_positions += (double)steps * (keep + WARMUP) + 0.5 * steps * (steps - 1.0);
    }
    int rc = e->ops->fork(e, forks, n, &err);
    for (int s = 0; rc == 0 && s < WARMUP + steps; s++) {
        for (int i = 0; i < n; i++)
            reqs[i] = (psamp_step_request){i, 1.0f, 42, psamp_stream_tokens((uint64_t)i), (uint64_t)s};
        const double t0 = now_s();
        rc = e->ops->step(e, reqs, n, res, &err);
        if (s >= WARMUP) times[s - WARMUP] = now_s() - t0;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_cuda: %d slots: %s\n", n, err.msg);
    } else {
        const size_t es = dt == PSAMP_F32 ? 4 : 2;
        const double step = median(times, steps);
        const double kv_per_step = kv_positions / steps; /* summed over slots */
        const double flops = m->gemm_flops_per_row * n + 4.0 * c->hidden * c->n_layers * kv_per_step;
        const double bytes = m->weight_bytes + 2.0 * c->n_layers * c->hidden * (double)es * kv_per_step;
        const double flop_s = flops / m->gemm_rate, byte_s = bytes / m->copy_rate;
        const double floor = flop_s > byte_s ? flop_s : byte_s;
        double gemm_s = 0.0;
        if (time_gemms(m->blas, m->stream, m->shapes, m->n_shapes, n, m->x, m->w, m->y, dt, &gemm_s))
            gemm_s = -1.0;
        printf("%6d %9.3f %11.0f %9.1f %8.3f %8.3f %8.3f %8.3f %6.2f %s\n", n, step * 1e3,
               n / step, 1.0 / step, gemm_s * 1e3, flop_s * 1e3, byte_s * 1e3, floor * 1e3,
               step / floor, flop_s > byte_s ? "flops" : "bytes");
        printf("BENCH slots=%d step_ms=%.3f tok_s=%.0f floor_ms=%.3f ratio=%.2f bound=%s\n", n,
               step * 1e3, n / step, floor * 1e3, step / floor, flop_s > byte_s ? "flops" : "bytes");
    }
    free(forks), free(reqs), free(res), free(times);
    return rc;
}

static int parse_args(int argc, char **argv, psamp_dtype *dt, int *steps, int *sizes, int *n_sizes) {
    *n_sizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "fp16") == 0) *dt = PSAMP_F16;
            else if (strcmp(v, "bf16") == 0) *dt = PSAMP_BF16;
            else if (strcmp(v, "fp32") == 0) *dt = PSAMP_F32;
            else return fprintf(stderr, "bench_cuda: --dtype %s: expected fp16, bf16 or fp32\n", v), -1;
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            *steps = atoi(argv[++i]);
            if (*steps < 1 || *steps > 200)
                return fprintf(stderr, "bench_cuda: --steps %s: expected 1 to 200\n", argv[i]), -1;
        } else {
            const int n = atoi(argv[i]);
            if (n < 1 || n > 65536 || *n_sizes == MAX_SIZES)
                return fprintf(stderr, "bench_cuda: slot count '%s': expected 1 to 65536 (at most %d counts)\n",
                               argv[i], MAX_SIZES), -1;
            sizes[(*n_sizes)++] = n;
        }
    }
    if (*n_sizes == 0) {
        const int defaults[] = {1, 64, 256, 1024, 4096};
        for (int i = 0; i < 5; i++) sizes[i] = defaults[i];
        *n_sizes = 5;
    }
    return 0;
}

int main(int argc, char **argv) {
    psamp_dtype dt = PSAMP_F16;
    int steps = 20, sizes[MAX_SIZES], n_sizes = 0;
    if (parse_args(argc, argv, &dt, &steps, sizes, &n_sizes)) return 2;
    if (psamp_cuda_device_count() == 0) {
        fprintf(stderr, "bench_cuda: no CUDA device\n");
        return 1;
    }
    int max_n = 0;
    for (int i = 0; i < n_sizes; i++) max_n = sizes[i] > max_n ? sizes[i] : max_n;
    const opt_config cfg = opt_config_125m();
    opt_checkpoint ck;
    psamp_err err = {{0}};
    if (opt_checkpoint_random(&ck, &cfg, 1, &err)) {
        fprintf(stderr, "bench_cuda: %s\n", err.msg);
        return 1;
    }
    psamp_engine *e = NULL;
    const psamp_cuda_options opts = {dt, 0};
    const double t0 = now_s();
    const int created = psamp_engine_cuda_create(&ck, max_n + 1, MAX_LEN, &opts, &e, &err) == 0;
    opt_checkpoint_close(&ck);
    if (!created) {
        fprintf(stderr, "bench_cuda: %s\n", err.msg);
        return 1;
    }
    printf("bench_cuda: %s; %d slots x %d tokens, created in %.1f s\n", e->info.detail, max_n + 1,
           MAX_LEN, now_s() - t0);
    ceilings m;
    int rc = measure_ceilings(&cfg, dt, max_n > RATE_ROWS ? max_n : RATE_ROWS, &m);
    if (rc == 0) {
        printf("measured: cuBLAS %.1f TFLOP/s on the model's GEMMs at %d rows; copy %.0f GB/s (read + write)\n",
               m.gemm_rate * 1e-12, RATE_ROWS, m.copy_rate * 1e-9);
        printf("BENCH gemm_tflops=%.1f copy_gbs=%.0f\n", m.gemm_rate * 1e-12, m.copy_rate * 1e-9);
        /* The template: 287 random tokens after BOS, positions 0..286 of the KV. */
        int32_t prompt[MAX_LEN - 1];
        uint64_t rng = 7;
        prompt[0] = 2;
        for (int i = 1; i < MAX_LEN - 1; i++) prompt[i] = 3 + (int32_t)(splitmix64(&rng) % 50000);
        rc = e->ops->prefill(e, max_n, prompt, MAX_LEN - 1, 1.0f, NULL, &err);
        if (rc) fprintf(stderr, "bench_cuda: prefill: %s\n", err.msg);
    }
    if (rc == 0)
        printf("%6s %9s %11s %9s %8s %8s %8s %8s %6s %s\n", "slots", "step ms", "tok/s", "tok/s/sl",
               "gemm ms", "flop ms", "byte ms", "floor ms", "ratio", "bound");
    for (int i = 0; rc == 0 && i < n_sizes; i++) {
        uint64_t rng = 1000 + (uint64_t)i;
        rc = run_size(e, &cfg, dt, sizes[i], steps, max_n, &m, &rng);
    }
    free_ceilings(&m);
    psamp_engine_destroy(e);
    return rc == 0 ? 0 : 1;
}
