/* The small-batch GEMV (kernels/gemv.cu) against a float64 CPU reference, in fp32, fp16 and
 * bf16: every row count 1..8 (each accumulator size, and rows past m in a larger one), k
 * that fits one vector per lane or spans several outer iterations, k that is no multiple of
 * the 16-byte vector and an x that is not 16-byte aligned (the scalar path), an odd n (a
 * warp's second column past the end), and the argument checks. The output is poisoned (NaN)
 * before each launch; y's row stride is n, as the engine's lm_head needs.
 * The fused GEMV (psamp_k_gemv_fused) with every prologue and epilogue: the layer norm of
 * fp32 rows rounded to the dtype (an input within 1e-5 of a rounding boundary may round
 * either way: its weight's share is allowed, nothing else; without the rounding fp16 and
 * bf16 fail), bias + ReLU into the dtype, and the residual add into fp32 rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_test.h"
#include "kernels.h"

static const psamp_dtype DTYPES[] = {PSAMP_F32, PSAMP_F16, PSAMP_BF16};

/* Inputs are exact in the dtype and the output is fp32: only the fp32 sums round. */
#define GEMV_TOL 2e-5

static void gemv_ref(const float *x, const float *w, int m, int n, int k, double *y) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int q = 0; q < k; q++) s += (double)x[(size_t)i * k + q] * w[(size_t)j * k + q];
            y[(size_t)i * n + j] = s;
        }
}

/* x_offset elements shift x off its 16-byte alignment (0: aligned). */
static void check_gemv(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int m, int n, int k,
                       int x_offset) {
    const size_t xn = (size_t)m * k, wn = (size_t)n * k, yn = (size_t)m * n;
    const size_t es = dtype_bytes(dt);
    float *x = malloc(xn * sizeof *x), *w = malloc(wn * sizeof *w), *y = malloc(yn * sizeof *y);
    double *ref = malloc(yn * sizeof *ref);
    char *x_base = gpu_alloc_poisoned((xn + (size_t)x_offset) * es);
    void *w_d = gpu_alloc_poisoned(wn * es);
    float *y_d = gpu_alloc_poisoned(yn * 4);
    CHECK(t, x && w && y && ref && x_base && w_d && y_d, "gemv: memory");
    if (x && w && y && ref && x_base && w_d && y_d) {
        void *x_d = x_base + (size_t)x_offset * es;
        test_fill_normal(rng, x, xn, 1.0);
        test_fill_normal(rng, w, wn, 1.0 / sqrt((double)k));
        round_to_dtype(x, xn, dt);
        round_to_dtype(w, wn, dt);
        gemv_ref(x, w, m, n, k, ref);
        GPU_OK(t, gpu_upload(x_d, x, xn, dt));
        GPU_OK(t, gpu_upload(w_d, w, wn, dt));
        GPU_OK(t, psamp_k_gemv(x_d, w_d, y_d, m, n, k, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(y, y_d, yn, PSAMP_F32));
        char name[48];
        snprintf(name, sizeof name, "gemv m=%d n=%d k=%d%s", m, n, k, x_offset ? " unaligned" : "");
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(y, ref, yn), GEMV_TOL);
    }
    free(x), free(w), free(y), free(ref);
    cudaFree(x_base), cudaFree(w_d), cudaFree(y_d);
}

/* The fused GEMV's reference: the input rows (the layer norm in float64, stored in the
 * dtype, when gamma is given), y, and per output the most a boundary rounding may move it. */
static void fused_ref(const float *x, const float *w, const float *gamma, const float *beta,
                      const float *bias, const float *out0, psamp_gemv_out out, psamp_dtype dt,
                      int m, int n, int k, double *ref, double *slack) {
    float *in = malloc((size_t)m * k * sizeof *in), *amb = calloc((size_t)m * k, sizeof *amb);
    if (!in || !amb) abort(); /* test: no way on */
    for (int i = 0; i < m; i++) {
        const float *row = x + (size_t)i * k;
        if (!gamma) {
            memcpy(in + (size_t)i * k, row, (size_t)k * sizeof *in);
            continue;
        }
        double mean = 0.0, var = 0.0;
        for (int q = 0; q < k; q++) mean += row[q];
        mean /= k;
        for (int q = 0; q < k; q++) var += (row[q] - mean) * (row[q] - mean);
        const double rstd = 1.0 / sqrt(var / k + 1e-5);
        for (int q = 0; q < k; q++) {
            const double v = (row[q] - mean) * rstd * gamma[q] + beta[q];
            float r[3] = {(float)v, (float)(v * (1.0 + 1e-5)), (float)(v * (1.0 - 1e-5))};
            round_to_dtype(r, 3, dt);
            in[(size_t)i * k + q] = r[0];
            amb[(size_t)i * k + q] = fabsf(r[1] - r[2]);
        }
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0, sl = 0.0, mag = 0.0;
            for (int q = 0; q < k; q++) {
                const double wq = w[(size_t)j * k + q], xq = in[(size_t)i * k + q];
                s += xq * wq;
                sl += fabs(wq) * amb[(size_t)i * k + q];
                mag += fabs(xq * wq);
            }
            const size_t at = (size_t)i * n + j;
            const double b = bias ? bias[j] : 0.0;
            /* fp32 sums (and the norm's own fp32 arithmetic) */
            sl += 2e-6 * mag + 1e-6;
            if (out == PSAMP_GEMV_BIAS_RELU) {
                float v = (float)fmax(s + b, 0.0);
                round_to_dtype(&v, 1, dt);
                ref[at] = v;
                /* the stored value's own rounding, for a sum at a boundary */
                sl += dt == PSAMP_F32 ? 0.0 : fabs(v) * (dt == PSAMP_F16 ? 1.0 / 1024 : 1.0 / 128);
            } else {
                ref[at] = out == PSAMP_GEMV_RESIDUAL ? out0[at] + (s + b) : s;
            }
            slack[at] = sl;
        }
    free(in), free(amb);
}

/* One fused call (norm: with a layer-norm prologue) against fused_ref: the worst |error|
 * over its slack, which must be <= 1. */
static void check_fused(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int norm,
                        psamp_gemv_out out, int m, int n, int k, int x_offset) {
    const size_t xn = (size_t)m * k, wn = (size_t)n * k, yn = (size_t)m * n;
    const size_t es = dtype_bytes(dt), xes = norm ? 4 : es, oes = out == PSAMP_GEMV_BIAS_RELU ? es : 4;
    float *x = malloc(xn * sizeof *x), *w = malloc(wn * sizeof *w), *y = malloc(yn * sizeof *y);
    float *ln = malloc(2 * (size_t)k * sizeof *ln), *bias = malloc((size_t)n * sizeof *bias);
    float *out0 = malloc(yn * sizeof *out0);
    double *ref = malloc(yn * sizeof *ref), *slack = malloc(yn * sizeof *slack);
    char *x_base = gpu_alloc_poisoned((xn + (size_t)x_offset) * xes);
    void *w_d = gpu_alloc_poisoned(wn * es), *out_d = gpu_alloc_poisoned(yn * oes);
    float *ln_d = gpu_alloc_poisoned(2 * (size_t)k * 4), *bias_d = gpu_alloc_poisoned((size_t)n * 4);
    const int ok = x && w && y && ln && bias && out0 && ref && slack && x_base && w_d && out_d &&
                   ln_d && bias_d;
    CHECK(t, ok, "gemv fused: memory");
    if (ok) {
        void *x_d = x_base + (size_t)x_offset * xes;
        test_fill_normal(rng, x, xn, norm ? 2.0 : 1.0);
        for (size_t i = 0; norm && i < xn; i++) x[i] += 0.3f; /* a mean for the norm to remove */
        test_fill_normal(rng, w, wn, 1.0 / sqrt((double)k));
        test_fill_normal(rng, ln, 2 * (size_t)k, 0.2);
        for (int q = 0; q < k; q++) ln[q] += 1.0f; /* gamma near 1, beta near 0 */
        test_fill_normal(rng, bias, (size_t)n, 0.5);
        test_fill_normal(rng, out0, yn, 1.0);
        if (!norm) round_to_dtype(x, xn, dt);
        round_to_dtype(w, wn, dt);
        fused_ref(x, w, norm ? ln : NULL, ln + k, bias, out0, out, dt, m, n, k, ref, slack);
        GPU_OK(t, gpu_upload(x_d, x, xn, norm ? PSAMP_F32 : dt));
        GPU_OK(t, gpu_upload(w_d, w, wn, dt));
        GPU_OK(t, gpu_upload(ln_d, ln, 2 * (size_t)k, PSAMP_F32));
        GPU_OK(t, gpu_upload(bias_d, bias, (size_t)n, PSAMP_F32));
        if (out == PSAMP_GEMV_RESIDUAL) GPU_OK(t, gpu_upload(out_d, out0, yn, PSAMP_F32));
        const psamp_k_gemv_fusion f = {norm ? ln_d : NULL, norm ? ln_d + k : NULL, 1e-5f, bias_d, out};
        GPU_OK(t, psamp_k_gemv_fused(x_d, w_d, out_d, m, n, k, &f, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(y, out_d, yn, out == PSAMP_GEMV_BIAS_RELU ? dt : PSAMP_F32));
        double worst = 0.0;
        for (size_t i = 0; i < yn; i++)
            worst = fmax(worst, isnan(y[i]) ? INFINITY : fabs(y[i] - ref[i]) / slack[i]);
        static const char *outs[] = {"store", "bias+relu", "residual"};
        char name[64];
        snprintf(name, sizeof name, "gemv %s%s m=%d n=%d k=%d%s", norm ? "norm+" : "", outs[out],
                 m, n, k, x_offset ? " unaligned" : "");
        report_row(t, name, dtype_label(dt), "err/slack", worst, 1.0);
    }
    free(x), free(w), free(y), free(ln), free(bias), free(out0), free(ref), free(slack);
    cudaFree(x_base), cudaFree(w_d), cudaFree(out_d), cudaFree(ln_d), cudaFree(bias_d);
}

static void check_arguments(psamp_test_state *t) {
    float *y_d = gpu_alloc_poisoned(64);
    void *a_d = gpu_alloc_poisoned(64);
    CHECK(t, y_d && a_d, "gemv: cudaMalloc");
    if (!y_d || !a_d) return;
    CHECK(t, psamp_k_gemv(a_d, a_d, y_d, PSAMP_GEMV_MAX_ROWS + 1, 4, 8, PSAMP_F16, 0) ==
                 cudaErrorInvalidValue,
          "gemv: more than PSAMP_GEMV_MAX_ROWS rows must be refused");
    CHECK(t, psamp_k_gemv(a_d, a_d, y_d, 1, 4, 0, PSAMP_F16, 0) == cudaErrorInvalidValue,
          "gemv: k = 0 must be refused");
    CHECK(t, psamp_k_gemv(a_d, a_d, y_d, 1, 4, 8, (psamp_dtype)7, 0) == cudaErrorInvalidValue,
          "gemv: an unknown dtype must be refused");
    CHECK(t, psamp_k_gemv(a_d, a_d, y_d, 0, 4, 8, PSAMP_F16, 0) == cudaSuccess,
          "gemv: no rows is no work");
    const psamp_k_gemv_fusion half_norm = {y_d, NULL, 1e-5f, NULL, PSAMP_GEMV_STORE};
    const psamp_k_gemv_fusion bad_out = {NULL, NULL, 0.0f, y_d, (psamp_gemv_out)3};
    CHECK(t, psamp_k_gemv_fused(a_d, a_d, y_d, 1, 4, 8, &half_norm, PSAMP_F16, 0) ==
                 cudaErrorInvalidValue, "gemv fused: gamma without beta must be refused");
    CHECK(t, psamp_k_gemv_fused(a_d, a_d, y_d, 1, 4, 8, &bad_out, PSAMP_F16, 0) ==
                 cudaErrorInvalidValue, "gemv fused: an unknown epilogue must be refused");
    CHECK(t, psamp_k_gemv_fused(a_d, a_d, y_d, 1, 4, 8, NULL, PSAMP_F16, 0) ==
                 cudaErrorInvalidValue, "gemv fused: no fusion must be refused");
    (void)cudaGetLastError();
    cudaFree(y_d), cudaFree(a_d);
}

int main(void) {
    const int gate = gpu_test_begin("test_gpu_gemv");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    test_rng rng = test_rng_make("test_gpu_gemv");
    /* k: one partial vector chunk (40), several outer iterations with a partial last one
     * (1032 = 129 vectors of 8), no multiple of 8 (100: scalar in 16-bit, vectors in fp32),
     * no multiple of 4 (258: scalar everywhere). */
    const struct {
        int m, n, k, x_offset;
    } shapes[] = {{1, 64, 1032, 0}, {2, 37, 40, 0},  {3, 64, 1032, 0}, {4, 50, 100, 0},
                  {5, 33, 258, 0},  {6, 48, 1032, 0}, {7, 16, 40, 0},   {8, 37, 1032, 0},
                  {1, 40, 264, 1},  {8, 24, 264, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int d = 0; d < 3; d++)
            check_gemv(&t, &rng, DTYPES[d], shapes[s].m, shapes[s].n, shapes[s].k,
                       shapes[s].x_offset);
    /* The fused calls: the engine's (norm + store for QKV, norm + bias + ReLU for fc1, the
     * residual add for out_proj and fc2) and the other combinations, at 1, 3, 5 and 8 rows,
     * vector and scalar paths (k = 258; x one float off its alignment). */
    const struct {
        int m, n, k, x_offset;
    } fused_shapes[] = {{1, 64, 1032, 0}, {3, 37, 40, 0}, {8, 48, 264, 0}, {5, 33, 258, 0},
                        {1, 40, 264, 1}};
    for (size_t s = 0; s < sizeof fused_shapes / sizeof fused_shapes[0]; s++)
        for (int d = 0; d < 3; d++)
            for (int norm = 0; norm < 2; norm++)
                for (int out = PSAMP_GEMV_STORE; out <= PSAMP_GEMV_RESIDUAL; out++)
                    if (norm || out != PSAMP_GEMV_STORE) /* plain store: psamp_k_gemv above */
                        check_fused(&t, &rng, DTYPES[d], norm, (psamp_gemv_out)out,
                                    fused_shapes[s].m, fused_shapes[s].n, fused_shapes[s].k,
                                    fused_shapes[s].x_offset);
    check_arguments(&t);
    return psamp_test_finish(&t, "test_gpu_gemv");
}
