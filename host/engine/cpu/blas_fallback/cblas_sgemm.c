/* cblas_sgemm over psamp_sgemm_plain: linked only when OpenBLAS is absent. */
#include "cblas.h"
#include "sgemm_plain.h"

void cblas_sgemm(CBLAS_LAYOUT layout, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                 int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc) {
    psamp_sgemm_plain(layout == CblasRowMajor, trans_a != CblasNoTrans, trans_b != CblasNoTrans, m,
                      n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
