/* The small-batch GEMV (kernels/gemv.cu) against a float64 CPU reference, in fp32, fp16 and
 * bf16: every row count 1..8 (each accumulator size, and rows past m in a larger one), k
 * that fits one vector per lane or spans several outer iterations, k that is no multiple of
 * the 16-byte vector and an x that is not 16-byte aligned (the scalar path), an odd n (a
 * warp's second column past the end), and the argument checks. The output is poisoned (NaN)
 * before each launch; y's row stride is n, as the engine's lm_head needs. */
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
    check_arguments(&t);
    return psamp_test_finish(&t, "test_gpu_gemv");
}
