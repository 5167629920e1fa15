/* Both fused log-softmax + sampling kernels (sample.cu: three passes; sample_onepass.cu: one
 * pass) against host/engine/sample_row.c, draw for draw: the same token for the same Philox
 * uniform (a different one only where u sits on a CDF boundary to within float rounding),
 * log p and log q within 1e-4, greedy = the lowest id among tied maxima, scoring rows
 * return their given token, padding rows are left alone, columns past the vocabulary hold
 * NaN and never reach a result. Row strides take both load paths of the one-pass kernel
 * (ld % 4 != 0: single ids; ld % 4 == 0: 16-byte vectors whose tail crosses the
 * vocabulary's end). Then the frequencies of 200000 draws from one row match
 * softmax(logits / tau) (chi-square). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_test.h"
#include "kernels.h"
#include "philox.h"
#include "sample_row.h"

#define LOG_TOL 1e-4

static double row_max(const float *l, int v) {
    double m = -INFINITY;
    for (int i = 0; i < v; i++) m = l[i] > m ? l[i] : m;
    return m;
}

/* log-sum-exp of l / tau relative to the max, in double. */
static double log_norm(const float *l, int v, double tau, double max) {
    double s = 0.0;
    for (int i = 0; i < v; i++) s += exp(((double)l[i] - max) / tau);
    return log(s);
}

/* Whether u * Z lies within 1e-6 Z of the CDF just past min(a, b): a rounding tie. */
static int boundary_tie(const float *l, int v, float tau, double u, int a, int b) {
    const double max = row_max(l, v);
    double total = 0.0, cum = 0.0;
    const int lo = a < b ? a : b;
    for (int i = 0; i < v; i++) {
        const double w = exp(((double)l[i] - max) / tau);
        total += w;
        if (i <= lo) cum += w;
    }
    return fabs(cum - u * total) <= 1e-6 * total;
}

typedef struct {
    int mismatched, ties, bad_logs;
    double worst_log;
} agreement;

/* Compares one GPU result with the host's rule for that row. */
static void compare_row(const float *l, int v, const psamp_k_row *row, const psamp_k_result *got,
                        agreement *a) {
    const double u = psamp_u32_to_unit(psamp_philox_u32(row->seed, row->stream, row->counter));
    int32_t want;
    if (row->target >= 0) {
        want = row->target;
    } else {
        want = psamp_sample_row(l, v, row->tau, u).token;
    }
    if (got->token != want) {
        if (row->target < 0 && row->tau > 0.0f && got->token >= 0 && got->token < v &&
            boundary_tie(l, v, row->tau, u, got->token, want))
            a->ties++;
        else
            a->mismatched++;
        return;
    }
    const double max = row_max(l, v), d = (double)l[want] - max;
    const double logp = d - log_norm(l, v, 1.0, max);
    const double logq = row->tau > 0.0f ? d / row->tau - log_norm(l, v, row->tau, max) : 0.0;
    const double err = fmax(fabs(got->logp - logp), fabs(got->logq - logq));
    if (!(err <= LOG_TOL)) a->bad_logs++;
    if (err > a->worst_log || isnan(err)) a->worst_log = isnan(err) ? INFINITY : err;
}

typedef cudaError_t (*sample_fn)(const float *logits, int64_t ld, int32_t vocab,
                                 const psamp_k_row *rows, int32_t n_rows, psamp_k_result *out,
                                 cudaStream_t stream);
static const sample_fn SAMPLERS[] = {psamp_k_sample, psamp_k_sample_onepass};
static const char *const SAMPLER_NAMES[] = {"sample", "sample onepass"};

/* Rows of one vocabulary size: random logits at several temperatures, greedy rows with
 * tied maxima far apart, rows with -inf entries, scoring rows and one padding row.
 * vector_ld: a row stride that is a multiple of 4 (else v + 3). */
static void check_agreement(psamp_test_state *t, test_rng *rng, int v, int k_sampler,
                            int vector_ld) {
    enum { MAX_ROWS = 48 };
    const float taus[] = {0.0f, 0.25f, 0.7f, 1.0f, 1.6f};
    /* padding columns hold NaN: a result that used them would show */
    const int ld = vector_ld ? (v + 4) / 4 * 4 : (v + 3) % 4 == 0 ? v + 2 : v + 3;
    psamp_k_row rows[MAX_ROWS];
    memset(rows, 0, sizeof rows);
    float *l = malloc((size_t)MAX_ROWS * ld * sizeof *l);
    CHECK(t, l != NULL, "sample: host memory");
    if (!l) return;
    int n = 0;
    for (int k = 0; k < 5; k++)
        for (int rep = 0; rep < 6; rep++, n++) {
            float *row = l + (size_t)n * ld;
            test_fill_normal(rng, row, (size_t)v, 3.0);
            if (rep == 4 && v > 1) { /* tied maxima, the lower id later in memory order */
                const int hi = v - 1, lo = v / 3;
                row[hi] = row[lo] = 40.0f;
            }
            if (rep == 5) /* a masked half */
                for (int i = 0; i < v / 2; i++) row[2 * i + 1 < v ? 2 * i + 1 : 0] = -INFINITY;
            rows[n] = (psamp_k_row){n % 3, 0, 0, -1, taus[k], 0, 0x5eed + (uint64_t)n,
                                    (uint64_t)(17 * n), (uint64_t)(test_uniform(rng) * 1e9)};
        }
    for (int k = 0; k < 4; k++, n++) { /* scoring rows */
        float *row = l + (size_t)n * ld;
        test_fill_normal(rng, row, (size_t)v, 3.0);
        rows[n] = (psamp_k_row){1, 0, 0, (int32_t)(test_uniform(rng) * v), k < 2 ? 1.0f : 0.0f,
                                0, 1, 2, 3};
    }
    const int pad = n++;
    test_fill_normal(rng, l + (size_t)pad * ld, (size_t)v, 1.0);
    rows[pad] = (psamp_k_row){-1, 0, 0, -1, 1.0f, 0, 1, 2, 3};
    for (int r = 0; r < n; r++)
        for (int i = v; i < ld; i++) l[(size_t)r * ld + i] = NAN;

    float *l_d = gpu_alloc_poisoned((size_t)n * ld * 4);
    void *rows_d = gpu_alloc_poisoned(sizeof rows);
    psamp_k_result *res_d = gpu_alloc_poisoned((size_t)n * sizeof(psamp_k_result));
    psamp_k_result res[MAX_ROWS];
    CHECK(t, l_d && rows_d && res_d, "sample: cudaMalloc");
    if (!(l_d && rows_d && res_d)) return;
    GPU_OK(t, cudaMemcpy(l_d, l, (size_t)n * ld * 4, cudaMemcpyHostToDevice));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    GPU_OK(t, SAMPLERS[k_sampler](l_d, ld, v, rows_d, n, res_d, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, cudaMemcpy(res, res_d, (size_t)n * sizeof *res, cudaMemcpyDeviceToHost));
    agreement a = {0, 0, 0, 0.0};
    for (int r = 0; r < n; r++)
        if (r != pad) compare_row(l + (size_t)r * ld, v, &rows[r], &res[r], &a);
    CHECK(t, res[pad].token == -1, "%s V=%d: the padding row was written (token %d)",
          SAMPLER_NAMES[k_sampler], v, res[pad].token);
    char name[48];
    snprintf(name, sizeof name, "%s == host V=%d ld=%d", SAMPLER_NAMES[k_sampler], v, ld);
    report_row(t, name, "fp32", "token_mismatches", (double)a.mismatched, 0.0);
    report_row(t, name, "fp32", "max_log_err", a.worst_log, LOG_TOL);
    if (a.ties) printf("  V=%d: %d draws on a CDF boundary (rounding ties)\n", v, a.ties);
    cudaFree(l_d), cudaFree(rows_d), cudaFree(res_d);
    free(l);
}

/* 200000 draws from one fixed row: frequencies vs softmax(logits / tau), and each draw equal
 * to the host's. */
static void check_frequencies(psamp_test_state *t, test_rng *rng, int k_sampler) {
    enum { V = 16, N = 200000 };
    const float tau = 0.8f;
    float logits[V];
    test_fill_normal(rng, logits, V, 1.5);
    float *l = malloc((size_t)N * V * sizeof *l);
    psamp_k_row *rows = calloc(N, sizeof *rows);
    psamp_k_result *res = malloc((size_t)N * sizeof *res);
    CHECK(t, l && rows && res, "frequencies: host memory");
    if (!(l && rows && res)) return;
    for (int r = 0; r < N; r++) {
        memcpy(l + (size_t)r * V, logits, sizeof logits);
        rows[r] = (psamp_k_row){0, 0, 0, -1, tau, 0, 99, 5, (uint64_t)r};
    }
    float *l_d = gpu_alloc_poisoned((size_t)N * V * 4);
    void *rows_d = gpu_alloc_poisoned((size_t)N * sizeof *rows);
    psamp_k_result *res_d = gpu_alloc_poisoned((size_t)N * sizeof *res);
    CHECK(t, l_d && rows_d && res_d, "frequencies: cudaMalloc");
    if (!(l_d && rows_d && res_d)) return;
    GPU_OK(t, cudaMemcpy(l_d, l, (size_t)N * V * 4, cudaMemcpyHostToDevice));
    GPU_OK(t, cudaMemcpy(rows_d, rows, (size_t)N * sizeof *rows, cudaMemcpyHostToDevice));
    GPU_OK(t, SAMPLERS[k_sampler](l_d, V, V, rows_d, N, res_d, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, cudaMemcpy(res, res_d, (size_t)N * sizeof *res, cudaMemcpyDeviceToHost));
    double count[V] = {0}, p[V], z = 0.0;
    const double max = row_max(logits, V);
    for (int i = 0; i < V; i++) z += (p[i] = exp((logits[i] - max) / tau));
    agreement a = {0, 0, 0, 0.0};
    int out_of_range = 0;
    for (int r = 0; r < N; r++) {
        if (res[r].token < 0 || res[r].token >= V) {
            out_of_range++;
            continue;
        }
        count[res[r].token] += 1.0;
        if (r % 20 == 0) compare_row(logits, V, &rows[r], &res[r], &a); /* 10000 draws */
    }
    double chi2 = 0.0;
    for (int i = 0; i < V; i++) {
        const double expect = N * p[i] / z;
        chi2 += (count[i] - expect) * (count[i] - expect) / expect;
    }
    CHECK(t, out_of_range == 0, "frequencies: %d tokens outside the vocabulary", out_of_range);
    /* 15 degrees of freedom: P(chi2 > 44.3) = 1e-4. */
    char name[48];
    snprintf(name, sizeof name, "%s frequencies V=16", SAMPLER_NAMES[k_sampler]);
    report_row(t, name, "fp32", "chi2_df15", chi2, 44.3);
    snprintf(name, sizeof name, "%s draws == host", SAMPLER_NAMES[k_sampler]);
    report_row(t, name, "fp32", "token_mismatches", (double)a.mismatched, 0.0);
    cudaFree(l_d), cudaFree(rows_d), cudaFree(res_d);
    free(l), free(rows), free(res);
}

/* Usage: test_gpu_sample [--quick]   (--quick: the vocabularies of a real model and a
 * fixture, no frequency run; for the sanitizers and the block emulator, which slow every
 * block down) */
int main(int argc, char **argv) {
    const int gate = gpu_test_begin("test_gpu_sample");
    if (gate) return gate;
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    psamp_test_state t = {0, 0};
    test_rng rng = test_rng_make("test_gpu_sample");
    const int vocabs[] = {50272, 1024, 1000, 7, 1};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < (quick ? 2 : 5); i++)
            for (int vec = 0; vec < 2; vec++) check_agreement(&t, &rng, vocabs[i], k, vec);
        if (!quick) check_frequencies(&t, &rng, k);
    }
    return psamp_test_finish(&t, "test_gpu_sample");
}
