/* gemv_rows (the CPU engine's linear layers at 1..8 rows): every row count, shapes with and
 * without a tail past the 16-float pieces, padded strides, accumulate: within float rounding
 * of a double-precision reference; columns past `out` untouched; and each output bit for bit
 * the same whatever the row count or the split of the outputs (what makes the engine's
 * results independent of its thread count and of which chains share a step). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemv_rows.h"
#include "testlib.h"

#define POISON 12345.0f

static float value(uint32_t i, uint32_t salt) {
    uint32_t h = (i + 1) * 2654435761u ^ salt * 40503u;
    h ^= h >> 15;
    return (float)(h % 2001) / 1000.0f - 1.0f;
}

static void check_shape(psamp_test_state *t, int32_t in, int32_t out) {
    const int32_t ldx = in + 3, ldy = out + 5;
    float *x = malloc(sizeof(float) * GEMV_ROWS_MAX * ldx), *w = malloc(sizeof(float) * in * out);
    float *y = malloc(sizeof(float) * GEMV_ROWS_MAX * ldy), *y1 = malloc(sizeof(float) * ldy);
    float *ys = malloc(sizeof(float) * GEMV_ROWS_MAX * ldy);
    for (int32_t i = 0; i < GEMV_ROWS_MAX * ldx; i++) x[i] = value((uint32_t)i, 1);
    for (int32_t i = 0; i < in * out; i++) w[i] = value((uint32_t)i, 2);
    for (int rows = 1; rows <= GEMV_ROWS_MAX; rows++)
        for (int acc = 0; acc < 2; acc++) {
            for (int32_t i = 0; i < GEMV_ROWS_MAX * ldy; i++) y[i] = acc ? value((uint32_t)i, 3) : POISON;
            gemv_rows(x, ldx, rows, w, in, out, y, ldy, acc);
            int bad = 0, untouched = 1, same_alone = 1, same_split = 1;
            for (int r = 0; r < GEMV_ROWS_MAX; r++)
                for (int32_t o = 0; o < ldy; o++) {
                    const float got = y[r * ldy + o];
                    if (r >= rows || o >= out) {
                        untouched &= got == (acc ? value((uint32_t)(r * ldy + o), 3) : POISON);
                        continue;
                    }
                    double ref = acc ? value((uint32_t)(r * ldy + o), 3) : 0.0, mag = fabs(ref);
                    for (int32_t i = 0; i < in; i++) {
                        ref += (double)x[r * ldx + i] * w[o * in + i];
                        mag += fabs((double)x[r * ldx + i] * w[o * in + i]);
                    }
                    bad += fabs(got - ref) > 2e-6 * mag + 1e-30;
                }
            /* Row r alone, and the outputs in two calls split at a point that is not a multiple of 4. */
            const int32_t split = out > 5 ? 5 : out / 2;
            for (int r = 0; r < rows; r++) {
                for (int32_t o = 0; o < ldy; o++) y1[o] = acc ? value((uint32_t)(r * ldy + o), 3) : POISON;
                gemv_rows(x + r * ldx, ldx, 1, w, in, out, y1, ldy, acc);
                same_alone &= memcmp(y1, y + r * ldy, sizeof(float) * out) == 0;
            }
            for (int32_t i = 0; i < GEMV_ROWS_MAX * ldy; i++) ys[i] = acc ? value((uint32_t)i, 3) : POISON;
            gemv_rows(x, ldx, rows, w, in, split, ys, ldy, acc);
            gemv_rows(x, ldx, rows, w + split * in, in, out - split, ys + split, ldy, acc);
            for (int r = 0; r < rows; r++) same_split &= memcmp(ys + r * ldy, y + r * ldy, sizeof(float) * out) == 0;
            CHECK(t, bad == 0, "in %d out %d rows %d acc %d: %d outputs off the double reference", in, out, rows, acc,
                  bad);
            CHECK(t, untouched, "in %d out %d rows %d acc %d: wrote past its rows or columns", in, out, rows, acc);
            CHECK(t, same_alone, "in %d out %d rows %d acc %d: a row alone differs from it in the batch", in, out,
                  rows, acc);
            CHECK(t, same_split, "in %d out %d rows %d acc %d: splitting the outputs changed them", in, out, rows,
                  acc);
        }
    free(x);
    free(w);
    free(y);
    free(y1);
    free(ys);
}

int main(void) {
    psamp_test_state t = {0, 0};
    const int32_t shapes[][2] = {{16, 4}, {64, 37}, {77, 9}, {5, 3}, {768, 130}, {3072, 11}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) check_shape(&t, shapes[s][0], shapes[s][1]);
    return psamp_test_finish(&t, "test_gemv_rows");
}
