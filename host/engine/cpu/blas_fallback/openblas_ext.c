/* The OpenBLAS extensions the CPU engine calls, for builds on the plain C GEMM: one thread
 * per call is all it ever uses, and its kernel set is named for psamp_blas_coretype_hint()
 * (never "Prescott", so no OPENBLAS_CORETYPE hint is given). */
#include "cblas.h"

void openblas_set_num_threads(int num_threads) { (void)num_threads; }

char *openblas_get_corename(void) {
    static char name[] = "psamp-plain-c";
    return name;
}
