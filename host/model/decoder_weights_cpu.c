/* Converting a decoder checkpoint to the CPU engine's fp32 layout (decoder_weights_cpu.h). */
#include "decoder_weights_cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hands out consecutive pieces of the arena (a counting pass runs with base == NULL). */
typedef struct {
    float *base;
    size_t used;
} arena_cursor;

static float *take(arena_cursor *a, size_t n) {
    float *p = a->base ? a->base + a->used : NULL;
    a->used += n;
    return p;
}

/* Converts t into dst when filling (dst NULL while counting). */
static void put(float *dst, const psamp_tensor *t) {
    if (dst) psamp_tensor_to_f32(t, dst);
}

/* Lays out one layer in the arena and, when filling, converts L into it (L unused while counting). */
static void convert_layer(arena_cursor *a, const decoder_config *c, const decoder_layer *L, decoder_layer_f32 *out) {
    const size_t h = (size_t)c->hidden, hd = (size_t)c->head_dim, ffn = (size_t)c->ffn_dim;
    const size_t q = (size_t)c->n_heads * hd, kv = (size_t)c->n_kv_heads * hd;
    out->attn_norm = take(a, h);
    out->mlp_norm = take(a, h);
    out->qkv_w = take(a, (q + 2 * kv) * h);
    out->qkv_b = c->qkv_bias ? take(a, q + 2 * kv) : NULL;
    out->o_w = take(a, h * q);
    out->gate_up_w = take(a, 2 * ffn * h);
    out->down_w = take(a, h * ffn);
    if (!a->base) return;
    put(out->attn_norm, &L->attn_norm);
    put(out->mlp_norm, &L->mlp_norm);
    put(out->o_w, &L->o_w);
    put(out->down_w, &L->down_w);
    if (c->fused) {
        put(out->qkv_w, &L->qkv_w);
        put(out->gate_up_w, &L->gate_up_w);
    } else {
        put(out->qkv_w, &L->q_w);
        put(out->qkv_w + q * h, &L->k_w);
        put(out->qkv_w + (q + kv) * h, &L->v_w);
        put(out->gate_up_w, &L->gate_w);
        put(out->gate_up_w + ffn * h, &L->up_w);
    }
    const float scale = (float)(1.0 / sqrt((double)c->head_dim));
    for (size_t i = 0; i < q * h; i++) out->qkv_w[i] *= scale;
    if (out->qkv_b) {
        put(out->qkv_b, &L->q_b);
        put(out->qkv_b + q, &L->k_b);
        put(out->qkv_b + q + kv, &L->v_b);
        for (size_t i = 0; i < q; i++) out->qkv_b[i] *= scale;
    }
}

/* One pass over every tensor: counts floats (a->base == NULL) or converts them. */
static void convert_all(arena_cursor *a, const decoder_checkpoint *ck, decoder_weights_f32 *w) {
    const decoder_config *c = &ck->cfg;
    const size_t h = (size_t)c->hidden, v = (size_t)c->vocab_size;
    w->embed_tokens = take(a, v * h);
    w->final_norm = take(a, h);
    w->lm_head = c->tie_word_embeddings ? w->embed_tokens : take(a, v * h);
    put(w->embed_tokens, &ck->embed_tokens);
    put(w->final_norm, &ck->final_norm);
    if (!c->tie_word_embeddings) put(w->lm_head, &ck->lm_head);
    for (int32_t i = 0; i < c->n_layers; i++) convert_layer(a, c, &ck->layers[i], &w->layers[i]);
}

size_t decoder_layer_f32_floats(const decoder_config *c) {
    arena_cursor count = {NULL, 0};
    decoder_layer_f32 unused;
    convert_layer(&count, c, NULL, &unused);
    return count.used;
}

void decoder_layer_f32_convert(const decoder_config *c, const decoder_layer *layer, float *buf, decoder_layer_f32 *out) {
    arena_cursor fill = {buf, 0};
    convert_layer(&fill, c, layer, out);
}

void decoder_weights_f32_free(decoder_weights_f32 *w) {
    if (!w) return;
    free(w->arena);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

int decoder_weights_f32_load(decoder_weights_f32 *w, const decoder_checkpoint *ck, psamp_err *err) {
    memset(w, 0, sizeof *w);
    w->cfg = ck->cfg;
    w->layers = calloc((size_t)ck->cfg.n_layers, sizeof *w->layers);
    if (!w->layers) return psamp_fail(err, "cpu engine: out of memory for the layer table");
    arena_cursor count = {NULL, 0};
    convert_all(&count, ck, w);
    w->arena = malloc(count.used * sizeof(float));
    if (!w->arena) {
        decoder_weights_f32_free(w);
        return psamp_fail(err, "cpu engine: out of memory for %zu fp32 weights (%.1f MB)", count.used,
                          count.used * 4.0 / 1e6);
    }
    arena_cursor fill = {w->arena, 0};
    convert_all(&fill, ck, w);
    return 0;
}
