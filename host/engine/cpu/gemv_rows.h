/* y = x W^T for a few rows of x (a decode step of 1 to GEMV_ROWS_MAX chains): every weight is
 * read from memory once and multiplied into all rows while it is in registers. At these
 * sizes the product is bound by the bytes of W; OpenBLAS's sgemm instead packs W into a
 * buffer first (a second pass over it), which made the batch-1 step ~2x slower. */
#ifndef PSAMP_GEMV_ROWS_H
#define PSAMP_GEMV_ROWS_H

#include <stdint.h>

#define GEMV_ROWS_MAX 8

/* y[r * ldy + o] = sum_i x[r * ldx + i] * w[o * in + i] (+= when accumulate), for rows
 * r < n_rows <= GEMV_ROWS_MAX and outputs o < out. W is [out, in] row-major, as Hugging Face
 * stores linear layers. Each output is summed in one fixed order (16 lanes over i, the lanes by
 * halves, then the tail), whatever n_rows, out or the caller's split of the outputs. */
void gemv_rows(const float *x, int32_t ldx, int32_t n_rows, const float *w, int32_t in, int32_t out, float *y,
               int32_t ldy, int accumulate);

#endif
