/* Both attention variants against a float64 CPU reference, in fp32, fp16 and bf16: the
 * split kernels (attention.cu) and the warp kernel (attention_warp.cu) with the warps per
 * (row, head) it picks and with each of 1, 2, 4 and 8 forced, and the warp kernel with the
 * fused KV append (check_attention_append). Head dims take each code path
 * (64: every OPT size; 16 and 128: the other warp layouts, and a run-time dim in the split
 * kernel; 12 and 5: scalar loads in the split kernel, where the warp launcher falls back to
 * it). Rows: decode rows at ragged lengths around the 128-position split boundaries (and
 * lengths 1 and 2, shorter than one warp iteration), prefill rows (consecutive positions of
 * one slot) and padding rows (zero output). Outputs and the split scratch are poisoned with
 * NaN before each launch.
 * Usage: test_gpu_attention [--quick]   (--quick: head dims 64 and 128 in fp16 only, every
 * variant: for compute-sanitizer's racecheck) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_test.h"
#include "kernels.h"

static const psamp_dtype DTYPES[] = {PSAMP_F32, PSAMP_F16, PSAMP_BF16};
#define N_SLOTS 4
#define MAX_ROWS 64

static double out_tol(psamp_dtype dt) {
    return dt == PSAMP_F32 ? 1e-5 : dt == PSAMP_F16 ? 1e-3 : 8e-3;
}

/* Decode rows at lengths around the split boundaries, prefill rows of slot 2, padding. */
static int make_rows(psamp_k_row *rows, int max_len) {
    const int lens[] = {1, 2, 127, 128, 129, 200, 256, 257, max_len};
    int n = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        if (lens[i] > max_len) continue;
        memset(&rows[n], 0, sizeof rows[n]);
        rows[n].slot = (int32_t)(i % N_SLOTS);
        rows[n].pos = lens[i] - 1;
        rows[n].target = -1;
        n++;
    }
    for (int p = 0; p < 12; p++) { /* a prefill chunk: positions 120..131 of slot 2 */
        memset(&rows[n], 0, sizeof rows[n]);
        rows[n].slot = 2;
        rows[n].pos = (120 + p) % max_len;
        rows[n].target = -1;
        n++;
    }
    for (int p = 0; p < 3; p++) { /* padding rows */
        memset(&rows[n], 0, sizeof rows[n]);
        rows[n].slot = -1;
        rows[n].pos = -1;
        rows[n].target = -1;
        n++;
    }
    return n;
}

static void attention_ref(const float *q, const float *k, const float *v, const psamp_k_row *rows,
                          int n_rows, int n_heads, int hd, int max_len, double *out) {
    const int h = n_heads * hd;
    double *p = malloc((size_t)max_len * sizeof *p);
    if (!p) return;
    for (int r = 0; r < n_rows; r++)
        for (int hh = 0; hh < n_heads; hh++) {
            double *o = out + (size_t)r * h + (size_t)hh * hd;
            for (int d = 0; d < hd; d++) o[d] = 0.0;
            if (rows[r].slot < 0) continue;
            const size_t base = (size_t)rows[r].slot * max_len * h + (size_t)hh * hd;
            const int len = rows[r].pos + 1;
            double m = -INFINITY, sum = 0.0;
            for (int j = 0; j < len; j++) {
                double s = 0.0;
                for (int d = 0; d < hd; d++)
                    s += (double)q[(size_t)r * h + (size_t)hh * hd + d] * k[base + (size_t)j * h + d];
                p[j] = s;
                if (s > m) m = s;
            }
            for (int j = 0; j < len; j++) sum += (p[j] = exp(p[j] - m));
            for (int j = 0; j < len; j++)
                for (int d = 0; d < hd; d++) o[d] += p[j] / sum * v[base + (size_t)j * h + d];
        }
    free(p);
}

static void check_attention(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int n_heads,
                            int hd, int max_len) {
    psamp_k_row rows[MAX_ROWS];
    memset(rows, 0, sizeof rows);
    const int n_rows = make_rows(rows, max_len), h = n_heads * hd;
    const size_t cache_n = (size_t)N_SLOTS * max_len * h, out_n = (size_t)n_rows * h;
    float *q = malloc(out_n * sizeof *q), *k = malloc(cache_n * sizeof *k);
    float *v = malloc(cache_n * sizeof *v), *out = malloc(out_n * sizeof *out);
    double *ref = malloc(out_n * sizeof *ref);
    CHECK(t, q && k && v && out && ref, "attention: host memory");
    if (!(q && k && v && out && ref)) return;
    /* Scores of a few units: a softmax that is neither flat nor one-hot. */
    test_fill_normal(rng, q, out_n, 1.5 / sqrt((double)hd));
    test_fill_normal(rng, k, cache_n, 1.0);
    test_fill_normal(rng, v, cache_n, 1.0);
    round_to_dtype(k, cache_n, dt);
    round_to_dtype(v, cache_n, dt);
    attention_ref(q, k, v, rows, n_rows, n_heads, hd, max_len, ref);
    const size_t es = dtype_bytes(dt);
    const size_t partial_n = psamp_attention_partial_floats(n_rows, n_heads, hd, max_len);
    float *q_d = gpu_alloc_poisoned(out_n * 4), *part_d = gpu_alloc_poisoned(partial_n * 4);
    void *k_d = gpu_alloc_poisoned(cache_n * es), *v_d = gpu_alloc_poisoned(cache_n * es);
    void *out_d = gpu_alloc_poisoned(out_n * es), *rows_d = gpu_alloc_poisoned(sizeof rows);
    CHECK(t, q_d && part_d && k_d && v_d && out_d && rows_d, "attention: cudaMalloc");
    if (!(q_d && part_d && k_d && v_d && out_d && rows_d)) return;
    GPU_OK(t, gpu_upload(q_d, q, out_n, PSAMP_F32));
    GPU_OK(t, gpu_upload(k_d, k, cache_n, dt));
    GPU_OK(t, gpu_upload(v_d, v, cache_n, dt));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    /* -1: the split kernels; 0: the warp kernel's own choice; else forced warps per row. */
    const int variants[] = {-1, 0, 1, 2, 4, 8};
    for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
        const int warps = variants[vi];
        GPU_OK(t, gpu_poison(out_d, out_n * es));
        GPU_OK(t, gpu_poison(part_d, partial_n * 4));
        if (warps < 0)
            GPU_OK(t, psamp_k_attention(q_d, k_d, v_d, out_d, part_d, rows_d, n_rows, n_heads, hd,
                                        max_len, dt, 0));
        else
            GPU_OK(t, psamp_k_attention_warp(q_d, k_d, v_d, out_d, part_d, rows_d, n_rows, n_heads,
                                             hd, max_len, warps, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, out_n, dt));
        char name[48];
        if (warps < 0)
            snprintf(name, sizeof name, "attention split %dx%d len %d", n_heads, hd, max_len);
        else if (warps == 0)
            snprintf(name, sizeof name, "attention warp %dx%d len %d", n_heads, hd, max_len);
        else
            snprintf(name, sizeof name, "attention warp/%d %dx%d len %d", warps, n_heads, hd,
                     max_len);
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, out_n), out_tol(dt));
    }
    cudaFree(q_d), cudaFree(part_d), cudaFree(k_d), cudaFree(v_d), cudaFree(out_d), cudaFree(rows_d);
    free(q), free(k), free(v), free(out), free(ref);
}

/* The rows of the append checks: one per length up to max_len (its position the last), in
 * distinct slots out of order, with a padding row (slot -1) fourth. rows holds
 * APPEND_SLOTS + 2. Returns the row count. */
#define APPEND_SLOTS 12
static int append_rows(int max_len, psamp_k_row *rows) {
    const int lens[] = {1, 2, 3, 17, 127, 128, 129, 200, 256, 257, max_len};
    int n_rows = 0, slot = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        if (lens[i] > max_len) continue;
        if (n_rows == 3) { /* a padding row among the others */
            memset(&rows[n_rows], 0, sizeof rows[n_rows]);
            rows[n_rows].slot = -1;
            rows[n_rows].pos = -1;
            rows[n_rows++].target = -1;
        }
        memset(&rows[n_rows], 0, sizeof rows[n_rows]);
        rows[n_rows].slot = (slot * 5) % APPEND_SLOTS; /* distinct, out of order */
        rows[n_rows].pos = lens[i] - 1;
        rows[n_rows++].target = -1;
        slot++;
    }
    return n_rows;
}

/* The fused KV append (psamp_k_attention_warp_append): decode rows of distinct slots (and
 * padding rows) with q, k and v from a QKV projection plus bias; each row's own position is
 * NaN in the caches beforehand, so a kernel that read it instead of the projection would
 * show. The output must match the reference over caches holding the rounded k + bias,
 * v + bias at each row's position, and the caches afterwards must hold exactly those
 * (every other position untouched). Each choice of warps per row, and the fallback
 * (kv_append + split kernels) for head dims the warp kernel does not take. */
static void check_attention_append(psamp_test_state *t, test_rng *rng, psamp_dtype dt,
                                   int n_heads, int hd, int max_len, int with_bias) {
    enum { SLOTS = APPEND_SLOTS };
    psamp_k_row rows[APPEND_SLOTS + 2];
    const int n_rows = append_rows(max_len, rows);
    const int h = n_heads * hd;
    const size_t cache_n = (size_t)SLOTS * max_len * h, out_n = (size_t)n_rows * h;
    const size_t qkv_n = (size_t)n_rows * 3 * h;
    float *qkv = malloc(qkv_n * sizeof *qkv), *bias = malloc(3 * (size_t)h * sizeof *bias);
    float *q = malloc(out_n * sizeof *q), *k = malloc(cache_n * sizeof *k);
    float *v = malloc(cache_n * sizeof *v), *k_want = malloc(cache_n * sizeof *k_want);
    float *v_want = malloc(cache_n * sizeof *v_want), *out = malloc(out_n * sizeof *out);
    float *got = malloc(cache_n * sizeof *got);
    double *ref = malloc(out_n * sizeof *ref);
    CHECK(t, qkv && bias && q && k && v && k_want && v_want && out && got && ref,
          "attention append: host memory");
    if (!(qkv && bias && q && k && v && k_want && v_want && out && got && ref)) return;
    test_fill_normal(rng, qkv, qkv_n, 1.0);
    for (int r = 0; r < n_rows; r++) /* queries at the scale of check_attention's */
        for (int i = 0; i < h; i++) qkv[(size_t)r * 3 * h + i] *= (float)(1.5 / sqrt((double)hd));
    test_fill_normal(rng, bias, 3 * (size_t)h, with_bias ? 0.5 : 0.0);
    test_fill_normal(rng, k, cache_n, 1.0);
    test_fill_normal(rng, v, cache_n, 1.0);
    round_to_dtype(k, cache_n, dt);
    round_to_dtype(v, cache_n, dt);
    memcpy(k_want, k, cache_n * sizeof *k);
    memcpy(v_want, v, cache_n * sizeof *v);
    for (int r = 0; r < n_rows; r++) {
        if (rows[r].slot < 0) continue;
        const size_t at = ((size_t)rows[r].slot * max_len + (size_t)rows[r].pos) * h;
        const float *src = qkv + (size_t)r * 3 * h;
        for (int i = 0; i < h; i++) {
            q[(size_t)r * h + i] = src[i] + bias[i]; /* the kernel's fp32 add */
            k_want[at + i] = src[h + i] + bias[h + i];
            v_want[at + i] = src[2 * h + i] + bias[2 * h + i];
            k[at + i] = v[at + i] = NAN; /* the position the kernel must not read */
        }
        round_to_dtype(k_want + at, (size_t)h, dt);
        round_to_dtype(v_want + at, (size_t)h, dt);
    }
    attention_ref(q, k_want, v_want, rows, n_rows, n_heads, hd, max_len, ref);
    const size_t es = dtype_bytes(dt);
    const size_t partial_n = psamp_attention_partial_floats(n_rows, n_heads, hd, max_len);
    float *qkv_d = gpu_alloc_poisoned(qkv_n * 4), *bias_d = gpu_alloc_poisoned(3 * (size_t)h * 4);
    float *q_d = gpu_alloc_poisoned(out_n * 4), *part_d = gpu_alloc_poisoned(partial_n * 4);
    void *k_d = gpu_alloc_poisoned(cache_n * es), *v_d = gpu_alloc_poisoned(cache_n * es);
    void *out_d = gpu_alloc_poisoned(out_n * es), *rows_d = gpu_alloc_poisoned(sizeof rows);
    CHECK(t, qkv_d && bias_d && q_d && part_d && k_d && v_d && out_d && rows_d,
          "attention append: cudaMalloc");
    if (!(qkv_d && bias_d && q_d && part_d && k_d && v_d && out_d && rows_d)) return;
    GPU_OK(t, gpu_upload(qkv_d, qkv, qkv_n, PSAMP_F32));
    GPU_OK(t, gpu_upload(bias_d, bias, 3 * (size_t)h, PSAMP_F32));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    const int warps[] = {0, 1, 2, 4, 8};
    for (size_t wi = 0; wi < sizeof warps / sizeof warps[0]; wi++) {
        GPU_OK(t, gpu_upload(k_d, k, cache_n, dt));
        GPU_OK(t, gpu_upload(v_d, v, cache_n, dt));
        GPU_OK(t, gpu_poison(out_d, out_n * es));
        GPU_OK(t, gpu_poison(part_d, partial_n * 4));
        GPU_OK(t, psamp_k_attention_warp_append(qkv_d, with_bias ? bias_d : NULL, q_d, k_d, v_d,
                                                out_d, part_d, rows_d, n_rows, n_heads, hd,
                                                max_len, warps[wi], dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, out_n, dt));
        char name[64];
        snprintf(name, sizeof name, "attention append%s/%d %dx%d len %d", with_bias ? "+bias" : "",
                 warps[wi], n_heads, hd, max_len);
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, out_n), out_tol(dt));
        int wrong = 0;
        GPU_OK(t, gpu_download(got, k_d, cache_n, dt));
        for (size_t i = 0; i < cache_n; i++) wrong += got[i] != k_want[i];
        GPU_OK(t, gpu_download(got, v_d, cache_n, dt));
        for (size_t i = 0; i < cache_n; i++) wrong += got[i] != v_want[i];
        report_row(t, name, dtype_label(dt), "cache_mismatches", (double)wrong, 0.0);
    }
    cudaFree(qkv_d), cudaFree(bias_d), cudaFree(q_d), cudaFree(part_d), cudaFree(k_d);
    cudaFree(v_d), cudaFree(out_d), cudaFree(rows_d);
    free(qkv), free(bias), free(q), free(k), free(v), free(k_want), free(v_want), free(out);
    free(got), free(ref);
}

#ifndef PSAMP_GPU_TEST_MOCK
/* Two fp8 bytes that stand for the same value (0x00 and 0x80 are both zero: cuda_fp8.h's
 * host conversion drops the sign of -0.0). */
static int fp8_same(uint8_t a, uint8_t b) { return a == b || ((a & 0x7f) == 0 && (b & 0x7f) == 0); }

/* fp8 caches of n_slots x max_len positions of n_heads heads: random K and V stored by the
 * C rule (fp8_quantize per head and position), and the values they stand for. */
typedef struct {
    size_t n, n_scales;
    uint8_t *k, *v;            /* bytes */
    float *ks, *vs;            /* scales */
    float *k_val, *v_val;      /* decoded: byte value * scale */
} fp8_cache;

static void fp8_cache_free(fp8_cache *c) {
    free(c->k), free(c->v), free(c->ks), free(c->vs), free(c->k_val), free(c->v_val);
}

/* Stores head vector x (hd values) at (slot-major) position index at, head hh. */
static void fp8_cache_put(fp8_cache *c, size_t at, int n_heads, int hh, int hd, const float *kx,
                          const float *vx) {
    const size_t off = at * (size_t)n_heads * hd + (size_t)hh * hd, s = at * n_heads + hh;
    c->ks[s] = fp8_quantize(kx, hd, c->k + off);
    c->vs[s] = fp8_quantize(vx, hd, c->v + off);
    for (int i = 0; i < hd; i++) {
        c->k_val[off + i] = fp8_e4m3_decode(c->k[off + i]) * c->ks[s];
        c->v_val[off + i] = fp8_e4m3_decode(c->v[off + i]) * c->vs[s];
    }
}

/* Random heads whose sizes vary by position (so every scale matters). */
static int fp8_cache_make(fp8_cache *c, test_rng *rng, int n_slots, int max_len, int n_heads,
                          int hd) {
    c->n_scales = (size_t)n_slots * max_len * n_heads;
    c->n = c->n_scales * hd;
    c->k = malloc(c->n), c->v = malloc(c->n);
    c->ks = malloc(c->n_scales * sizeof(float)), c->vs = malloc(c->n_scales * sizeof(float));
    c->k_val = malloc(c->n * sizeof(float)), c->v_val = malloc(c->n * sizeof(float));
    float *kx = malloc((size_t)hd * sizeof *kx), *vx = malloc((size_t)hd * sizeof *vx);
    if (!(c->k && c->v && c->ks && c->vs && c->k_val && c->v_val && kx && vx)) return -1;
    for (size_t at = 0; at < (size_t)n_slots * max_len; at++)
        for (int hh = 0; hh < n_heads; hh++) {
            /* 0.02 .. 50: a lognormal's tail, unclamped, reached ~1e4 once in a few hundred
             * runs, and the attention of such values overflowed the fp16 output to inf */
            const double z = fmin(2.0, fmax(-2.0, test_normal(rng)));
            const double size = exp(2.0 * z);
            test_fill_normal(rng, kx, (size_t)hd, size);
            test_fill_normal(rng, vx, (size_t)hd, size);
            fp8_cache_put(c, at, n_heads, hh, hd, kx, vx);
        }
    free(kx), free(vx);
    return 0;
}

/* Device copies of an fp8 cache (kernels.h psamp_k_kv_fp8). */
static cudaError_t fp8_cache_upload(const fp8_cache *c, psamp_k_kv_fp8 *d) {
    cudaError_t e = cudaMemcpy(d->k, c->k, c->n, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(d->v, c->v, c->n, cudaMemcpyHostToDevice);
    if (e == cudaSuccess)
        e = cudaMemcpy(d->k_scale, c->ks, c->n_scales * sizeof(float), cudaMemcpyHostToDevice);
    if (e == cudaSuccess)
        e = cudaMemcpy(d->v_scale, c->vs, c->n_scales * sizeof(float), cudaMemcpyHostToDevice);
    return e;
}

static int fp8_alloc(const fp8_cache *c, psamp_k_kv_fp8 *d) {
    d->k = gpu_alloc_poisoned(c->n), d->v = gpu_alloc_poisoned(c->n);
    d->k_scale = gpu_alloc_poisoned(c->n_scales * sizeof(float));
    d->v_scale = gpu_alloc_poisoned(c->n_scales * sizeof(float));
    return d->k && d->v && d->k_scale && d->v_scale ? 0 : -1;
}

static void fp8_free(psamp_k_kv_fp8 *d) {
    cudaFree(d->k), cudaFree(d->v), cudaFree(d->k_scale), cudaFree(d->v_scale);
}

/* The encoding itself: one row through psamp_k_kv_append_fp8 whose every head holds 448 (so
 * its scale is exactly 1) and values around every e4m3 code: the codes, the midpoints
 * between neighbours (ties: to even), just above and below them, subnormals and zeros, both
 * signs. The device's bytes (cuda_fp8.h's conversion) must be the C rule's, and q must be
 * (q + bias) * q_scale. */
static void check_fp8_encoding(psamp_test_state *t) {
    enum { HD = 64, MAX_VALUES = 2048 };
    float vals[MAX_VALUES];
    int n_vals = 0;
    for (int b = 0; b < 0x7f; b++) { /* positive codes but NaN */
        const float lo = fp8_e4m3_decode((uint8_t)b), hi = fp8_e4m3_decode((uint8_t)(b + 1));
        const float mid = 0.5f * (lo + hi);
        const float cand[] = {lo, mid, nextafterf(mid, 0.0f), nextafterf(mid, 1e9f)};
        for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
            if (b + 1 < 0x7f || i == 0) {
                vals[n_vals++] = cand[i];
                vals[n_vals++] = -cand[i];
            }
    }
    vals[n_vals++] = 0.0f;
    vals[n_vals++] = -0.0f;
    vals[n_vals++] = 0x1p-12f; /* below half the smallest subnormal: 0 */
    /* heads of HD values: the first is 448, then up to HD - 1 test values */
    const int per_head = HD - 1, n_heads = (n_vals + per_head - 1) / per_head, h = n_heads * HD;
    float *qkv = calloc((size_t)3 * h, sizeof *qkv), *bias = calloc((size_t)3 * h, sizeof *bias);
    float *q = malloc((size_t)h * sizeof *q), *scales = malloc((size_t)n_heads * sizeof *scales);
    uint8_t *got = malloc((size_t)h);
    CHECK(t, qkv && bias && q && scales && got, "fp8 encoding: host memory");
    if (!(qkv && bias && q && scales && got)) return;
    for (int i = 0; i < h; i++) qkv[i] = (float)(i % 7) - 3.0f, bias[i] = 0.25f;
    for (int hh = 0; hh < n_heads; hh++) {
        qkv[h + hh * HD] = qkv[2 * h + hh * HD] = 448.0f;
        for (int i = 1; i < HD; i++) {
            const int at = hh * per_head + i - 1;
            const float x = at < n_vals ? vals[at] : 1.0f;
            qkv[h + hh * HD + i] = x;
            qkv[2 * h + hh * HD + i] = -x;
        }
    }
    const psamp_k_row row = {.slot = 0, .pos = 0, .target = -1};
    float *qkv_d = gpu_alloc_poisoned((size_t)3 * h * 4), *bias_d = gpu_alloc_poisoned((size_t)3 * h * 4);
    float *q_d = gpu_alloc_poisoned((size_t)h * 4);
    void *row_d = gpu_alloc_poisoned(sizeof row);
    psamp_k_kv_fp8 kv = {gpu_alloc_poisoned((size_t)h), gpu_alloc_poisoned((size_t)h),
                         gpu_alloc_poisoned((size_t)n_heads * 4), gpu_alloc_poisoned((size_t)n_heads * 4)};
    CHECK(t, qkv_d && bias_d && q_d && row_d && kv.k && kv.v && kv.k_scale && kv.v_scale,
          "fp8 encoding: cudaMalloc");
    if (!(qkv_d && bias_d && q_d && row_d && kv.k && kv.v && kv.k_scale && kv.v_scale)) return;
    /* the bias goes on q only here: k and v must arrive as the test values themselves */
    for (int i = h; i < 3 * h; i++) bias[i] = 0.0f;
    GPU_OK(t, gpu_upload(qkv_d, qkv, (size_t)3 * h, PSAMP_F32));
    GPU_OK(t, gpu_upload(bias_d, bias, (size_t)3 * h, PSAMP_F32));
    GPU_OK(t, cudaMemcpy(row_d, &row, sizeof row, cudaMemcpyHostToDevice));
    GPU_OK(t, psamp_k_kv_append_fp8(qkv_d, bias_d, q_d, kv, row_d, 1, n_heads, HD, 4, 0.5f, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    int wrong = 0;
    for (int which = 0; which < 2; which++) {
        GPU_OK(t, cudaMemcpy(got, which ? kv.v : kv.k, (size_t)h, cudaMemcpyDeviceToHost));
        for (int i = 0; i < h; i++) {
            const uint8_t want = fp8_e4m3_encode(qkv[(1 + which) * h + i]);
            if (!fp8_same(got[i], want) && wrong++ < 5)
                printf("  fp8 encoding: %.9g -> 0x%02x, want 0x%02x\n", qkv[(1 + which) * h + i],
                       got[i], want);
        }
        GPU_OK(t, gpu_download(scales, which ? kv.v_scale : kv.k_scale, (size_t)n_heads, PSAMP_F32));
        for (int hh = 0; hh < n_heads; hh++) wrong += scales[hh] != 1.0f;
    }
    GPU_OK(t, gpu_download(q, q_d, (size_t)h, PSAMP_F32));
    for (int i = 0; i < h; i++) wrong += q[i] != (qkv[i] + bias[i]) * 0.5f;
    printf("  fp8 encoding: %d values around every e4m3 code in %d heads\n", n_vals, n_heads);
    report_row(t, "kv_append fp8 encoding", "fp8", "wrong_bytes", (double)wrong, 0.0);
    cudaFree(qkv_d), cudaFree(bias_d), cudaFree(q_d), cudaFree(row_d);
    fp8_free(&kv);
    free(qkv), free(bias), free(q), free(scales), free(got);
}

/* Attention over an fp8 cache against the float64 reference over the values the bytes
 * stand for, with out in dt (fp16 or bf16): the warp kernel's own choice of warps per row
 * and each forced count, on check_attention's rows. */
static void check_attention_fp8(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int n_heads,
                                int hd, int max_len) {
    psamp_k_row rows[MAX_ROWS];
    memset(rows, 0, sizeof rows);
    const int n_rows = make_rows(rows, max_len), h = n_heads * hd;
    const size_t out_n = (size_t)n_rows * h;
    fp8_cache c;
    memset(&c, 0, sizeof c);
    float *q = malloc(out_n * sizeof *q), *out = malloc(out_n * sizeof *out);
    double *ref = malloc(out_n * sizeof *ref);
    const int made = fp8_cache_make(&c, rng, N_SLOTS, max_len, n_heads, hd);
    CHECK(t, q && out && ref && made == 0, "attention fp8: host memory");
    if (!(q && out && ref && made == 0)) return;
    test_fill_normal(rng, q, out_n, 1.5 / sqrt((double)hd) / 4.0);
    attention_ref(q, c.k_val, c.v_val, rows, n_rows, n_heads, hd, max_len, ref);
    const size_t es = dtype_bytes(dt);
    psamp_k_kv_fp8 kv;
    float *q_d = gpu_alloc_poisoned(out_n * 4);
    void *out_d = gpu_alloc_poisoned(out_n * es), *rows_d = gpu_alloc_poisoned(sizeof rows);
    CHECK(t, fp8_alloc(&c, &kv) == 0 && q_d && out_d && rows_d, "attention fp8: cudaMalloc");
    if (!(kv.k && kv.v && kv.k_scale && kv.v_scale && q_d && out_d && rows_d)) return;
    GPU_OK(t, gpu_upload(q_d, q, out_n, PSAMP_F32));
    GPU_OK(t, fp8_cache_upload(&c, &kv));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    const int warps[] = {0, 1, 2, 4, 8};
    for (size_t wi = 0; wi < sizeof warps / sizeof warps[0]; wi++) {
        GPU_OK(t, gpu_poison(out_d, out_n * es));
        GPU_OK(t, psamp_k_attention_warp_fp8(q_d, kv, out_d, rows_d, n_rows, n_heads, hd, max_len,
                                             warps[wi], dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, out_n, dt));
        char name[64];
        snprintf(name, sizeof name, "attention fp8 kv/%d %dx%d len %d", warps[wi], n_heads, hd,
                 max_len);
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, out_n), out_tol(dt));
    }
    fp8_free(&kv);
    cudaFree(q_d), cudaFree(out_d), cudaFree(rows_d);
    fp8_cache_free(&c);
    free(q), free(out), free(ref);
}

/* The fused append into an fp8 cache (check_attention_append's rows: distinct slots, one
 * padding row): each row's own position holds NaN bytes and scales beforehand; afterwards
 * the caches must hold the C rule's bytes and scales of k + bias, v + bias there (and be
 * untouched elsewhere), and the output must match the reference over those values. The
 * same rows through psamp_k_kv_append_fp8 must store the same bytes and scales. */
static void check_attention_append_fp8(psamp_test_state *t, test_rng *rng, psamp_dtype dt,
                                       int n_heads, int hd, int max_len) {
    enum { SLOTS = APPEND_SLOTS };
    psamp_k_row rows[APPEND_SLOTS + 2];
    const int n_rows = append_rows(max_len, rows);
    const int h = n_heads * hd;
    const size_t out_n = (size_t)n_rows * h, qkv_n = (size_t)n_rows * 3 * h;
    fp8_cache before, want;
    memset(&before, 0, sizeof before);
    memset(&want, 0, sizeof want);
    float *qkv = malloc(qkv_n * sizeof *qkv), *bias = malloc(3 * (size_t)h * sizeof *bias);
    float *q = malloc(out_n * sizeof *q), *out = malloc(out_n * sizeof *out);
    float *kx = malloc((size_t)hd * sizeof *kx), *vx = malloc((size_t)hd * sizeof *vx);
    double *ref = malloc(out_n * sizeof *ref);
    const int made = fp8_cache_make(&before, rng, SLOTS, max_len, n_heads, hd);
    const int made2 = fp8_cache_make(&want, rng, SLOTS, max_len, n_heads, hd);
    CHECK(t, qkv && bias && q && out && kx && vx && ref && made == 0 && made2 == 0,
          "attention append fp8: host memory");
    if (!(qkv && bias && q && out && kx && vx && ref && made == 0 && made2 == 0)) return;
    /* want = before, then each row's position: the projection's k + bias, v + bias */
    memcpy(want.k, before.k, before.n), memcpy(want.v, before.v, before.n);
    memcpy(want.ks, before.ks, before.n_scales * 4), memcpy(want.vs, before.vs, before.n_scales * 4);
    memcpy(want.k_val, before.k_val, before.n * 4), memcpy(want.v_val, before.v_val, before.n * 4);
    test_fill_normal(rng, qkv, qkv_n, 3.0);
    for (int r = 0; r < n_rows; r++)
        for (int i = 0; i < h; i++) qkv[(size_t)r * 3 * h + i] *= (float)(0.5 / sqrt((double)hd) / 4.0);
    test_fill_normal(rng, bias, 3 * (size_t)h, 0.5);
    for (int r = 0; r < n_rows; r++) {
        if (rows[r].slot < 0) continue;
        const size_t at = (size_t)rows[r].slot * max_len + (size_t)rows[r].pos;
        const float *src = qkv + (size_t)r * 3 * h;
        for (int i = 0; i < h; i++) q[(size_t)r * h + i] = src[i] + bias[i];
        for (int hh = 0; hh < n_heads; hh++) {
            for (int i = 0; i < hd; i++) {
                kx[i] = src[h + hh * hd + i] + bias[h + hh * hd + i];
                vx[i] = src[2 * h + hh * hd + i] + bias[2 * h + hh * hd + i];
            }
            fp8_cache_put(&want, at, n_heads, hh, hd, kx, vx);
            /* the position the kernel must not read: NaN bytes and scales */
            memset(before.k + at * h + (size_t)hh * hd, 0x7f, (size_t)hd);
            memset(before.v + at * h + (size_t)hh * hd, 0x7f, (size_t)hd);
            before.ks[at * n_heads + hh] = before.vs[at * n_heads + hh] = NAN;
        }
    }
    attention_ref(q, want.k_val, want.v_val, rows, n_rows, n_heads, hd, max_len, ref);
    const size_t es = dtype_bytes(dt);
    psamp_k_kv_fp8 kv;
    float *qkv_d = gpu_alloc_poisoned(qkv_n * 4), *bias_d = gpu_alloc_poisoned(3 * (size_t)h * 4);
    float *q_d = gpu_alloc_poisoned(out_n * 4);
    void *out_d = gpu_alloc_poisoned(out_n * es), *rows_d = gpu_alloc_poisoned(sizeof rows);
    uint8_t *got = malloc(before.n);
    float *got_s = malloc(before.n_scales * sizeof *got_s);
    CHECK(t, fp8_alloc(&before, &kv) == 0 && qkv_d && bias_d && q_d && out_d && rows_d && got &&
                 got_s, "attention append fp8: memory");
    if (!(kv.k && kv.v && kv.k_scale && kv.v_scale && qkv_d && bias_d && q_d && out_d && rows_d &&
          got && got_s))
        return;
    GPU_OK(t, gpu_upload(qkv_d, qkv, qkv_n, PSAMP_F32));
    GPU_OK(t, gpu_upload(bias_d, bias, 3 * (size_t)h, PSAMP_F32));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    /* -1: psamp_k_kv_append_fp8 then psamp_k_attention_warp_fp8; else the fused launch */
    const int warps[] = {-1, 0, 1, 2, 4, 8};
    for (size_t wi = 0; wi < sizeof warps / sizeof warps[0]; wi++) {
        GPU_OK(t, fp8_cache_upload(&before, &kv));
        GPU_OK(t, gpu_poison(out_d, out_n * es));
        if (warps[wi] < 0) {
            GPU_OK(t, psamp_k_kv_append_fp8(qkv_d, bias_d, q_d, kv, rows_d, n_rows, n_heads, hd,
                                            max_len, 1.0f, 0));
            GPU_OK(t, psamp_k_attention_warp_fp8(q_d, kv, out_d, rows_d, n_rows, n_heads, hd,
                                                 max_len, 0, dt, 0));
        } else {
            GPU_OK(t, psamp_k_attention_warp_append_fp8(qkv_d, bias_d, kv, out_d, rows_d, n_rows,
                                                        n_heads, hd, max_len, warps[wi], dt, 0));
        }
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, out_n, dt));
        char name[64];
        if (warps[wi] < 0)
            snprintf(name, sizeof name, "kv_append fp8 + attention %dx%d len %d", n_heads, hd, max_len);
        else
            snprintf(name, sizeof name, "attention append fp8/%d %dx%d len %d", warps[wi], n_heads,
                     hd, max_len);
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, out_n), out_tol(dt));
        size_t wrong = 0;
        GPU_OK(t, cudaMemcpy(got, kv.k, before.n, cudaMemcpyDeviceToHost));
        for (size_t i = 0; i < before.n; i++) wrong += !fp8_same(got[i], want.k[i]);
        GPU_OK(t, cudaMemcpy(got, kv.v, before.n, cudaMemcpyDeviceToHost));
        for (size_t i = 0; i < before.n; i++) wrong += !fp8_same(got[i], want.v[i]);
        GPU_OK(t, gpu_download(got_s, kv.k_scale, before.n_scales, PSAMP_F32));
        for (size_t i = 0; i < before.n_scales; i++) wrong += got_s[i] != want.ks[i];
        GPU_OK(t, gpu_download(got_s, kv.v_scale, before.n_scales, PSAMP_F32));
        for (size_t i = 0; i < before.n_scales; i++) wrong += got_s[i] != want.vs[i];
        report_row(t, name, dtype_label(dt), "cache_mismatches", (double)wrong, 0.0);
    }
    fp8_free(&kv);
    cudaFree(qkv_d), cudaFree(bias_d), cudaFree(q_d), cudaFree(out_d), cudaFree(rows_d);
    fp8_cache_free(&before), fp8_cache_free(&want);
    free(qkv), free(bias), free(q), free(out), free(kx), free(vx), free(ref), free(got), free(got_s);
}

/* fp8 with what it does not take: head dim 12, out in fp32. */
static void check_fp8_refusals(psamp_test_state *t) {
    const psamp_k_kv_fp8 kv = {(void *)(uintptr_t)256, (void *)(uintptr_t)512,
                               (float *)(uintptr_t)1024, (float *)(uintptr_t)2048};
    CHECK(t, psamp_k_attention_warp_fp8(NULL, kv, (void *)(uintptr_t)4096, NULL, 1, 3, 12, 64, 0,
                                        PSAMP_F16, 0) == cudaErrorInvalidValue,
          "fp8 attention with head dim 12 must be refused");
    CHECK(t, psamp_k_attention_warp_fp8(NULL, kv, (void *)(uintptr_t)4096, NULL, 1, 2, 64, 64, 0,
                                        PSAMP_F32, 0) == cudaErrorInvalidValue,
          "fp8 attention with fp32 out must be refused");
    (void)cudaGetLastError();
}
#endif

/* The warp launcher's choice is one of its layouts (0 only where it falls back), and it
 * refuses other forced counts. */
static void check_warp_choice(psamp_test_state *t) {
    const int32_t rows[] = {1, 8, 64, 1024, 4096};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const int32_t w = psamp_attention_warps_per_row(rows[i], 12, 64, 288, PSAMP_F16);
        CHECK(t, w == 1 || w == 2 || w == 4 || w == 8, "warps per row for %d rows: %d", rows[i], w);
        printf("  attention warp: %d rows x 12 heads of dim 64, max_len 288: %d warps per row\n",
               rows[i], w);
    }
    CHECK(t, psamp_attention_warps_per_row(8, 3, 12, 150, PSAMP_F16) == 0,
          "head dim 12 falls back to the split kernels");
    CHECK(t, psamp_k_attention_warp(NULL, NULL, NULL, NULL, NULL, NULL, 1, 12, 64, 288, 3,
                                    PSAMP_F16, 0) == cudaErrorInvalidValue,
          "3 warps per row must be refused");
    (void)cudaGetLastError();
}

int main(int argc, char **argv) {
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const int gate = gpu_test_begin("test_gpu_attention");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    test_rng rng = test_rng_make("test_gpu_attention");
    const struct {
        int heads, dim, max_len;
    } shapes[] = {{12, 64, 300}, {4, 16, 140}, {2, 128, 260}, {3, 12, 150}, {1, 5, 70}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int d = 0; d < 3; d++) {
            if (quick && (DTYPES[d] != PSAMP_F16 || (shapes[s].dim != 64 && shapes[s].dim != 128)))
                continue;
            check_attention(&t, &rng, DTYPES[d], shapes[s].heads, shapes[s].dim, shapes[s].max_len);
            check_attention_append(&t, &rng, DTYPES[d], shapes[s].heads, shapes[s].dim,
                                   shapes[s].max_len, (int)((s + (size_t)d) % 2));
        }
    check_warp_choice(&t);
#ifdef PSAMP_GPU_TEST_MOCK
    printf("  fp8 KV cache: skipped in the mock build (no plain-C fp8 kernels; the block "
           "emulator and a GPU run these checks)\n");
#else
    check_fp8_encoding(&t);
    const struct {
        int heads, dim, max_len;
    } fp8_shapes[] = {{12, 64, 300}, {4, 16, 140}, {2, 128, 260}, {4, 32, 70}};
    const psamp_dtype fp8_out[] = {PSAMP_F16, PSAMP_BF16};
    for (size_t s = 0; s < sizeof fp8_shapes / sizeof fp8_shapes[0]; s++)
        for (int d = 0; d < 2; d++) {
            if (quick && (fp8_out[d] != PSAMP_F16 || (fp8_shapes[s].dim != 64 && fp8_shapes[s].dim != 128)))
                continue;
            check_attention_fp8(&t, &rng, fp8_out[d], fp8_shapes[s].heads, fp8_shapes[s].dim,
                                fp8_shapes[s].max_len);
            check_attention_append_fp8(&t, &rng, fp8_out[d], fp8_shapes[s].heads,
                                       fp8_shapes[s].dim, fp8_shapes[s].max_len);
        }
    check_fp8_refusals(&t);
#endif
    return psamp_test_finish(&t, "test_gpu_attention");
}
