/* Qwen2 / Llama / Phi-3 decoder forward in fp32 (transformers' eager arithmetic), see
 * decoder_forward_cpu.h. */
#include "decoder_forward_cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_linear.h"

/* dst = RMSNorm(src) * g row by row: x * rsqrt(mean(x^2) + eps) * g, as transformers does in fp32. */
static void rms_norm(float *dst, const float *src, int32_t n, int32_t dim, const float *g, double eps) {
    for (int32_t r = 0; r < n; r++) {
        const float *x = src + (size_t)r * dim;
        float *y = dst + (size_t)r * dim;
        double ss = 0.0;
        for (int32_t i = 0; i < dim; i++) ss += (double)x[i] * x[i];
        const float inv = (float)(1.0 / sqrt(ss / dim + eps));
        for (int32_t i = 0; i < dim; i++) y[i] = g[i] * (x[i] * inv);
    }
}

static float *kv_at(const decoder_cpu_forward *f, int32_t slot, int32_t layer, int kind, int32_t kv_head) {
    const decoder_config *c = &f->w->cfg;
    return f->kv + (size_t)slot * f->slot_floats +
           (((size_t)layer * 2 + (size_t)kind) * (size_t)c->n_kv_heads + (size_t)kv_head) * (size_t)f->max_len *
               (size_t)c->head_dim;
}

/* RoPE on every row's q and k (with the row's factor set), then K and V into the caches. */
static void rotate_and_store(decoder_cpu_forward *f, const uint8_t *sets, int32_t n, int32_t layer) {
    const decoder_config *c = &f->w->cfg;
    const int32_t hd = c->head_dim, q = c->n_heads * hd, kv = c->n_kv_heads * hd;
    for (int32_t r = 0; r < n; r++) {
        const opt_cpu_row *row = &f->rows[r];
        float *qr = f->qkv + (size_t)r * f->qkv_dim, *k = qr + q, *v = k + kv;
        decoder_rope_apply(&f->rope, qr, c->n_heads, row->pos, sets[r]);
        decoder_rope_apply(&f->rope, k, c->n_kv_heads, row->pos, sets[r]);
        for (int32_t head = 0; head < c->n_kv_heads; head++) {
            float *kt = kv_at(f, row->slot, layer, 0, head) + row->pos;
            for (int32_t i = 0; i < hd; i++) kt[(size_t)i * f->max_len] = k[head * hd + i];
            memcpy(kv_at(f, row->slot, layer, 1, head) + (size_t)row->pos * hd, v + head * hd,
                   (size_t)hd * sizeof(float));
        }
    }
}

/* One (row, query head): softmax(q K^T) V over the slot's positions 0..pos with the KV head
 * of the query's group (q is pre-scaled). */
static void attention_task(void *ctx, int64_t item, int thread) {
    decoder_cpu_forward *f = ctx;
    const decoder_config *c = &f->w->cfg;
    const int32_t hd = c->head_dim, group = c->n_heads / c->n_kv_heads;
    const int32_t r = (int32_t)(item / c->n_heads), head = (int32_t)(item % c->n_heads);
    const int32_t kv_head = head / group;
    const opt_cpu_row *row = &f->rows[r];
    const int32_t n = row->pos + 1;
    float *s = f->scores + (size_t)thread * f->max_len;
    cpu_weighted_rows(s, f->qkv + (size_t)r * f->qkv_dim + (size_t)head * hd, kv_at(f, row->slot, f->layer, 0, kv_head),
                      hd, n, f->max_len);
    float max = -INFINITY, sum = 0.0f;
    for (int32_t t = 0; t < n; t++) max = s[t] > max ? s[t] : max;
    for (int32_t t = 0; t < n; t++) {
        s[t] = expf(s[t] - max);
        sum += s[t];
    }
    float *out = f->attn + (size_t)r * c->n_heads * hd + (size_t)head * hd;
    cpu_weighted_rows(out, s, kv_at(f, row->slot, f->layer, 1, kv_head), n, hd, hd);
    const float inv = 1.0f / sum;
    for (int32_t i = 0; i < hd; i++) out[i] *= inv;
}

static void decoder_block(decoder_cpu_forward *f, const uint8_t *sets, int32_t n, int32_t layer) {
    const decoder_config *c = &f->w->cfg;
    const decoder_layer_f32 *L = &f->w->layers[layer];
    const int32_t h = c->hidden, ffn = c->ffn_dim, q = c->n_heads * c->head_dim;
    rms_norm(f->xn, f->x, n, h, L->attn_norm, c->rms_eps);
    cpu_linear(f->pool, f->xn, n, h, L->qkv_w, L->qkv_b, f->qkv_dim, f->qkv, 0, 0);
    rotate_and_store(f, sets, n, layer);
    f->layer = layer;
    cpu_pool_run(f->pool, (int64_t)n * c->n_heads, attention_task, f);
    cpu_linear(f->pool, f->attn, n, q, L->o_w, NULL, h, f->x, 1, 0);
    rms_norm(f->xn, f->x, n, h, L->mlp_norm, c->rms_eps);
    cpu_linear(f->pool, f->xn, n, h, L->gate_up_w, NULL, 2 * ffn, f->gate_up, 0, 0);
    for (int32_t r = 0; r < n; r++) {
        const float *g = f->gate_up + (size_t)r * 2 * ffn, *u = g + ffn;
        float *a = f->act + (size_t)r * ffn;
        for (int32_t i = 0; i < ffn; i++) a[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
    }
    cpu_linear(f->pool, f->act, n, ffn, L->down_w, NULL, h, f->x, 1, 0);
}

/* The whole model over rows with their factor sets; logits (NULL: none) gets [n, vocab]. */
static void run(decoder_cpu_forward *f, const opt_cpu_row *rows, const uint8_t *sets, int32_t n, float *logits) {
    const decoder_weights_f32 *w = f->w;
    const decoder_config *c = &w->cfg;
    const int32_t h = c->hidden;
    f->rows = rows;
    for (int32_t r = 0; r < n; r++)
        memcpy(f->x + (size_t)r * h, w->embed_tokens + (size_t)rows[r].token * h, (size_t)h * sizeof(float));
    for (int32_t layer = 0; layer < c->n_layers; layer++) decoder_block(f, sets, n, layer);
    if (!logits) return;
    rms_norm(f->xn, f->x, n, h, w->final_norm, c->rms_eps);
    cpu_linear(f->pool, f->xn, n, h, w->lm_head, NULL, c->vocab_size, logits, 0, 0);
}

/* Recomputes positions [0, n_pos) of slot's cache with factor set `set`. */
static void rebuild(decoder_cpu_forward *f, int32_t slot, int32_t n_pos, int set, const psamp_slot_table *slots) {
    const int32_t *tokens = psamp_slot_tokens(slots, slot);
    for (int32_t start = 0; start < n_pos; start += f->max_rows) {
        const int32_t m = n_pos - start < f->max_rows ? n_pos - start : f->max_rows;
        for (int32_t r = 0; r < m; r++) {
            f->rebuild_rows[r] = (opt_cpu_row){slot, start + r, tokens[start + r]};
            f->rebuild_set[r] = (uint8_t)set;
        }
        run(f, f->rebuild_rows, f->rebuild_set, m, NULL);
    }
    f->slot_set[slot] = (uint8_t)set;
}

void decoder_cpu_forward_rows(decoder_cpu_forward *f, const opt_cpu_row *rows, int32_t n, int want_logits,
                              const psamp_slot_table *slots) {
    const int32_t v = f->w->cfg.vocab_size;
    /* Segments: runs of rows in which no slot changes factor set. Without longrope, one. */
    for (int32_t start = 0; start < n;) {
        int32_t end = start;
        for (; end < n; end++) {
            const int set = decoder_rope_set(&f->rope, rows[end].pos + 1);
            if (end > start && rows[end - 1].slot == rows[end].slot && f->row_set[end - 1] != set) break;
            f->row_set[end] = (uint8_t)set;
        }
        for (int32_t i = start; i < end; i++) {
            const opt_cpu_row *r = &rows[i];
            if (i > start && rows[i - 1].slot == r->slot) continue;
            if (r->pos > 0 && f->slot_set[r->slot] != f->row_set[i]) rebuild(f, r->slot, r->pos, f->row_set[i], slots);
            f->slot_set[r->slot] = f->row_set[i];
        }
        run(f, rows + start, f->row_set + start, end - start, want_logits ? f->logits + (size_t)start * v : NULL);
        start = end;
    }
}

void decoder_cpu_forward_copy_kv(decoder_cpu_forward *f, int32_t dst, int32_t src, int32_t n) {
    const decoder_config *c = &f->w->cfg;
    const size_t hd = (size_t)c->head_dim;
    if (n <= 0 || dst == src) return;
    f->slot_set[dst] = f->slot_set[src];
    for (int32_t layer = 0; layer < c->n_layers; layer++)
        for (int32_t head = 0; head < c->n_kv_heads; head++) {
            const float *k_src = kv_at(f, src, layer, 0, head);
            float *k_dst = kv_at(f, dst, layer, 0, head);
            for (size_t i = 0; i < hd; i++)
                memcpy(k_dst + i * (size_t)f->max_len, k_src + i * (size_t)f->max_len, (size_t)n * sizeof(float));
            memcpy(kv_at(f, dst, layer, 1, head), kv_at(f, src, layer, 1, head), (size_t)n * hd * sizeof(float));
        }
}

void decoder_cpu_forward_free(decoder_cpu_forward *f) {
    if (!f) return;
    void *bufs[] = {f->kv,     f->slot_set, f->x,      f->xn,           f->qkv,         f->attn, f->gate_up,
                    f->act,    f->logits,   f->scores, f->row_set,      f->rebuild_rows, f->rebuild_set};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    decoder_rope_table_free(&f->rope);
    memset(f, 0, sizeof *f);
}

static void *alloc_bytes(size_t n, size_t *total) {
    *total += n;
    return malloc(n ? n : 1);
}

int decoder_cpu_forward_init(decoder_cpu_forward *f, const decoder_weights_f32 *w, cpu_pool *pool, int32_t n_slots,
                             int32_t max_len, int32_t max_rows, psamp_err *err) {
    memset(f, 0, sizeof *f);
    const decoder_config *c = &w->cfg;
    f->w = w;
    f->pool = pool;
    f->max_rows = max_rows;
    f->max_len = max_len;
    f->n_slots = n_slots;
    f->qkv_dim = (c->n_heads + 2 * c->n_kv_heads) * c->head_dim;
    f->slot_floats = (size_t)c->n_layers * 2 * (size_t)c->n_kv_heads * (size_t)c->head_dim * (size_t)max_len;
    if ((double)f->slot_floats * n_slots * sizeof(float) > (double)SIZE_MAX / 2)
        return psamp_fail(err, "cpu engine: KV cache for %d slots x %d positions is too large", n_slots, max_len);
    if (decoder_rope_table_init(&f->rope, c, max_len, err) != 0) return -1;
    const size_t rows = (size_t)max_rows, fl = sizeof(float);
    size_t total = 0;
    f->kv = alloc_bytes(f->slot_floats * (size_t)n_slots * fl, &total);
    f->slot_set = calloc((size_t)n_slots, 1);
    f->x = alloc_bytes(rows * (size_t)c->hidden * fl, &total);
    f->xn = alloc_bytes(rows * (size_t)c->hidden * fl, &total);
    f->qkv = alloc_bytes(rows * (size_t)f->qkv_dim * fl, &total);
    f->attn = alloc_bytes(rows * (size_t)c->n_heads * (size_t)c->head_dim * fl, &total);
    f->gate_up = alloc_bytes(rows * 2 * (size_t)c->ffn_dim * fl, &total);
    f->act = alloc_bytes(rows * (size_t)c->ffn_dim * fl, &total);
    f->logits = alloc_bytes(rows * (size_t)c->vocab_size * fl, &total);
    f->scores = alloc_bytes((size_t)cpu_pool_threads(pool) * (size_t)max_len * fl, &total);
    f->row_set = alloc_bytes(rows, &total);
    f->rebuild_rows = alloc_bytes(rows * sizeof *f->rebuild_rows, &total);
    f->rebuild_set = alloc_bytes(rows, &total);
    if (!f->kv || !f->slot_set || !f->x || !f->xn || !f->qkv || !f->attn || !f->gate_up || !f->act || !f->logits ||
        !f->scores || !f->row_set || !f->rebuild_rows || !f->rebuild_set) {
        decoder_cpu_forward_free(f);
        return psamp_fail(err, "cpu engine: out of memory for the KV cache and scratch (%.1f MB)", total / 1e6);
    }
    f->bytes = total + (size_t)n_slots;
    return 0;
}
