/* The plain C SGEMM behind host/engine/cpu/blas_fallback (the CPU engine's GEMM where OpenBLAS is
 * absent) against a float64 triple loop: both layouts, all four transposes, leading
 * dimensions wider than the matrices, alpha/beta, and beta = 0 ignoring NaNs in C. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sgemm_plain.h"
#include "testlib.h"

static float rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 11) * 0x1p-53 * 2.0 - 1.0);
}

/* Element (i, j) of op(X) where X is stored row- or column-major with leading dim ld. */
static double elem(const float *x, int ld, int row_major, int trans, int i, int j) {
    if (trans) {
        const int tmp = i;
        i = j;
        j = tmp;
    }
    return row_major ? x[(size_t)i * ld + j] : x[(size_t)j * ld + i];
}

int main(void) {
    psamp_test_state t = {0, 0};
    uint64_t s = 42;
    const int m = 7, n = 5, k = 9, pad = 3;
    float a[(9 + 3) * (9 + 3)], b[(9 + 3) * (9 + 3)], c[(7 + 3) * (7 + 3)], c0[(7 + 3) * (7 + 3)];
    for (int row_major = 0; row_major < 2; row_major++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int beta_case = 0; beta_case < 2; beta_case++) {
                    /* Stored shapes: A is m x k (or k x m), B is k x n (or n x k). */
                    const int a_rows = ta ? k : m, a_cols = ta ? m : k;
                    const int b_rows = tb ? n : k, b_cols = tb ? k : n;
                    const int lda = (row_major ? a_cols : a_rows) + pad;
                    const int ldb = (row_major ? b_cols : b_rows) + pad;
                    const int ldc = (row_major ? n : m) + pad;
                    for (size_t i = 0; i < sizeof a / sizeof *a; i++) a[i] = rnd(&s);
                    for (size_t i = 0; i < sizeof b / sizeof *b; i++) b[i] = rnd(&s);
                    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
                        c[i] = c0[i] = beta_case ? rnd(&s) : NAN;
                    const float alpha = 0.75f, beta = beta_case ? -1.5f : 0.0f;
                    psamp_sgemm_plain(row_major, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                    double worst = 0.0;
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double want = 0.0;
                            for (int p = 0; p < k; p++)
                                want += elem(a, lda, row_major, ta, i, p) * elem(b, ldb, row_major, tb, p, j);
                            want *= alpha;
                            const size_t at = row_major ? (size_t)i * ldc + j : (size_t)j * ldc + i;
                            if (beta_case) want += beta * c0[at];
                            const double d = fabs(c[at] - want);
                            worst = isnan(d) || d > worst ? (isnan(d) ? INFINITY : d) : worst;
                        }
                    CHECK(&t, worst < 1e-5, "row_major %d ta %d tb %d beta %d: error %g", row_major,
                          ta, tb, beta_case, worst);
                }
    return psamp_test_finish(&t, "test_sgemm_plain");
}
