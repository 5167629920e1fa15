/* OPT decoder forward in fp32 (modeling_opt.py's arithmetic): learned positions at offset
 * 2, pre- or post-LN blocks, ReLU MLP, optional project_in/out, tied or separate lm_head. */
#include "opt_forward_cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_EPS 1e-5

/* Hot loops get AVX2/AVX-512 clones picked at load time; the build itself targets baseline
 * x86-64 so the binary runs anywhere. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

/* Output columns per GEMM task: whole 64-column tiles, small enough that every thread gets
 * several tasks (the pool balances them when a core is busy elsewhere); one task when the
 * pool has one thread. */
static int32_t linear_chunk(int32_t out, int threads) {
    if (threads == 1) return out;
    int32_t chunk = (out + 4 * threads - 1) / (4 * threads);
    chunk = (chunk + 63) / 64 * 64;
    return chunk < 64 ? 64 : chunk;
}

typedef struct {
    const float *x, *w, *bias;
    float *y;
    int32_t n, in, out, chunk;
    int accumulate, relu;
} linear_job;

/* Columns [c0, c1) of y = x W^T (+ y), then + bias and ReLU on them while they are hot. */
static void linear_task(void *ctx, int64_t item, int thread) {
    const linear_job *j = ctx;
    const int32_t c0 = (int32_t)item * j->chunk;
    const int32_t cols = j->out - c0 < j->chunk ? j->out - c0 : j->chunk;
    (void)thread;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->n, cols, j->in, 1.0f, j->x, j->in,
                j->w + (size_t)c0 * j->in, j->in, j->accumulate ? 1.0f : 0.0f, j->y + c0, j->out);
    if (!j->bias && !j->relu) return;
    for (int32_t r = 0; r < j->n; r++) {
        float *row = j->y + (size_t)r * j->out + c0;
        if (j->bias)
            for (int32_t i = 0; i < cols; i++) row[i] += j->bias[c0 + i];
        if (j->relu)
            for (int32_t i = 0; i < cols; i++) row[i] = row[i] > 0.0f ? row[i] : 0.0f;
    }
}

/* y[n, out] = x[n, in] W^T + bias (or y += ... when accumulate), ReLU when asked. W is
 * [out, in] row-major (HF's layout). The columns are split over the pool; each task is one
 * single-threaded sgemm. */
static void linear(opt_cpu_forward *f, const float *x, int32_t n, int32_t in, const float *w,
                   const float *bias, int32_t out, float *y, int accumulate, int relu) {
    linear_job j = {x, w, bias, y, n, in, out, linear_chunk(out, cpu_pool_threads(f->pool)),
                    accumulate, relu};
    cpu_pool_run(f->pool, (out + j.chunk - 1) / j.chunk, linear_task, &j);
}

/* dst = LayerNorm(src) row by row (dst may be src); g and b NULL without affine. */
static void layer_norm(float *dst, const float *src, int32_t n, int32_t dim, const float *g,
                       const float *b) {
    for (int32_t r = 0; r < n; r++) {
        const float *x = src + (size_t)r * dim;
        float *y = dst + (size_t)r * dim;
        double mean = 0.0, var = 0.0;
        for (int32_t i = 0; i < dim; i++) mean += x[i];
        mean /= dim;
        for (int32_t i = 0; i < dim; i++) var += ((double)x[i] - mean) * ((double)x[i] - mean);
        const float inv = (float)(1.0 / sqrt(var / dim + LN_EPS)), m = (float)mean;
        for (int32_t i = 0; i < dim; i++) {
            float v = (x[i] - m) * inv;
            y[i] = g ? v * g[i] + b[i] : v;
        }
    }
}

static float *kv_at(const opt_cpu_forward *f, int32_t slot, int32_t layer, int kind, int32_t head) {
    const opt_config *c = &f->w->cfg;
    size_t hd = (size_t)(c->hidden / c->n_heads);
    return f->kv + (size_t)slot * f->slot_floats +
           (((size_t)layer * 2 + (size_t)kind) * (size_t)c->n_heads + (size_t)head) *
               (size_t)f->max_len * hd;
}

static void store_kv(opt_cpu_forward *f, int32_t n, int32_t layer) {
    const opt_config *c = &f->w->cfg;
    const int32_t h = c->hidden, hd = h / c->n_heads;
    for (int32_t r = 0; r < n; r++) {
        const opt_cpu_row *row = &f->rows[r];
        const float *k = f->qkv + (size_t)r * 3 * h + h, *v = k + h;
        for (int32_t head = 0; head < c->n_heads; head++) {
            float *kt = kv_at(f, row->slot, layer, 0, head) + row->pos;
            for (int32_t i = 0; i < hd; i++) kt[(size_t)i * f->max_len] = k[head * hd + i];
            memcpy(kv_at(f, row->slot, layer, 1, head) + (size_t)row->pos * hd, v + head * hd,
                   (size_t)hd * sizeof(float));
        }
    }
}

/* y[j] = sum_k a[k] m[k * stride + j] for j < len: a weighted sum of n_terms rows, as
 * contiguous multiply-adds over j that vectorise without reordering any sum. With K stored
 * transposed this gives the scores (a = q, rows = K's head_dim rows); with V it gives the
 * mix (a = the attention weights, rows = V[t]). */
VECTOR_CLONES
static void weighted_rows(float *restrict y, const float *restrict a, const float *restrict m,
                          int32_t n_terms, int32_t len, int32_t stride) {
    for (int32_t j = 0; j < len; j++) y[j] = 0.0f;
    for (int32_t k = 0; k < n_terms; k++) {
        const float ak = a[k], *restrict row = m + (size_t)k * stride;
        for (int32_t j = 0; j < len; j++) y[j] += ak * row[j];
    }
}

/* One (row, head): softmax(q K^T) V over the slot's positions 0..pos (q is pre-scaled). */
static void attention_task(void *ctx, int64_t item, int thread) {
    opt_cpu_forward *f = ctx;
    const opt_config *c = &f->w->cfg;
    const int32_t h = c->hidden, hd = h / c->n_heads;
    const int32_t r = (int32_t)(item / c->n_heads), head = (int32_t)(item % c->n_heads);
    const opt_cpu_row *row = &f->rows[r];
    const int32_t n = row->pos + 1;
    float *s = f->scores + (size_t)thread * f->max_len;
    weighted_rows(s, f->qkv + (size_t)r * 3 * h + (size_t)head * hd,
                  kv_at(f, row->slot, f->layer, 0, head), hd, n, f->max_len);
    float max = -INFINITY, sum = 0.0f;
    for (int32_t t = 0; t < n; t++) max = s[t] > max ? s[t] : max;
    for (int32_t t = 0; t < n; t++) {
        s[t] = expf(s[t] - max);
        sum += s[t];
    }
    float *out = f->attn + (size_t)r * h + (size_t)head * hd;
    weighted_rows(out, s, kv_at(f, row->slot, f->layer, 1, head), n, hd, hd);
    const float inv = 1.0f / sum;
    for (int32_t i = 0; i < hd; i++) out[i] *= inv;
}

static void decoder_layer(opt_cpu_forward *f, int32_t n, int32_t layer) {
    const opt_config *c = &f->w->cfg;
    const opt_layer_f32 *L = &f->w->layers[layer];
    const int32_t h = c->hidden;
    /* attention block */
    const float *in = f->x;
    if (c->pre_ln) {
        layer_norm(f->xn, f->x, n, h, L->attn_ln_w, L->attn_ln_b);
        in = f->xn;
    }
    linear(f, in, n, h, L->qkv_w, L->qkv_b, 3 * h, f->qkv, 0, 0);
    store_kv(f, n, layer);
    f->layer = layer;
    cpu_pool_run(f->pool, (int64_t)n * c->n_heads, attention_task, f);
    linear(f, f->attn, n, h, L->o_w, L->o_b, h, f->x, 1, 0);
    if (!c->pre_ln) layer_norm(f->x, f->x, n, h, L->attn_ln_w, L->attn_ln_b);
    /* MLP block */
    in = f->x;
    if (c->pre_ln) {
        layer_norm(f->xn, f->x, n, h, L->ffn_ln_w, L->ffn_ln_b);
        in = f->xn;
    }
    linear(f, in, n, h, L->fc1_w, L->fc1_b, c->ffn_dim, f->ffn, 0, 1);
    linear(f, f->ffn, n, c->ffn_dim, L->fc2_w, L->fc2_b, h, f->x, 1, 0);
    if (!c->pre_ln) layer_norm(f->x, f->x, n, h, L->ffn_ln_w, L->ffn_ln_b);
}

static void embed_rows(opt_cpu_forward *f, const opt_cpu_row *rows, int32_t n) {
    const opt_weights_f32 *w = f->w;
    const int32_t h = w->cfg.hidden, proj = w->cfg.word_embed_proj_dim;
    float *tok = w->project_in ? f->embed : f->x;
    for (int32_t r = 0; r < n; r++)
        memcpy(tok + (size_t)r * proj, w->embed_tokens + (size_t)rows[r].token * proj,
               (size_t)proj * sizeof(float));
    if (w->project_in) linear(f, f->embed, n, proj, w->project_in, NULL, h, f->x, 0, 0);
    for (int32_t r = 0; r < n; r++) {
        const float *pos = w->embed_positions + (size_t)(rows[r].pos + 2) * h;
        float *x = f->x + (size_t)r * h;
        for (int32_t i = 0; i < h; i++) x[i] += pos[i];
    }
}

void opt_cpu_forward_rows(opt_cpu_forward *f, const opt_cpu_row *rows, int32_t n,
                          int want_logits) {
    const opt_weights_f32 *w = f->w;
    const opt_config *c = &w->cfg;
    f->rows = rows;
    embed_rows(f, rows, n);
    for (int32_t layer = 0; layer < c->n_layers; layer++) decoder_layer(f, n, layer);
    if (!want_logits) return;
    const float *out = f->x;
    if (c->has_final_ln) {
        layer_norm(f->xn, f->x, n, c->hidden, w->final_ln_w, w->final_ln_b);
        out = f->xn;
    }
    if (w->project_out) {
        linear(f, out, n, c->hidden, w->project_out, NULL, c->word_embed_proj_dim, f->embed, 0, 0);
        out = f->embed;
    }
    linear(f, out, n, c->word_embed_proj_dim, w->lm_head, NULL, c->vocab_size, f->logits, 0, 0);
}

void opt_cpu_forward_copy_kv(opt_cpu_forward *f, int32_t dst, int32_t src, int32_t n) {
    const opt_config *c = &f->w->cfg;
    const size_t hd = (size_t)(c->hidden / c->n_heads);
    if (n <= 0 || dst == src) return;
    for (int32_t layer = 0; layer < c->n_layers; layer++)
        for (int32_t head = 0; head < c->n_heads; head++) {
            const float *k_src = kv_at(f, src, layer, 0, head);
            float *k_dst = kv_at(f, dst, layer, 0, head);
            for (size_t i = 0; i < hd; i++)
                memcpy(k_dst + i * (size_t)f->max_len, k_src + i * (size_t)f->max_len,
                       (size_t)n * sizeof(float));
            memcpy(kv_at(f, dst, layer, 1, head), kv_at(f, src, layer, 1, head),
                   (size_t)n * hd * sizeof(float));
        }
}

void opt_cpu_forward_free(opt_cpu_forward *f) {
    if (!f) return;
    float *bufs[] = {f->kv, f->x, f->xn, f->qkv, f->attn, f->ffn, f->embed, f->logits, f->scores};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    memset(f, 0, sizeof *f);
}

static float *alloc_floats(size_t n, size_t *total) {
    *total += n;
    return malloc((n ? n : 1) * sizeof(float));
}

int opt_cpu_forward_init(opt_cpu_forward *f, const opt_weights_f32 *w, cpu_pool *pool,
                         int32_t n_slots, int32_t max_len, int32_t max_rows, psamp_err *err) {
    memset(f, 0, sizeof *f);
    const opt_config *c = &w->cfg;
    f->w = w;
    f->pool = pool;
    f->max_rows = max_rows;
    f->max_len = max_len;
    f->slot_floats = (size_t)c->n_layers * 2 * (size_t)c->hidden * (size_t)max_len;
    const size_t rows = (size_t)max_rows, h = (size_t)c->hidden;
    size_t total = 0;
    if ((double)f->slot_floats * n_slots * sizeof(float) > (double)SIZE_MAX / 2)
        return psamp_fail(err, "cpu engine: KV cache for %d slots x %d positions is too large",
                          n_slots, max_len);
    f->kv = alloc_floats(f->slot_floats * (size_t)n_slots, &total);
    f->x = alloc_floats(rows * h, &total);
    f->xn = alloc_floats(rows * h, &total);
    f->qkv = alloc_floats(rows * 3 * h, &total);
    f->attn = alloc_floats(rows * h, &total);
    f->ffn = alloc_floats(rows * (size_t)c->ffn_dim, &total);
    f->embed = alloc_floats(rows * (size_t)c->word_embed_proj_dim, &total);
    f->logits = alloc_floats(rows * (size_t)c->vocab_size, &total);
    f->scores = alloc_floats((size_t)cpu_pool_threads(pool) * (size_t)max_len, &total);
    if (!f->kv || !f->x || !f->xn || !f->qkv || !f->attn || !f->ffn || !f->embed || !f->logits ||
        !f->scores) {
        opt_cpu_forward_free(f);
        return psamp_fail(err, "cpu engine: out of memory for the KV cache and scratch (%.1f MB)",
                          total * 4.0 / 1e6);
    }
    f->bytes = total * sizeof(float);
    return 0;
}
