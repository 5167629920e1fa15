/* OPT decoder forward in fp32 (modeling_opt.py's arithmetic): learned positions at offset
 * 2, pre- or post-LN blocks, ReLU MLP, optional project_in/out, tied or separate lm_head. */
#include "opt_forward_cpu.h"

#include "cpu_linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_EPS 1e-5

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

/* One (row, head): softmax(q K^T) V over the slot's positions 0..pos (q is pre-scaled). */
static void attention_task(void *ctx, int64_t item, int thread) {
    opt_cpu_forward *f = ctx;
    const opt_config *c = &f->w->cfg;
    const int32_t h = c->hidden, hd = h / c->n_heads;
    const int32_t r = (int32_t)(item / c->n_heads), head = (int32_t)(item % c->n_heads);
    const opt_cpu_row *row = &f->rows[r];
    const int32_t n = row->pos + 1;
    float *s = f->scores + (size_t)thread * f->max_len;
    cpu_weighted_rows(s, f->qkv + (size_t)r * 3 * h + (size_t)head * hd,
                      kv_at(f, row->slot, f->layer, 0, head), hd, n, f->max_len);
    float max = -INFINITY, sum = 0.0f;
    for (int32_t t = 0; t < n; t++) max = s[t] > max ? s[t] : max;
    for (int32_t t = 0; t < n; t++) {
        s[t] = expf(s[t] - max);
        sum += s[t];
    }
    float *out = f->attn + (size_t)r * h + (size_t)head * hd;
    cpu_weighted_rows(out, s, kv_at(f, row->slot, f->layer, 1, head), n, hd, hd);
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
    cpu_linear(f->pool, in, n, h, L->qkv_w, L->qkv_b, 3 * h, f->qkv, 0, 0);
    store_kv(f, n, layer);
    f->layer = layer;
    cpu_pool_run(f->pool, (int64_t)n * c->n_heads, attention_task, f);
    cpu_linear(f->pool, f->attn, n, h, L->o_w, L->o_b, h, f->x, 1, 0);
    if (!c->pre_ln) layer_norm(f->x, f->x, n, h, L->attn_ln_w, L->attn_ln_b);
    /* MLP block */
    in = f->x;
    if (c->pre_ln) {
        layer_norm(f->xn, f->x, n, h, L->ffn_ln_w, L->ffn_ln_b);
        in = f->xn;
    }
    cpu_linear(f->pool, in, n, h, L->fc1_w, L->fc1_b, c->ffn_dim, f->ffn, 0, 1);
    cpu_linear(f->pool, f->ffn, n, c->ffn_dim, L->fc2_w, L->fc2_b, h, f->x, 1, 0);
    if (!c->pre_ln) layer_norm(f->x, f->x, n, h, L->ffn_ln_w, L->ffn_ln_b);
}

static void embed_rows(opt_cpu_forward *f, const opt_cpu_row *rows, int32_t n) {
    const opt_weights_f32 *w = f->w;
    const int32_t h = w->cfg.hidden, proj = w->cfg.word_embed_proj_dim;
    float *tok = w->project_in ? f->embed : f->x;
    for (int32_t r = 0; r < n; r++)
        memcpy(tok + (size_t)r * proj, w->embed_tokens + (size_t)rows[r].token * proj,
               (size_t)proj * sizeof(float));
    if (w->project_in) cpu_linear(f->pool, f->embed, n, proj, w->project_in, NULL, h, f->x, 0, 0);
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
        cpu_linear(f->pool, out, n, c->hidden, w->project_out, NULL, c->word_embed_proj_dim, f->embed, 0, 0);
        out = f->embed;
    }
    cpu_linear(f->pool, out, n, c->word_embed_proj_dim, w->lm_head, NULL, c->vocab_size, f->logits, 0, 0);
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
