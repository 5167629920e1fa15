/* C = alpha op(A) op(B) + beta C in plain C (op = transpose when trans_x != 0), op(A) m x k,
 * op(B) k x n, row- or column-major; beta == 0 ignores C's contents. The engine of the
 * cblas_sgemm stand-in (cblas.h here) used when OpenBLAS is absent. */
#ifndef PSAMP_SGEMM_PLAIN_H
#define PSAMP_SGEMM_PLAIN_H

void psamp_sgemm_plain(int row_major, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc);

#endif
