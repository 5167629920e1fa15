/* The element-wise and data-movement kernels against CPU references, in fp32, fp16 and
 * bf16, on fresh random inputs, with every output poisoned (NaN) before the launch:
 * embedding (token + position, after project_in, gather), layer norm in both kernels
 * (layernorm.cu, layernorm_rows.cu; affine or not, with the fused bias + residual add, in
 * place), bias + ReLU / bias + cast, bias + residual, KV
 * append, batched KV fork (16-, 4-
 * and 2-byte copy paths), and cuRAND's Philox against host/util/philox.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_test.h"
#include "kernels.h"
#include "philox.h"

static const psamp_dtype DTYPES[] = {PSAMP_F32, PSAMP_F16, PSAMP_BF16};
#define N_DTYPES 3

/* Relative error allowed for an output rounded to dt (inputs are exact in dt). */
static double out_tol(psamp_dtype dt) {
    return dt == PSAMP_F32 ? 1e-5 : dt == PSAMP_F16 ? 1e-3 : 8e-3;
}

/* Host arrays of the checks, freed together at the end of main. */
static struct {
    void *p[512];
    int n;
} host_arrays;

static void *host_array(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (p && host_arrays.n < 512) host_arrays.p[host_arrays.n++] = p;
    return p;
}
static float *host_floats(size_t n) { return host_array(n, sizeof(float)); }
static double *host_doubles(size_t n) { return host_array(n, sizeof(double)); }
static void free_host_arrays(void) {
    for (int i = 0; i < host_arrays.n; i++) free(host_arrays.p[i]);
    host_arrays.n = 0;
}

/* Rows: slots in [0, n_slots) or padding (-1) every `pad_every`-th row, tokens < vocab,
 * positions < max_pos. */
static void make_rows(test_rng *r, psamp_k_row *rows, int n, int n_slots, int vocab, int max_pos,
                      int pad_every) {
    for (int i = 0; i < n; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        const int pad = pad_every > 0 && i % pad_every == pad_every - 1;
        rows[i].slot = pad ? -1 : (int32_t)(test_uniform(r) * n_slots);
        rows[i].token = pad ? -1 : (int32_t)(test_uniform(r) * vocab);
        rows[i].pos = (int32_t)(test_uniform(r) * max_pos);
        rows[i].target = -1;
    }
}

static void check_embed(psamp_test_state *t, test_rng *rng, psamp_dtype dt) {
    enum { V = 50, H = 96, P = 32, MAXPOS = 40, R = 37 };
    float *tok = host_floats(V * H), *tokp = host_floats(V * P), *pos = host_floats((MAXPOS + 2) * H);
    float *in = host_floats(R * H), *x = host_floats(R * H), *xt = host_floats(R * H);
    float *g = host_floats(R * P);
    double *ref = host_doubles(R * H), *ref_in = host_doubles(R * H), *ref_g = host_doubles(R * P);
    psamp_k_row rows[R];
    test_fill_normal(rng, tok, V * H, 1.0);
    test_fill_normal(rng, tokp, V * P, 1.0);
    test_fill_normal(rng, pos, (MAXPOS + 2) * H, 1.0);
    test_fill_normal(rng, in, R * H, 1.0);
    round_to_dtype(tok, V * H, dt);
    round_to_dtype(tokp, V * P, dt);
    round_to_dtype(pos, (MAXPOS + 2) * H, dt);
    make_rows(rng, rows, R, 8, V, MAXPOS, 6);
    for (int r = 0; r < R; r++) {
        const int live = rows[r].slot >= 0;
        for (int i = 0; i < H; i++) {
            const double p = live ? pos[(rows[r].pos + 2) * H + i] : 0.0;
            ref[r * H + i] = live ? (double)tok[rows[r].token * H + i] + p : 0.0;
            ref_in[r * H + i] = live ? (double)in[r * H + i] + p : 0.0;
        }
        for (int i = 0; i < P; i++) ref_g[r * P + i] = live ? tokp[rows[r].token * P + i] : 0.0;
    }
    const size_t es = dtype_bytes(dt);
    void *tok_d = gpu_alloc_poisoned(V * H * es), *tokp_d = gpu_alloc_poisoned(V * P * es);
    void *pos_d = gpu_alloc_poisoned((MAXPOS + 2) * H * es), *in_d = gpu_alloc_poisoned(R * H * 4);
    void *x_d = gpu_alloc_poisoned(R * H * 4), *xt_d = gpu_alloc_poisoned(R * H * es);
    void *g_d = gpu_alloc_poisoned(R * P * es), *rows_d = gpu_alloc_poisoned(sizeof rows);
    CHECK(t, tok_d && tokp_d && pos_d && in_d && x_d && xt_d && g_d && rows_d, "embed: cudaMalloc");
    if (!(tok_d && tokp_d && pos_d && in_d && x_d && xt_d && g_d && rows_d)) return;
    GPU_OK(t, gpu_upload(tok_d, tok, V * H, dt));
    GPU_OK(t, gpu_upload(tokp_d, tokp, V * P, dt));
    GPU_OK(t, gpu_upload(pos_d, pos, (MAXPOS + 2) * H, dt));
    GPU_OK(t, gpu_upload(in_d, in, R * H, PSAMP_F32));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));

    GPU_OK(t, psamp_k_embed(x_d, xt_d, rows_d, R, tok_d, NULL, pos_d, H, dt, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, gpu_download(x, x_d, R * H, PSAMP_F32));
    GPU_OK(t, gpu_download(xt, xt_d, R * H, dt));
    report_row(t, "embed x", dtype_label(dt), "rel_err", rel_error(x, ref, R * H), 1e-6);
    report_row(t, "embed x_t", dtype_label(dt), "rel_err", rel_error(xt, ref, R * H), out_tol(dt));

    GPU_OK(t, gpu_poison(x_d, R * H * 4));
    GPU_OK(t, psamp_k_embed(x_d, NULL, rows_d, R, NULL, in_d, pos_d, H, dt, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, gpu_download(x, x_d, R * H, PSAMP_F32));
    report_row(t, "embed after project_in", dtype_label(dt), "rel_err", rel_error(x, ref_in, R * H), 1e-6);

    GPU_OK(t, psamp_k_embed_gather(g_d, rows_d, R, tokp_d, P, dt, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, gpu_download(g, g_d, R * P, dt));
    report_row(t, "embed gather", dtype_label(dt), "rel_err", rel_error(g, ref_g, R * P), 0.0);
    cudaFree(tok_d), cudaFree(tokp_d), cudaFree(pos_d), cudaFree(in_d), cudaFree(x_d);
    cudaFree(xt_d), cudaFree(g_d), cudaFree(rows_d);
}

static void layernorm_ref(const float *x, const float *gamma, const float *beta, int rows, int n,
                          double *ref) {
    for (int r = 0; r < rows; r++) {
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < n; i++) mean += x[r * n + i];
        mean /= n;
        for (int i = 0; i < n; i++) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
        var /= n;
        for (int i = 0; i < n; i++) {
            double y = (x[r * n + i] - mean) / sqrt(var + 1e-5);
            ref[r * n + i] = gamma ? y * gamma[i] + beta[i] : y;
        }
    }
}

typedef cudaError_t (*layernorm_fn)(float *x, const float *y, const float *bias,
                                    const float *gamma, const float *beta, float *out_f32,
                                    void *out_t, int32_t rows, int32_t n, float eps,
                                    psamp_dtype dtype, cudaStream_t stream);

/* Both layer-norm kernels. residual: also x += y + bias first (the fused add), checked in x
 * afterwards. */
static void check_layernorm(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int n, int affine,
                            int residual) {
    const int rows = 33;
    const size_t total = (size_t)rows * n;
    float *x = host_floats(total), *gb = host_floats(2 * (size_t)n), *ry = host_floats(total);
    float *rb = host_floats((size_t)n), *sum = host_floats(total);
    float *y = host_floats(total), *yt = host_floats(total);
    double *ref = host_doubles(total), *ref_sum = host_doubles(total);
    test_fill_normal(rng, x, total, 2.0);
    for (size_t i = 0; i < total; i++) x[i] += (float)(i / (size_t)n) - 10.0f; /* a mean per row */
    test_fill_normal(rng, gb, 2 * (size_t)n, 1.0);
    test_fill_normal(rng, ry, total, 1.0);
    test_fill_normal(rng, rb, (size_t)n, 1.0);
    for (size_t i = 0; i < total; i++) {
        sum[i] = residual ? x[i] + (ry[i] + rb[i % (size_t)n]) : x[i]; /* the kernel's fp32 order */
        ref_sum[i] = sum[i];
    }
    layernorm_ref(sum, affine ? gb : NULL, affine ? gb + n : NULL, rows, n, ref);
    const size_t es = dtype_bytes(dt), bytes = total * 4;
    float *x_d = gpu_alloc_poisoned(bytes), *gb_d = gpu_alloc_poisoned(2 * (size_t)n * 4);
    float *y_d = gpu_alloc_poisoned(bytes), *ry_d = gpu_alloc_poisoned(bytes);
    float *rb_d = gpu_alloc_poisoned((size_t)n * 4);
    void *yt_d = gpu_alloc_poisoned(total * es);
    CHECK(t, x_d && gb_d && y_d && yt_d && ry_d && rb_d, "layernorm: cudaMalloc");
    if (!(x_d && gb_d && y_d && yt_d && ry_d && rb_d)) return;
    GPU_OK(t, gpu_upload(gb_d, gb, 2 * (size_t)n, PSAMP_F32));
    GPU_OK(t, gpu_upload(ry_d, ry, total, PSAMP_F32));
    GPU_OK(t, gpu_upload(rb_d, rb, (size_t)n, PSAMP_F32));
    const float *g_d = affine ? gb_d : NULL, *b_d = affine ? gb_d + n : NULL;
    const float *res_y = residual ? ry_d : NULL, *res_b = residual ? rb_d : NULL;
    for (int k = 0; k < 2; k++) { /* layernorm.cu, then layernorm_rows.cu */
        const layernorm_fn norm = k == 0 ? psamp_k_layernorm : psamp_k_layernorm_rows;
        GPU_OK(t, gpu_upload(x_d, x, total, PSAMP_F32));
        GPU_OK(t, gpu_poison(y_d, bytes));
        GPU_OK(t, gpu_poison(yt_d, total * es));
        GPU_OK(t, norm(x_d, res_y, res_b, g_d, b_d, y_d, yt_d, rows, n, 1e-5f, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(y, y_d, total, PSAMP_F32));
        GPU_OK(t, gpu_download(yt, yt_d, total, dt));
        char name[48];
        snprintf(name, sizeof name, "layernorm%s n=%d%s%s", k == 0 ? "" : " rows", n,
                 affine ? "" : " plain", residual ? " +res" : "");
        report_row(t, name, dtype_label(dt), "rel_err_f32", rel_error(y, ref, total), 1e-5);
        report_row(t, name, dtype_label(dt), "rel_err_t", rel_error(yt, ref, total), out_tol(dt));
        GPU_OK(t, gpu_download(y, x_d, total, PSAMP_F32));
        report_row(t, name, dtype_label(dt), "residual_err", rel_error(y, ref_sum, total), 1e-6);
        /* In place (post-LN): the fp32 output overwrites x, which now holds the sum. */
        GPU_OK(t, norm(x_d, NULL, NULL, g_d, b_d, x_d, NULL, rows, n, 1e-5f, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(y, x_d, total, PSAMP_F32));
        report_row(t, name, dtype_label(dt), "in_place_err", rel_error(y, ref, total), 1e-5);
    }
    cudaFree(x_d), cudaFree(gb_d), cudaFree(y_d), cudaFree(yt_d), cudaFree(ry_d), cudaFree(rb_d);
}

static void check_bias_ops(psamp_test_state *t, test_rng *rng, psamp_dtype dt) {
    enum { R = 29, N = 300 };
    float *in = host_floats(R * N), *bias = host_floats(N), *x = host_floats(R * N);
    float *out = host_floats(R * N);
    double *ref = host_doubles(R * N);
    test_fill_normal(rng, in, R * N, 1.0);
    test_fill_normal(rng, bias, N, 1.0);
    test_fill_normal(rng, x, R * N, 1.0);
    const size_t es = dtype_bytes(dt);
    float *in_d = gpu_alloc_poisoned(R * N * 4), *bias_d = gpu_alloc_poisoned(N * 4);
    float *x_d = gpu_alloc_poisoned(R * N * 4);
    void *out_d = gpu_alloc_poisoned(R * N * es);
    CHECK(t, in_d && bias_d && x_d && out_d, "bias ops: cudaMalloc");
    if (!(in_d && bias_d && x_d && out_d)) return;
    GPU_OK(t, gpu_upload(in_d, in, R * N, PSAMP_F32));
    GPU_OK(t, gpu_upload(bias_d, bias, N, PSAMP_F32));
    GPU_OK(t, gpu_upload(x_d, x, R * N, PSAMP_F32));
    for (int mode = 0; mode < 2; mode++) { /* 0: bias + ReLU; 1: plain cast, no bias */
        for (int i = 0; i < R * N; i++) {
            double v = in[i] + (mode == 0 ? bias[i % N] : 0.0f);
            ref[i] = mode == 0 && v < 0.0 ? 0.0 : v;
        }
        GPU_OK(t, gpu_poison(out_d, R * N * es));
        GPU_OK(t, psamp_k_bias_act(in_d, mode == 0 ? bias_d : NULL, out_d, R, N, mode == 0, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, R * N, dt));
        report_row(t, mode == 0 ? "bias+relu" : "cast", dtype_label(dt), "rel_err",
                   rel_error(out, ref, R * N), out_tol(dt));
    }
    if (dt == PSAMP_F32) { /* the residual add is fp32 only: once is enough */
        for (int i = 0; i < R * N; i++) ref[i] = (double)x[i] + ((double)in[i] + bias[i % N]);
        GPU_OK(t, psamp_k_bias_residual(x_d, in_d, bias_d, R, N, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, x_d, R * N, PSAMP_F32));
        report_row(t, "bias+residual", "fp32", "rel_err", rel_error(out, ref, R * N), 1e-6);
    }
    cudaFree(in_d), cudaFree(bias_d), cudaFree(x_d), cudaFree(out_d);
}

static void check_kv_append(psamp_test_state *t, test_rng *rng, psamp_dtype dt) {
    enum { SLOTS = 5, LEN = 20, H = 48, R = 9 };
    const size_t cache_n = (size_t)SLOTS * LEN * H;
    float *qkv = host_floats(R * 3 * H), *bias = host_floats(3 * H), *q = host_floats(R * H);
    float *kc = host_floats(cache_n), *vc = host_floats(cache_n);
    float *kc_out = host_floats(cache_n), *vc_out = host_floats(cache_n);
    double *q_ref = host_doubles(R * H), *k_ref = host_doubles(cache_n), *v_ref = host_doubles(cache_n);
    psamp_k_row rows[R];
    test_fill_normal(rng, qkv, R * 3 * H, 1.0);
    test_fill_normal(rng, bias, 3 * H, 1.0);
    test_fill_normal(rng, kc, cache_n, 1.0);
    test_fill_normal(rng, vc, cache_n, 1.0);
    round_to_dtype(kc, cache_n, dt);
    round_to_dtype(vc, cache_n, dt);
    /* Distinct (slot, pos) per live row; row 4 is padding. */
    for (int r = 0; r < R; r++) {
        memset(&rows[r], 0, sizeof rows[r]);
        rows[r].slot = r == 4 ? -1 : r % SLOTS;
        rows[r].pos = (7 * r + 3) % LEN;
        rows[r].token = 1;
        rows[r].target = -1;
    }
    const float scale = 0.125f;
    for (size_t i = 0; i < cache_n; i++) k_ref[i] = kc[i], v_ref[i] = vc[i];
    for (int r = 0; r < R; r++)
        for (int i = 0; i < H; i++) {
            const int live = rows[r].slot >= 0;
            q_ref[r * H + i] = live ? ((double)qkv[r * 3 * H + i] + bias[i]) * scale : 0.0;
            if (!live) continue;
            const size_t at = ((size_t)rows[r].slot * LEN + (size_t)rows[r].pos) * H + (size_t)i;
            k_ref[at] = (double)qkv[r * 3 * H + H + i] + bias[H + i];
            v_ref[at] = (double)qkv[r * 3 * H + 2 * H + i] + bias[2 * H + i];
        }
    const size_t es = dtype_bytes(dt);
    float *qkv_d = gpu_alloc_poisoned(R * 3 * H * 4), *bias_d = gpu_alloc_poisoned(3 * H * 4);
    float *q_d = gpu_alloc_poisoned(R * H * 4);
    void *k_d = gpu_alloc_poisoned(cache_n * es), *v_d = gpu_alloc_poisoned(cache_n * es);
    void *rows_d = gpu_alloc_poisoned(sizeof rows);
    CHECK(t, qkv_d && bias_d && q_d && k_d && v_d && rows_d, "kv_append: cudaMalloc");
    if (!(qkv_d && bias_d && q_d && k_d && v_d && rows_d)) return;
    GPU_OK(t, gpu_upload(qkv_d, qkv, R * 3 * H, PSAMP_F32));
    GPU_OK(t, gpu_upload(bias_d, bias, 3 * H, PSAMP_F32));
    GPU_OK(t, gpu_upload(k_d, kc, cache_n, dt));
    GPU_OK(t, gpu_upload(v_d, vc, cache_n, dt));
    GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
    GPU_OK(t, psamp_k_kv_append(qkv_d, bias_d, q_d, k_d, v_d, rows_d, R, H, LEN, scale, dt, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, gpu_download(q, q_d, R * H, PSAMP_F32));
    GPU_OK(t, gpu_download(kc_out, k_d, cache_n, dt));
    GPU_OK(t, gpu_download(vc_out, v_d, cache_n, dt));
    report_row(t, "kv_append q", dtype_label(dt), "rel_err", rel_error(q, q_ref, R * H), 1e-6);
    report_row(t, "kv_append k cache", dtype_label(dt), "rel_err", rel_error(kc_out, k_ref, cache_n), out_tol(dt));
    report_row(t, "kv_append v cache", dtype_label(dt), "rel_err", rel_error(vc_out, v_ref, cache_n), out_tol(dt));
    /* Positions no row names keep their bits. */
    size_t changed = 0;
    for (size_t i = 0; i < cache_n; i++) {
        const size_t pos = (i / H) % LEN, slot = i / ((size_t)H * LEN);
        int written = 0;
        for (int r = 0; r < R; r++)
            written |= rows[r].slot == (int32_t)slot && rows[r].pos == (int32_t)pos;
        if (!written) changed += kc_out[i] != kc[i] || vc_out[i] != vc[i];
    }
    CHECK(t, changed == 0, "kv_append (%s): %zu untouched cache entries changed", dtype_label(dt), changed);
    cudaFree(qkv_d), cudaFree(bias_d), cudaFree(q_d), cudaFree(k_d), cudaFree(v_d), cudaFree(rows_d);
}

/* Forks with hidden h: 40 (16-byte copies in fp16/bf16/fp32), 36 (4-byte in 16-bit dtypes),
 * 35 (2-byte). */
static void check_kv_fork(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int h) {
    enum { L = 3, SLOTS = 7, LEN = 17, N_FORKS = 5 };
    const size_t n = (size_t)L * SLOTS * LEN * (size_t)h;
    const int32_t forks[N_FORKS * 3] = {
        1, 0, LEN,  /* a whole slot */
        2, 0, 5,    /* a prefix */
        3, 3, 9,    /* dst == src: nothing to copy */
        4, 6, 0,    /* empty */
        5, 6, 1,    /* one position */
    };
    float *k = host_floats(n), *v = host_floats(n), *k_out = host_floats(n), *v_out = host_floats(n);
    test_fill_normal(rng, k, n, 1.0);
    test_fill_normal(rng, v, n, 1.0);
    round_to_dtype(k, n, dt);
    round_to_dtype(v, n, dt);
    float *k_ref = host_floats(n), *v_ref = host_floats(n);
    memcpy(k_ref, k, n * sizeof *k);
    memcpy(v_ref, v, n * sizeof *v);
    for (int f = 0; f < N_FORKS; f++)
        for (int l = 0; l < L; l++) {
            const int dst = forks[3 * f], src = forks[3 * f + 1], cnt = forks[3 * f + 2];
            const size_t d0 = ((size_t)l * SLOTS + (size_t)dst) * LEN * (size_t)h;
            const size_t s0 = ((size_t)l * SLOTS + (size_t)src) * LEN * (size_t)h;
            memcpy(k_ref + d0, k + s0, (size_t)cnt * (size_t)h * sizeof(float));
            memcpy(v_ref + d0, v + s0, (size_t)cnt * (size_t)h * sizeof(float));
        }
    const size_t es = dtype_bytes(dt);
    void *k_d = gpu_alloc_poisoned(n * es), *v_d = gpu_alloc_poisoned(n * es);
    void *f_d = gpu_alloc_poisoned(sizeof forks);
    CHECK(t, k_d && v_d && f_d, "kv_fork: cudaMalloc");
    if (!(k_d && v_d && f_d)) return;
    GPU_OK(t, gpu_upload(k_d, k, n, dt));
    GPU_OK(t, gpu_upload(v_d, v, n, dt));
    GPU_OK(t, cudaMemcpy(f_d, forks, sizeof forks, cudaMemcpyHostToDevice));
    GPU_OK(t, psamp_k_kv_fork(k_d, v_d, f_d, N_FORKS, LEN, L, SLOTS, LEN, h, dt, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, gpu_download(k_out, k_d, n, dt));
    GPU_OK(t, gpu_download(v_out, v_d, n, dt));
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += k_out[i] != k_ref[i] || v_out[i] != v_ref[i];
    char name[40];
    snprintf(name, sizeof name, "kv_fork h=%d", h);
    report_row(t, name, dtype_label(dt), "wrong_elems", (double)wrong, 0.0);
    cudaFree(k_d), cudaFree(v_d), cudaFree(f_d);
}

/* psamp_k_kv_fork_bytes at row sizes that take each copy unit (an fp8 cache's scales of 12
 * heads: 48 bytes, 16-byte units; 12: 4-byte; 6: 2-byte; 7: bytes), on random bytes with
 * check_kv_fork's forks. */
static void check_kv_fork_bytes(psamp_test_state *t, test_rng *rng, int row_bytes) {
    enum { L = 3, SLOTS = 7, LEN = 17, N_FORKS = 3 };
    const size_t n = (size_t)L * SLOTS * LEN * (size_t)row_bytes;
    const int32_t forks[N_FORKS * 3] = {1, 0, LEN, 2, 0, 5, 5, 6, 1};
    unsigned char *k = malloc(n), *v = malloc(n), *k_ref = malloc(n), *v_ref = malloc(n);
    CHECK(t, k && v && k_ref && v_ref, "kv_fork_bytes: host memory");
    if (!(k && v && k_ref && v_ref)) return;
    for (size_t i = 0; i < n; i++) {
        k[i] = (unsigned char)(test_uniform(rng) * 256);
        v[i] = (unsigned char)(test_uniform(rng) * 256);
    }
    memcpy(k_ref, k, n), memcpy(v_ref, v, n);
    for (int f = 0; f < N_FORKS; f++)
        for (int l = 0; l < L; l++) {
            const int dst = forks[3 * f], src = forks[3 * f + 1], cnt = forks[3 * f + 2];
            const size_t d0 = ((size_t)l * SLOTS + (size_t)dst) * LEN * (size_t)row_bytes;
            const size_t s0 = ((size_t)l * SLOTS + (size_t)src) * LEN * (size_t)row_bytes;
            memcpy(k_ref + d0, k + s0, (size_t)cnt * (size_t)row_bytes);
            memcpy(v_ref + d0, v + s0, (size_t)cnt * (size_t)row_bytes);
        }
    void *k_d = gpu_alloc_poisoned(n), *v_d = gpu_alloc_poisoned(n);
    void *f_d = gpu_alloc_poisoned(sizeof forks);
    CHECK(t, k_d && v_d && f_d, "kv_fork_bytes: cudaMalloc");
    if (!(k_d && v_d && f_d)) return;
    GPU_OK(t, cudaMemcpy(k_d, k, n, cudaMemcpyHostToDevice));
    GPU_OK(t, cudaMemcpy(v_d, v, n, cudaMemcpyHostToDevice));
    GPU_OK(t, cudaMemcpy(f_d, forks, sizeof forks, cudaMemcpyHostToDevice));
    GPU_OK(t, psamp_k_kv_fork_bytes(k_d, v_d, f_d, N_FORKS, LEN, L, SLOTS, LEN, row_bytes, 0));
    GPU_OK(t, cudaDeviceSynchronize());
    GPU_OK(t, cudaMemcpy(k, k_d, n, cudaMemcpyDeviceToHost));
    GPU_OK(t, cudaMemcpy(v, v_d, n, cudaMemcpyDeviceToHost));
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += k[i] != k_ref[i] || v[i] != v_ref[i];
    char name[40];
    snprintf(name, sizeof name, "kv_fork_bytes row=%d", row_bytes);
    report_row(t, name, "bytes", "wrong_bytes", (double)wrong, 0.0);
    cudaFree(k_d), cudaFree(v_d), cudaFree(f_d);
    free(k), free(v), free(k_ref), free(v_ref);
}

/* Counters below 2^62: cuRAND's offset 4 * counter must not wrap 64 bits. */
static void check_curand(psamp_test_state *t, test_rng *rng) {
    enum { N = 64 };
    uint64_t counters[N];
    const uint64_t fixed[] = {0, 1, 2, 3, 1000, 0xffffffffull, 0x100000000ull, 0x100000005ull,
                              (1ull << 40) + 3, (1ull << 62) - 1};
    for (int i = 0; i < N; i++)
        counters[i] = i < 10 ? fixed[i] : (uint64_t)(test_uniform(rng) * 0x1p62);
    const uint64_t seeds[2] = {1234, 0xdeadbeefcafef00dull}, streams[2] = {7, (1ull << 33) + 7};
    uint64_t *c_d = gpu_alloc_poisoned(sizeof counters);
    uint32_t *a_d = gpu_alloc_poisoned(N * 4), *b_d = gpu_alloc_poisoned(N * 4);
    CHECK(t, c_d && a_d && b_d, "curand: cudaMalloc");
    if (!(c_d && a_d && b_d)) return;
    GPU_OK(t, cudaMemcpy(c_d, counters, sizeof counters, cudaMemcpyHostToDevice));
    int wrong = 0;
    for (int k = 0; k < 2; k++) {
        uint32_t a[N], b[N];
        GPU_OK(t, psamp_k_curand_check(seeds[k], streams[k], c_d, N, a_d, b_d, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, cudaMemcpy(a, a_d, sizeof a, cudaMemcpyDeviceToHost));
        GPU_OK(t, cudaMemcpy(b, b_d, sizeof b, cudaMemcpyDeviceToHost));
        for (int i = 0; i < N; i++) {
            const uint32_t host = psamp_philox_u32(seeds[k], streams[k], counters[i]);
            wrong += a[i] != host || b[i] != host;
        }
    }
    report_row(t, "curand == philox.h", "-", "mismatches", (double)wrong, 0.0);
    cudaFree(c_d), cudaFree(a_d), cudaFree(b_d);
}

int main(void) {
    const int gate = gpu_test_begin("test_gpu_kernels");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    test_rng rng = test_rng_make("test_gpu_kernels");
    for (int d = 0; d < N_DTYPES; d++) {
        const psamp_dtype dt = DTYPES[d];
        check_embed(&t, &rng, dt);
        /* 768 (OPT-125M), 1024 (4 chunks), 520 (a part-filled chunk), 64 (a part-filled
         * warp), 100 (not a multiple of 8: the rows kernel falls back to layernorm.cu) */
        check_layernorm(&t, &rng, dt, 768, 1, 1);
        check_layernorm(&t, &rng, dt, 768, 1, 0);
        check_layernorm(&t, &rng, dt, 1024, 1, 1);
        check_layernorm(&t, &rng, dt, 520, 0, 1);
        check_layernorm(&t, &rng, dt, 64, 1, 1);
        check_layernorm(&t, &rng, dt, 100, 0, 1);
        check_bias_ops(&t, &rng, dt);
        check_kv_append(&t, &rng, dt);
        check_kv_fork(&t, &rng, dt, 40);
        check_kv_fork(&t, &rng, dt, 36);
        check_kv_fork(&t, &rng, dt, 35);
    }
    const int fork_rows[] = {48, 12, 6, 7};
    for (size_t i = 0; i < sizeof fork_rows / sizeof fork_rows[0]; i++)
        check_kv_fork_bytes(&t, &rng, fork_rows[i]);
    check_curand(&t, &rng);
    free_host_arrays();
    return psamp_test_finish(&t, "test_gpu_kernels");
}
