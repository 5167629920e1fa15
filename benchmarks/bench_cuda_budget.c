/* The decode step's small kernels timed alone at n rows of OPT-125M (hidden 768, ffn 3072,
 * vocab 50272), to check the per-kernel budget of benchmarks/cuda_notes.md: layer norm in
 * both kernels (a step runs 25), sampling in both kernels (1), the KV append (12, none when
 * fused into attention), bias + ReLU after fc1 (12, none with the cuBLASLt epilogue), and the
 * embedding (1). Inputs are random (32 MB blocks repeated); at small n they sit in L2. */
#include <stdlib.h>

#include "bench_cuda.h"
#include "kernels.h"

#define HIDDEN 768
#define FFN 3072
#define VOCAB 50272
#define POSITIONS 2050

typedef struct {
    int kind; /* one of the kernels below */
    int n;
    float *x, *y, *bias, *gamma, *beta, *wide, *logits;
    void *h, *out_t, *k, *v, *tok, *pos;
    psamp_k_row *rows;
    psamp_k_result *results;
    psamp_dtype dt;
    cudaStream_t stream;
} budget_work;

enum { LN_LOOP, LN_ROWS, SAMPLE_3, SAMPLE_1, KV_APPEND, BIAS_RELU, EMBED, N_KINDS };
static const char *const NAMES[N_KINDS] = {"ln_loop", "ln_rows", "sample3", "sample1",
                                          "kv_append", "bias_relu", "embed"};
/* How many times a step of the default or previous kernels runs each. */
static const int PER_STEP[N_KINDS] = {25, 25, 1, 1, 12, 12, 1};

static int run_budget(const void *ctx) {
    const budget_work *b = ctx;
    switch (b->kind) {
    case LN_LOOP:
        BENCH_CUDA(psamp_k_layernorm(b->x, b->y, b->bias, b->gamma, b->beta, NULL, b->h, b->n,
                                     HIDDEN, 1e-5f, b->dt, b->stream));
        break;
    case LN_ROWS:
        BENCH_CUDA(psamp_k_layernorm_rows(b->x, b->y, b->bias, b->gamma, b->beta, NULL, b->h, b->n,
                                          HIDDEN, 1e-5f, b->dt, b->stream));
        break;
    case SAMPLE_3:
        BENCH_CUDA(psamp_k_sample(b->logits, VOCAB, VOCAB, b->rows, b->n, b->results, b->stream));
        break;
    case SAMPLE_1:
        BENCH_CUDA(psamp_k_sample_onepass(b->logits, VOCAB, VOCAB, b->rows, b->n, b->results,
                                          b->stream));
        break;
    case KV_APPEND: /* one position per slot: the cache is [n][1][hidden] */
        BENCH_CUDA(psamp_k_kv_append(b->wide, b->bias, b->x, b->k, b->v, b->rows, b->n, HIDDEN, 1,
                                     1.0f, b->dt, b->stream));
        break;
    case BIAS_RELU:
        BENCH_CUDA(psamp_k_bias_act(b->wide, b->bias, b->out_t, b->n, FFN, 1, b->dt, b->stream));
        break;
    default:
        BENCH_CUDA(psamp_k_embed(b->x, NULL, b->rows, b->n, b->tok, NULL, b->pos, HIDDEN, b->dt,
                                 b->stream));
        break;
    }
    return 0;
}

/* Rows of slots 0..n-1 at position 0 (the KV append's [n][1] cache), random tokens. */
static psamp_k_row *budget_rows(int n, const int *len) {
    psamp_k_row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) return NULL;
    uint64_t rng = 77;
    for (int i = 0; i < n; i++) {
        rows[i].slot = i;
        rows[i].pos = 0;
        rows[i].token = (int32_t)(splitmix64(&rng) % VOCAB);
        rows[i].target = -1;
        rows[i].tau = 1.0f;
        rows[i].seed = 42;
        rows[i].stream = 2 * (uint64_t)i;
        rows[i].counter = (uint64_t)len[i];
    }
    return rows;
}

int time_budget(cudaStream_t stream, int n, const int *len, int max_len, psamp_dtype dt) {
    (void)max_len;
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    budget_work b = {0};
    b.n = n;
    b.dt = dt;
    b.stream = stream;
    psamp_k_row *rows = budget_rows(n, len);
    int rc = rows ? 0 : -1;
    void *p[14] = {NULL};
    const size_t sizes[14] = {(size_t)n * HIDDEN * 4, (size_t)n * HIDDEN * 4, FFN * 4, HIDDEN * 4,
                              HIDDEN * 4, (size_t)n * FFN * 4, (size_t)n * VOCAB * 4,
                              (size_t)n * FFN * es, (size_t)n * FFN * es, (size_t)n * HIDDEN * es,
                              (size_t)n * HIDDEN * es, (size_t)VOCAB * HIDDEN * es,
                              (size_t)POSITIONS * HIDDEN * es, (size_t)n * sizeof *rows};
    for (int i = 0; i < 14 && rc == 0; i++)
        if (cudaMalloc(&p[i], sizes[i]) != cudaSuccess ||
            (i < 13 && fill_random(p[i], sizes[i], i < 7 ? PSAMP_F32 : dt, 40 + (uint64_t)i)))
            rc = -1;
    void *results = NULL;
    if (rc == 0 && (cudaMalloc(&results, (size_t)n * sizeof(psamp_k_result)) != cudaSuccess ||
                    cudaMemcpy(p[13], rows, sizes[13], cudaMemcpyHostToDevice) != cudaSuccess ||
                    cudaDeviceSynchronize() != cudaSuccess))
        rc = -1;
    double us[N_KINDS] = {0.0};
    if (rc == 0) {
        b.x = p[0], b.y = p[1], b.bias = p[2], b.gamma = p[3], b.beta = p[4], b.wide = p[5];
        b.logits = p[6], b.h = p[7], b.out_t = p[8], b.k = p[9], b.v = p[10], b.tok = p[11];
        b.pos = p[12], b.rows = p[13], b.results = results;
        for (int k = 0; k < N_KINDS && rc == 0; k++) {
            double sec = 0.0;
            b.kind = k;
            rc = median_seconds(stream, run_budget, &b, &sec);
            us[k] = sec * 1e6;
        }
    }
    if (rc == 0) {
        /* previous: loop norms, three-pass sampling, append and bias+ReLU launches; default:
         * rows norms, one-pass sampling, the append fused away; + the epilogue drops bias+ReLU */
        const double before = PER_STEP[LN_LOOP] * us[LN_LOOP] + us[SAMPLE_3] +
                              PER_STEP[KV_APPEND] * us[KV_APPEND] +
                              PER_STEP[BIAS_RELU] * us[BIAS_RELU] + us[EMBED];
        const double now = PER_STEP[LN_ROWS] * us[LN_ROWS] + us[SAMPLE_1] +
                           PER_STEP[BIAS_RELU] * us[BIAS_RELU] + us[EMBED];
        printf("       small kernels alone (%d rows), us per call: layer norm loop %.1f / rows %.1f "
               "(x25) | sampling 3-pass %.1f / 1-pass %.1f | kv_append %.1f (x12) | bias+relu "
               "%.1f (x12) | embed %.1f; per step: previous %.3f ms, default %.3f ms, with the "
               "epilogue %.3f ms\n",
               n, us[LN_LOOP], us[LN_ROWS], us[SAMPLE_3], us[SAMPLE_1], us[KV_APPEND],
               us[BIAS_RELU], us[EMBED], before * 1e-3, now * 1e-3,
               (now - PER_STEP[BIAS_RELU] * us[BIAS_RELU]) * 1e-3);
        printf("BENCH budget slots=%d", n);
        for (int k = 0; k < N_KINDS; k++) printf(" %s_us=%.2f", NAMES[k], us[k]);
        printf(" previous_ms=%.4f default_ms=%.4f\n", before * 1e-3, now * 1e-3);
    } else {
        fprintf(stderr, "bench_cuda: budget buffers for %d rows: %s\n", n,
                cudaGetErrorString(cudaGetLastError()));
    }
    for (int i = 0; i < 14; i++) cudaFree(p[i]);
    cudaFree(results);
    free(rows);
    return rc;
}
