/* A plain-C stand-in for the one CBLAS routine psamp calls (cblas_sgemm, over
 * sgemm_plain.c), used only when OpenBLAS is absent (CMake option PSAMP_BLAS=FALLBACK, or
 * AUTO without OpenBLAS): e.g. on a GPU machine that runs the CPU engine only on tiny test
 * models. Same declarations as CBLAS, so engine code includes <cblas.h> either way. */
#ifndef PSAMP_BLAS_FALLBACK_CBLAS_H
#define PSAMP_BLAS_FALLBACK_CBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 } CBLAS_TRANSPOSE;
typedef CBLAS_ORDER CBLAS_LAYOUT;

/* C = alpha op(A) op(B) + beta C, op(A) M x K, op(B) K x N; beta == 0 ignores C's contents. */
void cblas_sgemm(CBLAS_LAYOUT layout, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                 int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);

/* OpenBLAS extensions the CPU engine uses (openblas_ext.c). */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

#ifdef __cplusplus
}
#endif
#endif
