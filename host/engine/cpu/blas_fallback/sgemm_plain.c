/* SGEMM in plain C: correct for every layout and transpose, loops ordered to keep the inner
 * loop on contiguous memory. Slow next to OpenBLAS; meant for small models. */
#include "sgemm_plain.h"

#include <stddef.h>

/* Element (i, j) of a column-major matrix with leading dimension ld, or of its transpose. */
static float at(const float *x, int ld, int transposed, int i, int j) {
    return transposed ? x[(size_t)i * (size_t)ld + (size_t)j] : x[(size_t)j * (size_t)ld + (size_t)i];
}

/* Column-major C (m x n) = alpha op(A) op(B) + beta C. With op(A) = A the inner loop runs
 * down A's columns (axpy form); with op(A) = A^T it runs along A's rows (dot form). */
static void sgemm_col(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    for (int j = 0; j < n; j++) {
        float *cj = c + (size_t)j * (size_t)ldc;
        if (ta) {
            for (int i = 0; i < m; i++) {
                const float *ai = a + (size_t)i * (size_t)lda;
                float s = 0.0f;
                for (int p = 0; p < k; p++) s += ai[p] * at(b, ldb, tb, p, j);
                cj[i] = alpha * s + (beta == 0.0f ? 0.0f : beta * cj[i]);
            }
            continue;
        }
        for (int i = 0; i < m; i++) cj[i] = beta == 0.0f ? 0.0f : beta * cj[i];
        for (int p = 0; p < k; p++) {
            const float bpj = alpha * at(b, ldb, tb, p, j);
            const float *ap = a + (size_t)p * (size_t)lda;
            for (int i = 0; i < m; i++) cj[i] += ap[i] * bpj;
        }
    }
}

void psamp_sgemm_plain(int row_major, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc) {
    if (!row_major) {
        sgemm_col(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else {
        /* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T. */
        sgemm_col(trans_b, trans_a, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }
}
