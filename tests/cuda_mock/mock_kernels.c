/* psamp's kernel launchers (kernels/kernels.h) on the host, following each contract in plain
 * C: fp32 arithmetic over values stored in the engine dtype, padding rows skipped or zeroed
 * as the contracts say. See mock.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "mock.h"
#include "philox.h"
#include "sample_row.h"

/* Runs or records the op on stream; the mock's error (a capture rule broken) otherwise. */
#define SUBMIT(stream, fn, args) mock_submit((stream), (fn), &(args), sizeof(args))

static float *scratch(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) abort(); /* test mock: no way on */
    return p;
}

/* ---- embedding ------------------------------------------------------------------- */
typedef struct {
    float *x;
    void *x_t;
    const psamp_k_row *rows;
    int32_t n_rows, hidden;
    const void *tok, *pos;
    const float *in;
    psamp_dtype dt;
} embed_args;

static void run_embed(const void *p) {
    const embed_args *a = p;
    float *t = scratch((size_t)a->hidden), *q = scratch((size_t)a->hidden);
    for (int32_t r = 0; r < a->n_rows; r++) {
        float *xr = a->x + (size_t)r * a->hidden;
        const psamp_k_row row = a->rows[r];
        if (row.slot < 0) {
            memset(xr, 0, (size_t)a->hidden * sizeof *xr);
        } else {
            if (a->tok) mock_load(a->tok, a->dt, (size_t)row.token * a->hidden, (size_t)a->hidden, t);
            else memcpy(t, a->in + (size_t)r * a->hidden, (size_t)a->hidden * sizeof *t);
            mock_load(a->pos, a->dt, ((size_t)row.pos + 2) * a->hidden, (size_t)a->hidden, q);
            for (int32_t i = 0; i < a->hidden; i++) xr[i] = t[i] + q[i];
        }
        if (a->x_t) mock_store(a->x_t, a->dt, (size_t)r * a->hidden, (size_t)a->hidden, xr);
    }
    free(t), free(q);
}

cudaError_t psamp_k_embed(float *x, void *x_t, const psamp_k_row *rows, int32_t n_rows,
                          const void *tok_table, const float *in, const void *pos_table,
                          int32_t hidden, psamp_dtype dtype, cudaStream_t stream) {
    if (!tok_table && !in) return cudaErrorInvalidValue;
    embed_args a = {x, x_t, rows, n_rows, hidden, tok_table, pos_table, in, dtype};
    return SUBMIT(stream, run_embed, a);
}

typedef struct {
    void *out;
    const psamp_k_row *rows;
    int32_t n_rows, dim;
    const void *tok;
    psamp_dtype dt;
} gather_args;

static void run_gather(const void *p) {
    const gather_args *a = p;
    float *t = scratch((size_t)a->dim);
    for (int32_t r = 0; r < a->n_rows; r++) {
        if (a->rows[r].slot < 0) memset(t, 0, (size_t)a->dim * sizeof *t);
        else mock_load(a->tok, a->dt, (size_t)a->rows[r].token * a->dim, (size_t)a->dim, t);
        mock_store(a->out, a->dt, (size_t)r * a->dim, (size_t)a->dim, t);
    }
    free(t);
}

cudaError_t psamp_k_embed_gather(void *out, const psamp_k_row *rows, int32_t n_rows,
                                 const void *tok_table, int32_t dim, psamp_dtype dtype,
                                 cudaStream_t stream) {
    gather_args a = {out, rows, n_rows, dim, tok_table, dtype};
    return SUBMIT(stream, run_gather, a);
}

/* ---- layer norm, bias ops --------------------------------------------------------- */
typedef struct {
    float *x;
    const float *y, *bias, *gamma, *beta;
    float *out_f32;
    void *out_t;
    int32_t rows, n;
    float eps;
    psamp_dtype dt;
} layernorm_args;

static void run_layernorm(const void *p) {
    const layernorm_args *a = p;
    float *o = scratch((size_t)a->n);
    for (int32_t r = 0; r < a->rows; r++) {
        float *xr = a->x + (size_t)r * a->n;
        if (a->y)
            for (int32_t i = 0; i < a->n; i++)
                xr[i] += a->y[(size_t)r * a->n + i] + (a->bias ? a->bias[i] : 0.0f);
        float mean = 0.0f, var = 0.0f;
        for (int32_t i = 0; i < a->n; i++) mean += xr[i];
        mean /= (float)a->n;
        for (int32_t i = 0; i < a->n; i++) var += (xr[i] - mean) * (xr[i] - mean);
        const float rstd = 1.0f / sqrtf(var / (float)a->n + a->eps);
        for (int32_t i = 0; i < a->n; i++) {
            o[i] = (xr[i] - mean) * rstd;
            if (a->gamma) o[i] = o[i] * a->gamma[i] + a->beta[i];
        }
        if (a->out_t) mock_store(a->out_t, a->dt, (size_t)r * a->n, (size_t)a->n, o);
        if (a->out_f32) memcpy(a->out_f32 + (size_t)r * a->n, o, (size_t)a->n * sizeof *o);
    }
    free(o);
}

cudaError_t psamp_k_layernorm(float *x, const float *y, const float *bias, const float *gamma,
                              const float *beta, float *out_f32, void *out_t, int32_t rows,
                              int32_t n, float eps, psamp_dtype dtype, cudaStream_t stream) {
    if ((gamma == NULL) != (beta == NULL)) return cudaErrorInvalidValue;
    layernorm_args a = {x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps, dtype};
    return SUBMIT(stream, run_layernorm, a);
}

#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/layernorm_rows.cu itself */
/* The same function as psamp_k_layernorm; the mock keeps its argument check. */
cudaError_t psamp_k_layernorm_rows(float *x, const float *y, const float *bias,
                                   const float *gamma, const float *beta, float *out_f32,
                                   void *out_t, int32_t rows, int32_t n, float eps,
                                   psamp_dtype dtype, cudaStream_t stream) {
    return psamp_k_layernorm(x, y, bias, gamma, beta, out_f32, out_t, rows, n, eps, dtype, stream);
}
#endif

typedef struct {
    const float *in, *bias;
    void *out;
    int32_t rows, n, relu;
    psamp_dtype dt;
} bias_act_args;

static void run_bias_act(const void *p) {
    const bias_act_args *a = p;
    float *o = scratch((size_t)a->n);
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < a->n; i++) {
            float v = a->in[(size_t)r * a->n + i] + (a->bias ? a->bias[i] : 0.0f);
            o[i] = a->relu && v < 0.0f ? 0.0f : v;
        }
        mock_store(a->out, a->dt, (size_t)r * a->n, (size_t)a->n, o);
    }
    free(o);
}

cudaError_t psamp_k_bias_act(const float *in, const float *bias, void *out, int32_t rows,
                             int32_t n, int relu, psamp_dtype dtype, cudaStream_t stream) {
    bias_act_args a = {in, bias, out, rows, n, relu, dtype};
    return SUBMIT(stream, run_bias_act, a);
}

typedef struct {
    float *x;
    const float *y, *bias;
    int32_t rows, n;
} bias_residual_args;

static void run_bias_residual(const void *p) {
    const bias_residual_args *a = p;
    for (size_t i = 0; i < (size_t)a->rows * a->n; i++)
        a->x[i] += a->y[i] + (a->bias ? a->bias[i % (size_t)a->n] : 0.0f);
}

cudaError_t psamp_k_bias_residual(float *x, const float *y, const float *bias, int32_t rows,
                                  int32_t n, cudaStream_t stream) {
    bias_residual_args a = {x, y, bias, rows, n};
    return SUBMIT(stream, run_bias_residual, a);
}

/* ---- KV append, attention, fork ----------------------------------------------------- */
#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/kv_append.cu itself */
typedef struct {
    const float *qkv, *bias;
    float *q;
    void *k, *v;
    const psamp_k_row *rows;
    int32_t n_rows, hidden, max_len;
    float scale;
    psamp_dtype dt;
} kv_append_args;

static void run_kv_append(const void *p) {
    const kv_append_args *a = p;
    const int32_t h = a->hidden;
    float *kr = scratch((size_t)h), *vr = scratch((size_t)h);
    for (int32_t r = 0; r < a->n_rows; r++) {
        const float *src = a->qkv + (size_t)r * 3 * h;
        float *qr = a->q + (size_t)r * h;
        if (a->rows[r].slot < 0) {
            memset(qr, 0, (size_t)h * sizeof *qr);
            continue;
        }
        for (int32_t i = 0; i < h; i++) {
            qr[i] = (src[i] + (a->bias ? a->bias[i] : 0.0f)) * a->scale;
            kr[i] = src[h + i] + (a->bias ? a->bias[h + i] : 0.0f);
            vr[i] = src[2 * h + i] + (a->bias ? a->bias[2 * h + i] : 0.0f);
        }
        const size_t at = ((size_t)a->rows[r].slot * a->max_len + (size_t)a->rows[r].pos) * h;
        mock_store(a->k, a->dt, at, (size_t)h, kr);
        mock_store(a->v, a->dt, at, (size_t)h, vr);
    }
    free(kr), free(vr);
}

cudaError_t psamp_k_kv_append(const float *qkv, const float *bias, float *q, void *k_cache,
                              void *v_cache, const psamp_k_row *rows, int32_t n_rows,
                              int32_t hidden, int32_t max_len, float q_scale,
                              psamp_dtype dtype, cudaStream_t stream) {
    kv_append_args a = {qkv, bias, q, k_cache, v_cache, rows, n_rows, hidden, max_len, q_scale, dtype};
    return SUBMIT(stream, run_kv_append, a);
}
#endif

size_t psamp_attention_partial_floats(int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                      int32_t max_len) {
    const size_t n_split = ((size_t)max_len + PSAMP_ATTN_CHUNK - 1) / PSAMP_ATTN_CHUNK;
    return (size_t)n_rows * (size_t)n_heads * n_split * (size_t)(head_dim + 2);
}

typedef struct {
    const float *q;
    const void *k, *v;
    void *out;
    float *partial;
    const psamp_k_row *rows;
    int32_t n_rows, n_heads, head_dim, max_len;
    psamp_dtype dt;
} attention_args;

static void run_attention(const void *p) {
    const attention_args *a = p;
    const int32_t hd = a->head_dim, h = a->n_heads * hd;
    float *kv = scratch((size_t)hd), *o = scratch((size_t)h);
    double *s = malloc((size_t)a->max_len * sizeof *s), *acc = malloc((size_t)hd * sizeof *acc);
    if (!s || !acc) abort();
    for (int32_t r = 0; r < a->n_rows; r++) {
        const psamp_k_row row = a->rows[r];
        memset(o, 0, (size_t)h * sizeof *o);
        for (int32_t head = 0; row.slot >= 0 && head < a->n_heads; head++) {
            const size_t base = (size_t)row.slot * a->max_len * h + (size_t)head * hd;
            const float *q = a->q + (size_t)r * h + (size_t)head * hd;
            double m = -INFINITY, sum = 0.0;
            for (int32_t j = 0; j <= row.pos; j++) {
                mock_load(a->k, a->dt, base + (size_t)j * h, (size_t)hd, kv);
                double d = 0.0;
                for (int32_t i = 0; i < hd; i++) d += (double)q[i] * kv[i];
                s[j] = d;
                m = d > m ? d : m;
            }
            memset(acc, 0, (size_t)hd * sizeof *acc);
            for (int32_t j = 0; j <= row.pos; j++) {
                const double w = exp(s[j] - m);
                sum += w;
                mock_load(a->v, a->dt, base + (size_t)j * h, (size_t)hd, kv);
                for (int32_t i = 0; i < hd; i++) acc[i] += w * kv[i];
            }
            for (int32_t i = 0; i < hd; i++) o[(size_t)head * hd + i] = (float)(acc[i] / sum);
        }
        mock_store(a->out, a->dt, (size_t)r * h, (size_t)h, o);
    }
    free(kv), free(o), free(s), free(acc);
}

cudaError_t psamp_k_attention(const float *q, const void *k_cache, const void *v_cache,
                              void *out, float *partial, const psamp_k_row *rows,
                              int32_t n_rows, int32_t n_heads, int32_t head_dim,
                              int32_t max_len, psamp_dtype dtype, cudaStream_t stream) {
    if (head_dim <= 0 || head_dim > PSAMP_ATTN_MAX_HEAD_DIM) return cudaErrorInvalidValue;
    attention_args a = {q, k_cache, v_cache, out, partial, rows, n_rows, n_heads, head_dim, max_len, dtype};
    return SUBMIT(stream, run_attention, a);
}

#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/attention_warp.cu itself */
/* The warp variant computes the same function; the mock keeps its argument checks. */
cudaError_t psamp_k_attention_warp(const float *q, const void *k_cache, const void *v_cache,
                                   void *out, float *partial, const psamp_k_row *rows,
                                   int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                   int32_t max_len, int32_t warps_per_row, psamp_dtype dtype,
                                   cudaStream_t stream) {
    if (warps_per_row != 0 && warps_per_row != 1 && warps_per_row != 2 && warps_per_row != 4 &&
        warps_per_row != 8)
        return cudaErrorInvalidValue;
    return psamp_k_attention(q, k_cache, v_cache, out, partial, rows, n_rows, n_heads, head_dim,
                             max_len, dtype, stream);
}

/* kv_append then attention, the contract of the fused launcher. */
cudaError_t psamp_k_attention_warp_append(const float *qkv, const float *bias, float *q,
                                          void *k_cache, void *v_cache, void *out,
                                          float *partial, const psamp_k_row *rows,
                                          int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                          int32_t max_len, int32_t warps_per_row,
                                          psamp_dtype dtype, cudaStream_t stream) {
    if (warps_per_row != 0 && warps_per_row != 1 && warps_per_row != 2 && warps_per_row != 4 &&
        warps_per_row != 8)
        return cudaErrorInvalidValue;
    const cudaError_t rc = psamp_k_kv_append(qkv, bias, q, k_cache, v_cache, rows, n_rows,
                                             n_heads * head_dim, max_len, 1.0f, dtype, stream);
    if (rc != cudaSuccess) return rc;
    return psamp_k_attention(q, k_cache, v_cache, out, partial, rows, n_rows, n_heads, head_dim,
                             max_len, dtype, stream);
}

/* The mock has no warps: 1 wherever the real launcher would not fall back. */
int32_t psamp_attention_warps_per_row(int32_t n_rows, int32_t n_heads, int32_t head_dim,
                                      int32_t max_len, psamp_dtype dtype) {
    (void)max_len, (void)dtype;
    const int supported = head_dim == 16 || head_dim == 32 || head_dim == 64 || head_dim == 128;
    return supported && n_rows > 0 && n_heads > 0 ? 1 : 0;
}
#endif

typedef struct {
    void *k, *v;
    const int32_t *pairs;
    int32_t n_forks, n_layers, n_slots, max_len;
    size_t pos_bytes;
} fork_args;

static void run_fork(const void *p) {
    const fork_args *a = p;
    const size_t pos_bytes = a->pos_bytes, slot_bytes = pos_bytes * a->max_len;
    for (int32_t f = 0; f < a->n_forks; f++) {
        const int32_t dst = a->pairs[3 * f], src = a->pairs[3 * f + 1], n = a->pairs[3 * f + 2];
        if (dst == src || n <= 0) continue;
        for (int32_t l = 0; l < 2 * a->n_layers; l++) {
            unsigned char *cache = l < a->n_layers ? a->k : a->v;
            const size_t layer = (size_t)(l % a->n_layers) * slot_bytes * a->n_slots;
            memcpy(cache + layer + (size_t)dst * slot_bytes, cache + layer + (size_t)src * slot_bytes,
                   (size_t)n * pos_bytes);
        }
    }
}

cudaError_t psamp_k_kv_fork_bytes(void *k_cache, void *v_cache, const int32_t *pairs,
                                  int32_t n_forks, int32_t max_pos, int32_t n_layers,
                                  int32_t n_slots, int32_t max_len, int64_t row_bytes,
                                  cudaStream_t stream) {
    (void)max_pos;
    if (row_bytes <= 0) return cudaErrorInvalidValue;
    fork_args a = {k_cache, v_cache, pairs, n_forks, n_layers, n_slots, max_len, (size_t)row_bytes};
    return SUBMIT(stream, run_fork, a);
}

cudaError_t psamp_k_kv_fork(void *k_cache, void *v_cache, const int32_t *pairs,
                            int32_t n_forks, int32_t max_pos, int32_t n_layers,
                            int32_t n_slots, int32_t max_len, int32_t hidden,
                            psamp_dtype dtype, cudaStream_t stream) {
    const int64_t es = dtype == PSAMP_F32 ? 4 : 2;
    return psamp_k_kv_fork_bytes(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots,
                                 max_len, es * hidden, stream);
}

/* ---- GEMV ------------------------------------------------------------------------- */
#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/gemv.cu itself */
typedef struct {
    const void *x, *w;
    void *out;
    int32_t m, n, k;
    psamp_k_gemv_fusion f;
    psamp_dtype dt;
} gemv_args;

/* The input rows as fp32: x in the dtype, or the layer norm of fp32 x stored in the dtype. */
static void gemv_input(const gemv_args *a, float *xr) {
    const size_t total = (size_t)a->k * (size_t)a->m;
    if (!a->f.gamma) {
        mock_load(a->x, a->dt, 0, total, xr);
        return;
    }
    const float *x = a->x;
    for (int32_t i = 0; i < a->m; i++) {
        const float *row = x + (size_t)i * a->k;
        float mean = 0.0f, var = 0.0f;
        for (int32_t q = 0; q < a->k; q++) mean += row[q];
        mean /= (float)a->k;
        for (int32_t q = 0; q < a->k; q++) var += (row[q] - mean) * (row[q] - mean);
        const float rstd = 1.0f / sqrtf(var / (float)a->k + a->f.eps);
        for (int32_t q = 0; q < a->k; q++)
            xr[(size_t)i * a->k + q] = (row[q] - mean) * rstd * a->f.gamma[q] + a->f.beta[q];
    }
    float *stored = scratch(total); /* 4 bytes an element: room for any dtype */
    mock_store(stored, a->dt, 0, total, xr);
    mock_load(stored, a->dt, 0, total, xr);
    free(stored);
}

static void run_gemv(const void *p) {
    const gemv_args *a = p;
    float *xr = scratch((size_t)a->k * (size_t)a->m), *wr = scratch((size_t)a->k);
    gemv_input(a, xr);
    for (int32_t j = 0; j < a->n; j++) {
        mock_load(a->w, a->dt, (size_t)j * (size_t)a->k, (size_t)a->k, wr);
        for (int32_t i = 0; i < a->m; i++) {
            float s = 0.0f;
            for (int32_t q = 0; q < a->k; q++) s += xr[(size_t)i * a->k + q] * wr[q];
            const size_t at = (size_t)i * a->n + j;
            const float bias = a->f.bias ? a->f.bias[j] : 0.0f;
            if (a->f.out == PSAMP_GEMV_STORE) {
                ((float *)a->out)[at] = s;
            } else if (a->f.out == PSAMP_GEMV_BIAS_RELU) {
                const float v = fmaxf(s + bias, 0.0f);
                mock_store(a->out, a->dt, at, 1, &v);
            } else {
                ((float *)a->out)[at] += s + bias;
            }
        }
    }
    free(xr), free(wr);
}

cudaError_t psamp_k_gemv_fused(const void *x, const void *w, void *out, int32_t m, int32_t n,
                               int32_t k, const psamp_k_gemv_fusion *f, psamp_dtype dtype,
                               cudaStream_t stream) {
    if (m <= 0 || n <= 0) return cudaSuccess;
    if (m > PSAMP_GEMV_MAX_ROWS || k <= 0 || !f || (f->gamma == NULL) != (f->beta == NULL) ||
        f->out < PSAMP_GEMV_STORE || f->out > PSAMP_GEMV_RESIDUAL ||
        (dtype != PSAMP_F32 && dtype != PSAMP_F16 && dtype != PSAMP_BF16))
        return cudaErrorInvalidValue;
    gemv_args a = {x, w, out, m, n, k, *f, dtype};
    return SUBMIT(stream, run_gemv, a);
}

cudaError_t psamp_k_gemv(const void *x, const void *w, float *y, int32_t m, int32_t n, int32_t k,
                         psamp_dtype dtype, cudaStream_t stream) {
    const psamp_k_gemv_fusion plain = {NULL, NULL, 0.0f, NULL, PSAMP_GEMV_STORE};
    return psamp_k_gemv_fused(x, w, y, m, n, k, &plain, dtype, stream);
}
#endif

/* ---- sampling, Philox --------------------------------------------------------------- */
typedef struct {
    const float *logits;
    int64_t ld;
    int32_t vocab, n_rows;
    const psamp_k_row *rows;
    psamp_k_result *out;
} sample_args;

static void run_sample(const void *p) {
    const sample_args *a = p;
    for (int32_t r = 0; r < a->n_rows; r++) {
        const psamp_k_row row = a->rows[r];
        if (row.slot < 0) continue;
        const float *l = a->logits + (size_t)r * (size_t)a->ld;
        psamp_k_result res;
        if (row.target < 0) {
            const double u = psamp_u32_to_unit(psamp_philox_u32(row.seed, row.stream, row.counter));
            const psamp_row_sample s = psamp_sample_row(l, a->vocab, row.tau, u);
            res = (psamp_k_result){s.token, s.logp, s.logq};
        } else {
            double max = -INFINITY, zp = 0.0, zq = 0.0;
            for (int32_t i = 0; i < a->vocab; i++) max = l[i] > max ? l[i] : max;
            for (int32_t i = 0; i < a->vocab; i++) {
                zp += exp((double)l[i] - max);
                if (row.tau > 0.0f) zq += exp(((double)l[i] - max) / row.tau);
            }
            const double d = (double)l[row.target] - max;
            res = (psamp_k_result){row.target, (float)(d - log(zp)),
                                   row.tau > 0.0f ? (float)(d / row.tau - log(zq)) : 0.0f};
        }
        a->out[r] = res;
    }
}

cudaError_t psamp_k_sample(const float *logits, int64_t ld, int32_t vocab,
                           const psamp_k_row *rows, int32_t n_rows, psamp_k_result *out,
                           cudaStream_t stream) {
    if (vocab <= 0 || ld < vocab) return cudaErrorInvalidValue;
    sample_args a = {logits, ld, vocab, n_rows, rows, out};
    return SUBMIT(stream, run_sample, a);
}

#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/sample_onepass.cu itself */
/* The same draw rule as psamp_k_sample (the host's, exactly). */
cudaError_t psamp_k_sample_onepass(const float *logits, int64_t ld, int32_t vocab,
                                   const psamp_k_row *rows, int32_t n_rows, psamp_k_result *out,
                                   cudaStream_t stream) {
    return psamp_k_sample(logits, ld, vocab, rows, n_rows, out, stream);
}
#endif

/* No cuRAND on the host: both outputs are host/util/philox.h (the GPU test is the real check). */
cudaError_t psamp_k_curand_check(uint64_t seed, uint64_t stream_id, const uint64_t *counter,
                                 int32_t n, uint32_t *out_curand, uint32_t *out_psamp,
                                 cudaStream_t stream) {
    (void)stream;
    for (int32_t i = 0; i < n; i++)
        out_curand[i] = out_psamp[i] = psamp_philox_u32(seed, stream_id, counter[i]);
    return cudaSuccess;
}

#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/decoder_*.cu themselves */
/* The decoders' kernels (kernels/decoder_kernels.h) have no plain-C mock: the engine's decoder
 * path is checked on the block emulator (tests/cuda_emu) and on a GPU. In the mock build they
 * fail, so a decoder engine there fails at its first forward instead of computing nonsense. */
#include "decoder_kernels.h"

cudaError_t psamp_k_decoder_embed(float *x, const psamp_k_row *rows, int32_t n_rows, const void *table,
                                  int32_t hidden, psamp_dtype dtype, cudaStream_t stream) {
    (void)x, (void)rows, (void)n_rows, (void)table, (void)hidden, (void)dtype, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_rmsnorm(const float *x, const float *gamma, void *out, int32_t rows, int32_t n,
                            float eps, psamp_dtype dtype, cudaStream_t stream) {
    (void)x, (void)gamma, (void)out, (void)rows, (void)n, (void)eps, (void)dtype, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_decoder_rope_append(const float *qkv, const float *bias, const float *rope_cos,
                                        const float *rope_sin, const uint8_t *row_sets, float *q_out,
                                        void *k_cache, void *v_cache, const psamp_k_row *rows,
                                        int32_t n_rows, int32_t n_heads, int32_t n_kv_heads,
                                        int32_t head_dim, int32_t max_len, float q_scale,
                                        psamp_dtype dtype, cudaStream_t stream) {
    (void)qkv, (void)bias, (void)rope_cos, (void)rope_sin, (void)row_sets, (void)q_out, (void)k_cache;
    (void)v_cache, (void)rows, (void)n_rows, (void)n_heads, (void)n_kv_heads, (void)head_dim;
    (void)max_len, (void)q_scale, (void)dtype, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_swiglu(const float *gate_up, void *out, int32_t rows, int32_t ffn,
                           psamp_dtype dtype, cudaStream_t stream) {
    (void)gate_up, (void)out, (void)rows, (void)ffn, (void)dtype, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_decoder_attention(const float *q, const void *k_cache, const void *v_cache,
                                      void *out, const psamp_k_row *rows, int32_t n_rows,
                                      int32_t n_heads, int32_t n_kv_heads, int32_t head_dim,
                                      int32_t max_len, psamp_dtype dtype, cudaStream_t stream) {
    (void)q, (void)k_cache, (void)v_cache, (void)out, (void)rows, (void)n_rows, (void)n_heads;
    (void)n_kv_heads, (void)head_dim, (void)max_len, (void)dtype, (void)stream;
    return cudaErrorNotSupported;
}
#endif

#ifndef PSAMP_MOCK_EMULATED_KERNELS /* tests/cuda_emu runs kernels/kv_append.cu, attention_warp.cu */
/* The fp8 KV cache's kernels have no plain-C mock either: the block emulator and a GPU check
 * them. In the mock build an fp8 engine fails at its first forward. */
cudaError_t psamp_k_kv_append_fp8(const float *qkv, const float *bias, float *q, psamp_k_kv_fp8 kv,
                                  const psamp_k_row *rows, int32_t n_rows, int32_t n_heads,
                                  int32_t head_dim, int32_t max_len, float q_scale,
                                  cudaStream_t stream) {
    (void)qkv, (void)bias, (void)q, (void)kv, (void)rows, (void)n_rows, (void)n_heads;
    (void)head_dim, (void)max_len, (void)q_scale, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_attention_warp_fp8(const float *q, psamp_k_kv_fp8 kv, void *out,
                                       const psamp_k_row *rows, int32_t n_rows, int32_t n_heads,
                                       int32_t head_dim, int32_t max_len, int32_t warps_per_row,
                                       psamp_dtype out_dtype, cudaStream_t stream) {
    (void)q, (void)kv, (void)out, (void)rows, (void)n_rows, (void)n_heads, (void)head_dim;
    (void)max_len, (void)warps_per_row, (void)out_dtype, (void)stream;
    return cudaErrorNotSupported;
}

cudaError_t psamp_k_attention_warp_append_fp8(const float *qkv, const float *bias,
                                              psamp_k_kv_fp8 kv, void *out,
                                              const psamp_k_row *rows, int32_t n_rows,
                                              int32_t n_heads, int32_t head_dim, int32_t max_len,
                                              int32_t warps_per_row, psamp_dtype out_dtype,
                                              cudaStream_t stream) {
    (void)qkv, (void)bias, (void)kv, (void)out, (void)rows, (void)n_rows, (void)n_heads;
    (void)head_dim, (void)max_len, (void)warps_per_row, (void)out_dtype, (void)stream;
    return cudaErrorNotSupported;
}
#endif
