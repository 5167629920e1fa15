#include "gemv_rows.h"

#include <string.h>

/* 16 floats: one AVX-512 register, two AVX2 ones, four SSE ones in the clone that runs. The
 * lanes are independent sums, so the compiler vectorises them without reordering any sum. */
typedef float vf16 __attribute__((vector_size(64)));

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

/* An unaligned load (a macro: a function returning a vector would trip -Wpsabi in the default
 * clone). */
#define LOAD16(dst, p) memcpy(&(dst), (p), sizeof(vf16))

/* The 16 lanes' sum by halves (8 + 8, 4 + 4, ...): a fixed order, four vector adds. */
static inline __attribute__((always_inline)) float lanes_sum(const vf16 *v) {
    const vf16 a = *v;
    const vf16 b = a + __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    const vf16 c = b + __builtin_shufflevector(b, b, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3);
    const vf16 d = c + __builtin_shufflevector(c, c, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1);
    return d[0] + d[1];
}

/* R rows times P consecutive outputs: R * P accumulators stay in registers while each
 * 16-float piece of the P weight rows is loaded once. R and P are constants at every call. */
static inline __attribute__((always_inline)) void block(const float *x, int32_t ldx, const float *w, int32_t in,
                                                       float *y, int32_t ldy, int accumulate, const int R,
                                                       const int P) {
    vf16 acc[4][4];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) acc[r][p] = (vf16){0};
    int32_t i = 0;
    for (; i + 16 <= in; i += 16) {
        vf16 wv[4];
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) LOAD16(wv[p], w + (size_t)p * in + i);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            vf16 xv;
            LOAD16(xv, x + (size_t)r * ldx + i);
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) acc[r][p] += xv * wv[p];
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            float s = lanes_sum(&acc[r][p]);
            for (int32_t k = i; k < in; k++) s += x[(size_t)r * ldx + k] * w[(size_t)p * in + k];
            float *dst = y + (size_t)r * ldy + p;
            *dst = accumulate ? *dst + s : s;
        }
}

/* All outputs for R rows, 4 outputs at a time (R * 4 accumulators in registers). Above 4 rows
 * each 4-output block runs twice, rows 0-3 then the rest, the second time from L1 (more
 * accumulators would not fit the 32 AVX-512 registers). Leftover outputs one at a time. */
static inline __attribute__((always_inline)) void rows_fixed(const float *x, int32_t ldx, const float *w, int32_t in,
                                                            int32_t out, float *y, int32_t ldy, int accumulate,
                                                            const int R) {
    const int R0 = R <= 4 ? R : 4, R1 = R - R0;
    const float *x1 = x + (size_t)R0 * ldx;
    float *y1 = y + (size_t)R0 * ldy;
    int32_t o = 0;
    for (; o + 4 <= out; o += 4) {
        block(x, ldx, w + (size_t)o * in, in, y + o, ldy, accumulate, R0, 4);
        if (R1 > 0) block(x1, ldx, w + (size_t)o * in, in, y1 + o, ldy, accumulate, R1, 4);
    }
    for (; o < out; o++) {
        block(x, ldx, w + (size_t)o * in, in, y + o, ldy, accumulate, R0, 1);
        if (R1 > 0) block(x1, ldx, w + (size_t)o * in, in, y1 + o, ldy, accumulate, R1, 1);
    }
}

VECTOR_CLONES
void gemv_rows(const float *x, int32_t ldx, int32_t n_rows, const float *w, int32_t in, int32_t out, float *y,
               int32_t ldy, int accumulate) {
    switch (n_rows) {
    case 1: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 1); break;
    case 2: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 2); break;
    case 3: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 3); break;
    case 4: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 4); break;
    case 5: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 5); break;
    case 6: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 6); break;
    case 7: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 7); break;
    case 8: rows_fixed(x, ldx, w, in, out, y, ldy, accumulate, 8); break;
    default: break; /* the caller uses sgemm above GEMV_ROWS_MAX rows */
    }
}
