#include "opt_weights_cpu.h"

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

/* Converts t into a fresh piece of the arena (NULL when the tensor is absent). */
static float *convert(arena_cursor *a, const psamp_tensor *t) {
    if (!t->data) return NULL;
    float *dst = take(a, (size_t)psamp_tensor_numel(t));
    if (dst) psamp_tensor_to_f32(t, dst);
    return dst;
}

static void convert_layer(arena_cursor *a, const opt_config *c, const opt_layer *L,
                          opt_layer_f32 *out) {
    const size_t h = (size_t)c->hidden;
    out->qkv_w = take(a, 3 * h * h);
    out->qkv_b = L->q_b.data ? take(a, 3 * h) : NULL;
    if (a->base) {
        psamp_tensor_to_f32(&L->q_w, out->qkv_w);
        psamp_tensor_to_f32(&L->k_w, out->qkv_w + h * h);
        psamp_tensor_to_f32(&L->v_w, out->qkv_w + 2 * h * h);
        /* HF scales q after its bias: (x W^T + b) s = x (s W)^T + s b. */
        const float scale = (float)(1.0 / sqrt((double)(c->hidden / c->n_heads)));
        for (size_t i = 0; i < h * h; i++) out->qkv_w[i] *= scale;
        if (out->qkv_b) {
            psamp_tensor_to_f32(&L->q_b, out->qkv_b);
            psamp_tensor_to_f32(&L->k_b, out->qkv_b + h);
            psamp_tensor_to_f32(&L->v_b, out->qkv_b + 2 * h);
            for (size_t i = 0; i < h; i++) out->qkv_b[i] *= scale;
        }
    }
    out->o_w = convert(a, &L->o_w);
    out->o_b = convert(a, &L->o_b);
    out->attn_ln_w = convert(a, &L->attn_ln_w);
    out->attn_ln_b = convert(a, &L->attn_ln_b);
    out->fc1_w = convert(a, &L->fc1_w);
    out->fc1_b = convert(a, &L->fc1_b);
    out->fc2_w = convert(a, &L->fc2_w);
    out->fc2_b = convert(a, &L->fc2_b);
    out->ffn_ln_w = convert(a, &L->ffn_ln_w);
    out->ffn_ln_b = convert(a, &L->ffn_ln_b);
}

/* One pass over every tensor: counts floats (a->base == NULL) or converts them. */
static void convert_all(arena_cursor *a, const opt_checkpoint *ck, opt_weights_f32 *w) {
    w->embed_tokens = convert(a, &ck->embed_tokens);
    w->embed_positions = convert(a, &ck->embed_positions);
    w->project_in = convert(a, &ck->project_in);
    w->project_out = convert(a, &ck->project_out);
    w->final_ln_w = convert(a, &ck->final_ln_w);
    w->final_ln_b = convert(a, &ck->final_ln_b);
    w->lm_head = ck->lm_head.data == ck->embed_tokens.data ? w->embed_tokens
                                                            : convert(a, &ck->lm_head);
    for (int32_t i = 0; i < ck->cfg.n_layers; i++)
        convert_layer(a, &ck->cfg, &ck->layers[i], &w->layers[i]);
}

void opt_weights_f32_free(opt_weights_f32 *w) {
    if (!w) return;
    free(w->arena);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

int opt_weights_f32_load(opt_weights_f32 *w, const opt_checkpoint *ck, psamp_err *err) {
    memset(w, 0, sizeof *w);
    w->cfg = ck->cfg;
    w->layers = calloc((size_t)ck->cfg.n_layers, sizeof *w->layers);
    if (!w->layers) return psamp_fail(err, "cpu engine: out of memory for the layer table");
    arena_cursor count = {NULL, 0};
    convert_all(&count, ck, w);
    w->arena = malloc(count.used * sizeof(float));
    if (!w->arena) {
        opt_weights_f32_free(w);
        return psamp_fail(err, "cpu engine: out of memory for %zu fp32 weights (%.1f MB)",
                          count.used, count.used * 4.0 / 1e6);
    }
    arena_cursor fill = {w->arena, 0};
    convert_all(&fill, ck, w);
    return 0;
}
