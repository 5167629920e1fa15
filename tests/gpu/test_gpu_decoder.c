/* The decoder kernels (kernels/decoder_*.cu) against CPU references in fp32, fp16 and bf16:
 * RMSNorm (the vector and the scalar path), the fused q/k/v bias + RoPE + KV-cache write
 * with the CPU engine's own RoPE tables (host/model/decoder_rope.c: default, llama3 and
 * both longrope sets, per row), SwiGLU (both paths), and the grouped-query attention (group
 * sizes 1, 4, 7, 10 = two head chunks, MQA; head dims 32, 64, 96 = idle lanes, 128; ragged
 * lengths, a row at position 0, rows of one slot as in a prefill, a padding row), plus the
 * argument checks. Device buffers start as NaN; positions and rows the kernels must leave
 * alone are checked to still hold the poison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_kernels.h"
#include "decoder_rope.h"
#include "gpu_test.h"

static const psamp_dtype DTYPES[] = {PSAMP_F32, PSAMP_F16, PSAMP_BF16};

/* Outputs rounded once to the dtype (fp32 sums otherwise): norm-wise relative error bounds. */
static double out_tol(psamp_dtype dt) { return dt == PSAMP_F32 ? 2e-6 : dt == PSAMP_F16 ? 6e-4 : 4.5e-3; }

/* ---- RMSNorm ------------------------------------------------------------------------ */
static void check_rmsnorm(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int rows, int n, int offset) {
    const size_t xn = (size_t)rows * n, es = dtype_bytes(dt);
    float *x = malloc(xn * sizeof *x), *g = malloc((size_t)n * sizeof *g), *out = malloc(xn * sizeof *out);
    double *ref = malloc(xn * sizeof *ref);
    float *x_base = gpu_alloc_poisoned((xn + (size_t)offset) * 4), *g_d = gpu_alloc_poisoned((size_t)n * 4);
    void *out_d = gpu_alloc_poisoned(xn * es);
    CHECK(t, x && g && out && ref && x_base && g_d && out_d, "rmsnorm: memory");
    if (x && g && out && ref && x_base && g_d && out_d) {
        float *x_d = x_base + offset;
        test_fill_normal(rng, x, xn, 2.0);
        for (int i = 0; i < n; i++) g[i] = (float)(1.0 + 0.5 * test_normal(rng));
        const double eps = 1e-6;
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * n;
            double ss = 0.0;
            for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
            const double inv = 1.0 / sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) ref[(size_t)r * n + i] = g[i] * (xr[i] * inv);
        }
        GPU_OK(t, gpu_upload(x_d, x, xn, PSAMP_F32));
        GPU_OK(t, gpu_upload(g_d, g, (size_t)n, PSAMP_F32));
        GPU_OK(t, psamp_k_rmsnorm(x_d, g_d, out_d, rows, n, (float)eps, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, xn, dt));
        char name[64];
        snprintf(name, sizeof name, "rmsnorm rows=%d n=%d%s", rows, n, offset ? " unaligned" : "");
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, xn), out_tol(dt));
    }
    free(x), free(g), free(out), free(ref);
    cudaFree(x_base), cudaFree(g_d), cudaFree(out_d);
}

/* ---- SwiGLU ------------------------------------------------------------------------- */
static void check_swiglu(psamp_test_state *t, test_rng *rng, psamp_dtype dt, int rows, int ffn, int offset) {
    const size_t in_n = (size_t)rows * 2 * ffn, out_n = (size_t)rows * ffn, es = dtype_bytes(dt);
    float *in = malloc(in_n * sizeof *in), *out = malloc(out_n * sizeof *out);
    double *ref = malloc(out_n * sizeof *ref);
    float *in_d = gpu_alloc_poisoned(in_n * 4);
    char *out_base = gpu_alloc_poisoned((out_n + (size_t)offset) * es);
    CHECK(t, in && out && ref && in_d && out_base, "swiglu: memory");
    if (in && out && ref && in_d && out_base) {
        void *out_d = out_base + (size_t)offset * es;
        test_fill_normal(rng, in, in_n, 3.0);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < ffn; i++) {
                const double gv = in[(size_t)r * 2 * ffn + i], uv = in[(size_t)r * 2 * ffn + ffn + i];
                ref[(size_t)r * ffn + i] = gv / (1.0 + exp(-gv)) * uv;
            }
        GPU_OK(t, gpu_upload(in_d, in, in_n, PSAMP_F32));
        GPU_OK(t, psamp_k_swiglu(in_d, out_d, rows, ffn, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, out_n, dt));
        char name[64];
        snprintf(name, sizeof name, "swiglu rows=%d ffn=%d%s", rows, ffn, offset ? " unaligned" : "");
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, out_n), out_tol(dt));
    }
    free(in), free(out), free(ref);
    cudaFree(in_d), cudaFree(out_base);
}

/* ---- bias + RoPE + KV write ---------------------------------------------------------- */
typedef struct {
    const char *name;
    decoder_rope_type type;
    int heads, kv_heads, head_dim, bias;
} rope_case;

static void rope_config(decoder_config *c, const rope_case *rc) {
    memset(c, 0, sizeof *c);
    c->n_heads = rc->heads, c->n_kv_heads = rc->kv_heads, c->head_dim = rc->head_dim;
    c->rope.type = rc->type;
    c->rope.theta = rc->type == ROPE_DEFAULT ? 1e6 : 5e5;
    c->rope.attention_factor = 1.0;
    if (rc->type == ROPE_LLAMA3) {
        c->rope.factor = 8.0, c->rope.low_freq_factor = 1.0, c->rope.high_freq_factor = 4.0;
        c->rope.original_max_positions = 64;
    } else if (rc->type == ROPE_LONGROPE) {
        c->rope.original_max_positions = 20;
        c->rope.attention_factor = 1.19;
        for (int i = 0; i < rc->head_dim / 2; i++) {
            c->rope.short_factor[i] = 1.0 + 0.05 * i;
            c->rope.long_factor[i] = 1.5 + 0.4 * i;
        }
    }
}

/* Whether every byte of [p, p + n) still holds the 0xff poison. */
static int poisoned(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xff) return 0;
    return 1;
}

static void check_rope(psamp_test_state *t, test_rng *rng, psamp_dtype dt, const rope_case *rc) {
    enum { SLOTS = 4, MAX_LEN = 48, ROWS = 5 };
    decoder_config c;
    rope_config(&c, rc);
    decoder_rope_table tab;
    psamp_err err = {0};
    CHECK(t, decoder_rope_table_init(&tab, &c, MAX_LEN, &err) == 0, "rope: table: %s", err.msg);
    const int hd = rc->head_dim, qd = rc->heads * hd, kvd = rc->kv_heads * hd, w = qd + 2 * kvd;
    /* Distinct slots (slot 2 is padding); positions 0, mid, the last one, across longrope's switch. */
    const psamp_k_row rows[ROWS] = {{0, 0, 1, -1, 1, 0, 0, 0, 0}, {3, 47, 1, -1, 1, 0, 0, 0, 0},
                                    {-1, 5, 1, -1, 1, 0, 0, 0, 0}, {1, 19, 1, -1, 1, 0, 0, 0, 0},
                                    {2, 33, 1, -1, 1, 0, 0, 0, 0}};
    uint8_t sets[ROWS];
    for (int r = 0; r < ROWS; r++) sets[r] = (uint8_t)decoder_rope_set(&tab, rows[r].pos + 1);
    sets[0] = (uint8_t)(tab.n_sets - 1); /* longrope: a rebuild row uses the long set below the switch */
    const size_t table_n = (size_t)tab.n_sets * MAX_LEN * tab.pairs, cache_n = (size_t)SLOTS * MAX_LEN * kvd;
    const size_t es = dtype_bytes(dt);
    float *qkv = malloc((size_t)ROWS * w * sizeof *qkv), *bias = malloc((size_t)w * sizeof *bias);
    float *q = malloc((size_t)ROWS * qd * sizeof *q), *kc = malloc(cache_n * sizeof *kc), *vc = malloc(cache_n * sizeof *vc);
    double *q_ref = malloc((size_t)ROWS * qd * sizeof *q_ref), *k_ref = malloc((size_t)ROWS * kvd * sizeof *k_ref),
           *v_ref = malloc((size_t)ROWS * kvd * sizeof *v_ref);
    float *got_k = malloc((size_t)ROWS * kvd * sizeof *got_k), *got_v = malloc((size_t)ROWS * kvd * sizeof *got_v);
    float *work = malloc((size_t)w * sizeof *work);
    unsigned char *raw = malloc(cache_n * es);
    float *qkv_d = gpu_alloc_poisoned((size_t)ROWS * w * 4), *bias_d = gpu_alloc_poisoned((size_t)w * 4);
    float *cos_d = gpu_alloc_poisoned(table_n * 4), *sin_d = gpu_alloc_poisoned(table_n * 4);
    float *q_d = gpu_alloc_poisoned((size_t)ROWS * qd * 4);
    void *k_d = gpu_alloc_poisoned(cache_n * es), *v_d = gpu_alloc_poisoned(cache_n * es);
    psamp_k_row *rows_d = gpu_alloc_poisoned(sizeof rows);
    uint8_t *sets_d = gpu_alloc_poisoned(sizeof sets);
    const int ok = qkv && bias && q && kc && vc && q_ref && k_ref && v_ref && got_k && got_v && work && raw &&
                   qkv_d && bias_d && cos_d && sin_d && q_d && k_d && v_d && rows_d && sets_d && tab.cos;
    CHECK(t, ok, "rope: memory");
    if (ok) {
        test_fill_normal(rng, qkv, (size_t)ROWS * w, 1.0);
        test_fill_normal(rng, bias, (size_t)w, 0.5);
        const float q_scale = 1.0f / sqrtf((float)hd);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < w; i++) work[i] = qkv[(size_t)r * w + i] + (rc->bias ? bias[i] : 0.0f);
            decoder_rope_apply(&tab, work, rc->heads, rows[r].pos, sets[r]);
            decoder_rope_apply(&tab, work + qd, rc->kv_heads, rows[r].pos, sets[r]);
            for (int i = 0; i < qd; i++) q_ref[(size_t)r * qd + i] = (double)work[i] * q_scale;
            for (int i = 0; i < kvd; i++) {
                k_ref[(size_t)r * kvd + i] = work[qd + i];
                v_ref[(size_t)r * kvd + i] = work[qd + kvd + i];
            }
        }
        GPU_OK(t, gpu_upload(qkv_d, qkv, (size_t)ROWS * w, PSAMP_F32));
        GPU_OK(t, gpu_upload(bias_d, bias, (size_t)w, PSAMP_F32));
        GPU_OK(t, gpu_upload(cos_d, tab.cos, table_n, PSAMP_F32));
        GPU_OK(t, gpu_upload(sin_d, tab.sin, table_n, PSAMP_F32));
        GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
        GPU_OK(t, cudaMemcpy(sets_d, sets, sizeof sets, cudaMemcpyHostToDevice));
        GPU_OK(t, psamp_k_decoder_rope_append(qkv_d, rc->bias ? bias_d : NULL, cos_d, sin_d, sets_d, q_d, k_d, v_d,
                                              rows_d, ROWS, rc->heads, rc->kv_heads, hd, MAX_LEN, q_scale, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(q, q_d, (size_t)ROWS * qd, PSAMP_F32));
        GPU_OK(t, gpu_download(kc, k_d, cache_n, dt));
        GPU_OK(t, gpu_download(vc, v_d, cache_n, dt));
        GPU_OK(t, cudaMemcpy(raw, k_d, cache_n * es, cudaMemcpyDeviceToHost));
        /* The padding row: its q row stays poisoned (NaN); its position in slot 0..3 never written. */
        double *q_live = malloc((size_t)ROWS * qd * sizeof *q_live);
        float *q_got = malloc((size_t)ROWS * qd * sizeof *q_got);
        CHECK(t, q_live && q_got, "rope: memory");
        if (q_live && q_got) {
            size_t n_live = 0, n_kv = 0;
            for (int r = 0; r < ROWS; r++) {
                if (rows[r].slot < 0) {
                    CHECK(t, isnan(q[(size_t)r * qd]), "rope: the padding row's q was written");
                    continue;
                }
                for (int i = 0; i < qd; i++, n_live++) {
                    q_live[n_live] = q_ref[(size_t)r * qd + i];
                    q_got[n_live] = q[(size_t)r * qd + i];
                }
                const size_t at = ((size_t)rows[r].slot * MAX_LEN + (size_t)rows[r].pos) * kvd;
                memcpy(got_k + n_kv, kc + at, (size_t)kvd * sizeof *got_k);
                memcpy(got_v + n_kv, vc + at, (size_t)kvd * sizeof *got_v);
                memcpy(k_ref + n_kv, k_ref + (size_t)r * kvd, (size_t)kvd * sizeof *k_ref);
                memcpy(v_ref + n_kv, v_ref + (size_t)r * kvd, (size_t)kvd * sizeof *v_ref);
                n_kv += (size_t)kvd;
            }
            char name[64];
            snprintf(name, sizeof name, "rope %s%s q", rc->name, rc->bias ? "+bias" : "");
            report_row(t, name, dtype_label(dt), "rel_err", rel_error(q_got, q_live, n_live), 2e-6);
            snprintf(name, sizeof name, "rope %s%s k cache", rc->name, rc->bias ? "+bias" : "");
            report_row(t, name, dtype_label(dt), "rel_err", rel_error(got_k, k_ref, n_kv), out_tol(dt));
            snprintf(name, sizeof name, "rope %s%s v cache", rc->name, rc->bias ? "+bias" : "");
            report_row(t, name, dtype_label(dt), "rel_err", rel_error(got_v, v_ref, n_kv), out_tol(dt));
            /* slot 0 position 5 (the padding row's position) and slot 3 position 0: untouched */
            CHECK(t, poisoned(raw + (size_t)5 * kvd * es, (size_t)kvd * es), "rope: the padding row wrote K");
            CHECK(t, poisoned(raw + (size_t)3 * MAX_LEN * kvd * es, (size_t)kvd * es), "rope: K written off its row");
        }
        free(q_live), free(q_got);
    }
    decoder_rope_table_free(&tab);
    free(qkv), free(bias), free(q), free(kc), free(vc), free(q_ref), free(k_ref), free(v_ref);
    free(got_k), free(got_v), free(work), free(raw);
    cudaFree(qkv_d), cudaFree(bias_d), cudaFree(cos_d), cudaFree(sin_d), cudaFree(q_d);
    cudaFree(k_d), cudaFree(v_d), cudaFree(rows_d), cudaFree(sets_d);
}

/* ---- grouped-query attention --------------------------------------------------------- */
typedef struct {
    int heads, kv_heads, head_dim;
} attn_case;

static void check_attention(psamp_test_state *t, test_rng *rng, psamp_dtype dt, const attn_case *ac) {
    enum { SLOTS = 4, MAX_LEN = 80, ROWS = 7 };
    const int hd = ac->head_dim, qd = ac->heads * hd, kvd = ac->kv_heads * hd, group = ac->heads / ac->kv_heads;
    /* ragged decode rows, a row at position 0, a padding row, and three rows of slot 3 at
     * consecutive positions (a prefill chunk) */
    const psamp_k_row rows[ROWS] = {{0, 79, 1, -1, 1, 0, 0, 0, 0}, {1, 0, 1, -1, 1, 0, 0, 0, 0},
                                    {-1, 9, 1, -1, 1, 0, 0, 0, 0}, {2, 37, 1, -1, 1, 0, 0, 0, 0},
                                    {3, 14, 1, -1, 1, 0, 0, 0, 0}, {3, 15, 1, -1, 1, 0, 0, 0, 0},
                                    {3, 16, 1, -1, 1, 0, 0, 0, 0}};
    const size_t cache_n = (size_t)SLOTS * MAX_LEN * kvd, es = dtype_bytes(dt), qn = (size_t)ROWS * qd;
    float *q = malloc(qn * sizeof *q), *kc = malloc(cache_n * sizeof *kc), *vc = malloc(cache_n * sizeof *vc);
    float *out = malloc(qn * sizeof *out);
    double *ref = malloc(qn * sizeof *ref), *s = malloc(MAX_LEN * sizeof *s);
    float *q_d = gpu_alloc_poisoned(qn * 4);
    void *k_d = gpu_alloc_poisoned(cache_n * es), *v_d = gpu_alloc_poisoned(cache_n * es), *out_d = gpu_alloc_poisoned(qn * es);
    psamp_k_row *rows_d = gpu_alloc_poisoned(sizeof rows);
    const int ok = q && kc && vc && out && ref && s && q_d && k_d && v_d && out_d && rows_d;
    CHECK(t, ok, "attention: memory");
    if (ok) {
        test_fill_normal(rng, q, qn, 1.0 / sqrt((double)hd) * 2.0);
        test_fill_normal(rng, kc, cache_n, 1.0);
        test_fill_normal(rng, vc, cache_n, 1.0);
        round_to_dtype(kc, cache_n, dt);
        round_to_dtype(vc, cache_n, dt);
        for (int r = 0; r < ROWS; r++)
            for (int h = 0; h < ac->heads; h++) {
                double *o = ref + (size_t)r * qd + (size_t)h * hd;
                if (rows[r].slot < 0) {
                    for (int d = 0; d < hd; d++) o[d] = 0.0;
                    continue;
                }
                const int n = rows[r].pos + 1, kvh = h / group;
                const float *qh = q + (size_t)r * qd + (size_t)h * hd;
                double mx = -INFINITY, sum = 0.0;
                for (int p = 0; p < n; p++) {
                    const float *k = kc + ((size_t)rows[r].slot * MAX_LEN + p) * kvd + (size_t)kvh * hd;
                    double d = 0.0;
                    for (int i = 0; i < hd; i++) d += (double)qh[i] * k[i];
                    s[p] = d;
                    mx = d > mx ? d : mx;
                }
                for (int d = 0; d < hd; d++) o[d] = 0.0;
                for (int p = 0; p < n; p++) {
                    const double e = exp(s[p] - mx);
                    const float *v = vc + ((size_t)rows[r].slot * MAX_LEN + p) * kvd + (size_t)kvh * hd;
                    sum += e;
                    for (int d = 0; d < hd; d++) o[d] += e * v[d];
                }
                for (int d = 0; d < hd; d++) o[d] /= sum;
            }
        GPU_OK(t, gpu_upload(q_d, q, qn, PSAMP_F32));
        GPU_OK(t, gpu_upload(k_d, kc, cache_n, dt));
        GPU_OK(t, gpu_upload(v_d, vc, cache_n, dt));
        GPU_OK(t, cudaMemcpy(rows_d, rows, sizeof rows, cudaMemcpyHostToDevice));
        GPU_OK(t, psamp_k_decoder_attention(q_d, k_d, v_d, out_d, rows_d, ROWS, ac->heads, ac->kv_heads, hd,
                                            MAX_LEN, dt, 0));
        GPU_OK(t, cudaDeviceSynchronize());
        GPU_OK(t, gpu_download(out, out_d, qn, dt));
        char name[64];
        snprintf(name, sizeof name, "gqa attention heads=%d kv=%d hd=%d", ac->heads, ac->kv_heads, hd);
        /* fp32 exp2 and sums over up to 80 positions; one rounding of the output */
        report_row(t, name, dtype_label(dt), "rel_err", rel_error(out, ref, qn), dt == PSAMP_F32 ? 2e-5 : out_tol(dt));
    }
    free(q), free(kc), free(vc), free(out), free(ref), free(s);
    cudaFree(q_d), cudaFree(k_d), cudaFree(v_d), cudaFree(out_d), cudaFree(rows_d);
}

static void check_arguments(psamp_test_state *t) {
    void *a = gpu_alloc_poisoned(4096);
    psamp_k_row *rows = gpu_alloc_poisoned(sizeof(psamp_k_row));
    CHECK(t, a && rows, "arguments: cudaMalloc");
    if (!a || !rows) return;
    CHECK(t, psamp_k_decoder_attention(a, a, a, a, rows, 1, 8, 2, 12, 16, PSAMP_BF16, 0) == cudaErrorInvalidValue,
          "attention: head_dim 12 in bf16 (no whole 16-byte pieces) must be refused");
    CHECK(t, psamp_k_decoder_attention(a, a, a, a, rows, 1, 8, 2, 264, 16, PSAMP_BF16, 0) == cudaErrorInvalidValue,
          "attention: head_dim 264 in bf16 (33 pieces) must be refused");
    CHECK(t, psamp_k_decoder_attention(a, a, a, a, rows, 1, 6, 4, 64, 16, PSAMP_BF16, 0) == cudaErrorInvalidValue,
          "attention: heads not a multiple of kv_heads must be refused");
    CHECK(t, psamp_k_decoder_attention(a, (char *)a + 2, a, a, rows, 1, 8, 2, 64, 16, PSAMP_BF16, 0) ==
                 cudaErrorInvalidValue,
          "attention: a misaligned cache must be refused");
    CHECK(t, psamp_k_decoder_rope_append(a, NULL, a, a, NULL, a, a, a, rows, 1, 4, 2, 7, 16, 1.0f, PSAMP_F16, 0) ==
                 cudaErrorInvalidValue,
          "rope: an odd head_dim must be refused");
    CHECK(t, psamp_k_rmsnorm(a, a, a, 1, 0, 1e-6f, PSAMP_F16, 0) == cudaErrorInvalidValue, "rmsnorm: n = 0 must be refused");
    CHECK(t, psamp_k_swiglu(a, a, 1, 8, (psamp_dtype)7, 0) == cudaErrorInvalidValue,
          "swiglu: an unknown dtype must be refused");
    CHECK(t, psamp_k_swiglu(a, a, 0, 8, PSAMP_F16, 0) == cudaSuccess, "swiglu: no rows is no work");
    (void)cudaGetLastError();
    cudaFree(a), cudaFree(rows);
}

int main(void) {
    const int gate = gpu_test_begin("test_gpu_decoder");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    test_rng rng = test_rng_make("test_gpu_decoder");
    const rope_case ropes[] = {{"default", ROPE_DEFAULT, 4, 2, 16, 1},
                               {"llama3", ROPE_LLAMA3, 6, 2, 32, 0},
                               {"longrope", ROPE_LONGROPE, 3, 3, 24, 0}};
    /* group 4 (hd 128), 7 (Qwen2.5-7B's), 1 with idle lanes (Phi-3's hd 96), 10 (two chunks), MQA */
    const attn_case attns[] = {{8, 2, 128}, {14, 2, 64}, {4, 4, 96}, {20, 2, 64}, {4, 1, 32}};
    for (int d = 0; d < 3; d++) {
        const psamp_dtype dt = DTYPES[d];
        check_rmsnorm(&t, &rng, dt, 3, 3584, 0); /* Qwen2.5-7B's hidden: the vector path */
        check_rmsnorm(&t, &rng, dt, 2, 100, 0);  /* n % 8 != 0: the scalar path */
        check_rmsnorm(&t, &rng, dt, 2, 64, 1);   /* x off its alignment: the scalar path */
        check_swiglu(&t, &rng, dt, 3, 1000, 0);
        check_swiglu(&t, &rng, dt, 2, 36, 0);
        check_swiglu(&t, &rng, dt, 2, 64, 3);
        for (size_t i = 0; i < sizeof ropes / sizeof ropes[0]; i++) check_rope(&t, &rng, dt, &ropes[i]);
        for (size_t i = 0; i < sizeof attns / sizeof attns[0]; i++) {
            if (dt == PSAMP_F32 && attns[i].head_dim > 128) continue;
            check_attention(&t, &rng, dt, &attns[i]);
        }
    }
    check_arguments(&t);
    return psamp_test_finish(&t, "test_gpu_decoder");
}
