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

/* The fused KV append (psamp_k_attention_warp_append): decode rows of distinct slots (and
 * padding rows) with q, k and v from a QKV projection plus bias; each row's own position is
 * NaN in the caches beforehand, so a kernel that read it instead of the projection would
 * show. The output must match the reference over caches holding the rounded k + bias,
 * v + bias at each row's position, and the caches afterwards must hold exactly those
 * (every other position untouched). Each choice of warps per row, and the fallback
 * (kv_append + split kernels) for head dims the warp kernel does not take. */
static void check_attention_append(psamp_test_state *t, test_rng *rng, psamp_dtype dt,
                                   int n_heads, int hd, int max_len, int with_bias) {
    enum { SLOTS = 12 };
    const int lens[] = {1, 2, 3, 17, 127, 128, 129, 200, 256, 257, max_len};
    psamp_k_row rows[SLOTS + 2];
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
        rows[n_rows].slot = (slot * 5) % SLOTS; /* distinct, out of order */
        rows[n_rows].pos = lens[i] - 1;
        rows[n_rows++].target = -1;
        slot++;
    }
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
    return psamp_test_finish(&t, "test_gpu_attention");
}
