/* Binding a Qwen2 / Llama / Phi-3 checkpoint's tensors by name and shape. */
#include "decoder_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors_set.h"

void decoder_checkpoint_close(decoder_checkpoint *ck) {
    if (!ck) return;
    psamp_st_set_close(ck->files);
    free(ck->files);
    free(ck->layers);
    memset(ck, 0, sizeof *ck);
}

static void format_shape(char *buf, size_t size, int32_t ndim, const int64_t *shape) {
    if (ndim == 1) snprintf(buf, size, "[%lld]", (long long)shape[0]);
    else if (ndim == 2) snprintf(buf, size, "[%lld, %lld]", (long long)shape[0], (long long)shape[1]);
    else snprintf(buf, size, "(%d dimensions)", ndim);
}

/* dst = the tensor `name` with shape [rows] (cols 0) or [rows, cols]. */
static int bind(const psamp_st_set *set, const char *name, int64_t rows, int64_t cols, psamp_tensor *dst,
                psamp_err *err) {
    const psamp_st_tensor *t = psamp_st_set_find(set, name);
    if (!t) return psamp_fail(err, "%s: tensor '%s' is missing", set->where, name);
    const int32_t ndim = cols ? 2 : 1;
    const int64_t want[2] = {rows, cols};
    if (t->ndim != ndim || t->shape[0] != rows || (ndim == 2 && t->shape[1] != cols)) {
        char w[64], got[64];
        format_shape(w, sizeof w, ndim, want);
        format_shape(got, sizeof got, t->ndim, t->shape);
        return psamp_fail(err, "%s: tensor '%s': expected shape %s from config.json, found %s", set->where, name, w,
                          got);
    }
    dst->data = t->data;
    dst->dtype = t->dtype;
    dst->ndim = ndim;
    dst->shape[0] = rows;
    dst->shape[1] = cols;
    dst->name = t->name;
    return 0;
}

static int bind_layer(const psamp_st_set *set, const decoder_config *c, int32_t i, decoder_layer *L,
                      psamp_err *err) {
    char name[128];
    const int64_t h = c->hidden, q = (int64_t)c->n_heads * c->head_dim, kv = (int64_t)c->n_kv_heads * c->head_dim;
#define BIND(suffix, rows, cols, dst)                                                \
    (snprintf(name, sizeof name, "model.layers.%d.%s", i, suffix),                   \
     bind(set, name, rows, cols, dst, err))
    if (BIND("input_layernorm.weight", h, 0, &L->attn_norm) ||
        BIND("post_attention_layernorm.weight", h, 0, &L->mlp_norm) ||
        BIND("self_attn.o_proj.weight", h, q, &L->o_w) || BIND("mlp.down_proj.weight", h, c->ffn_dim, &L->down_w))
        return -1;
    if (c->fused)
        return BIND("self_attn.qkv_proj.weight", q + 2 * kv, h, &L->qkv_w) ||
                       BIND("mlp.gate_up_proj.weight", 2 * (int64_t)c->ffn_dim, h, &L->gate_up_w)
                   ? -1
                   : 0;
    if (BIND("self_attn.q_proj.weight", q, h, &L->q_w) || BIND("self_attn.k_proj.weight", kv, h, &L->k_w) ||
        BIND("self_attn.v_proj.weight", kv, h, &L->v_w) || BIND("mlp.gate_proj.weight", c->ffn_dim, h, &L->gate_w) ||
        BIND("mlp.up_proj.weight", c->ffn_dim, h, &L->up_w))
        return -1;
    if (c->qkv_bias && (BIND("self_attn.q_proj.bias", q, 0, &L->q_b) || BIND("self_attn.k_proj.bias", kv, 0, &L->k_b) ||
                        BIND("self_attn.v_proj.bias", kv, 0, &L->v_b)))
        return -1;
#undef BIND
    return 0;
}

int decoder_checkpoint_open(decoder_checkpoint *ck, const char *dir, psamp_err *err) {
    memset(ck, 0, sizeof *ck);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return psamp_fail(err, "%s: checkpoint path too long", dir);
    if (hf_config_load(&ck->cfg, path, err) != 0) return -1;
    if (snprintf(path, sizeof path, "%s/generation_config.json", dir) >= (int)sizeof path)
        return psamp_fail(err, "%s: checkpoint path too long", dir);
    if (hf_generation_config_load(&ck->cfg, path, err) != 0) return -1;
    const decoder_config *c = &ck->cfg;
    psamp_st_set *set = calloc(1, sizeof *set);
    ck->layers = calloc((size_t)c->n_layers, sizeof *ck->layers);
    ck->files = set;
    if (!set || !ck->layers) {
        decoder_checkpoint_close(ck);
        return psamp_fail(err, "%s: out of memory", dir);
    }
    if (psamp_st_set_open(set, dir, err) != 0 ||
        bind(set, "model.embed_tokens.weight", c->vocab_size, c->hidden, &ck->embed_tokens, err) ||
        bind(set, "model.norm.weight", c->hidden, 0, &ck->final_norm, err))
        goto fail;
    for (int32_t i = 0; i < c->n_layers; i++)
        if (bind_layer(set, c, i, &ck->layers[i], err) != 0) goto fail;
    /* Tied: transformers uses embed_tokens even when the file also has an lm_head. */
    if (c->tie_word_embeddings)
        ck->lm_head = ck->embed_tokens;
    else if (bind(set, "lm_head.weight", c->vocab_size, c->hidden, &ck->lm_head, err) != 0)
        goto fail;
    return 0;
fail:
    decoder_checkpoint_close(ck);
    return -1;
}
