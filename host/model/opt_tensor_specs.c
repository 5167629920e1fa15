/* Which tensors an OPT config calls for, under Hugging Face's names (modeling_opt.py). */
#include "opt_tensor_specs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    opt_tensor_spec *specs;
    int32_t n;
} spec_list;

static void add(spec_list *l, psamp_tensor *dst, const char *name, int64_t rows, int64_t cols,
                float init) {
    opt_tensor_spec *s = &l->specs[l->n++];
    s->dst = dst;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->ndim = cols > 0 ? 2 : 1;
    s->shape[0] = rows;
    s->shape[1] = cols > 0 ? cols : 0;
    s->init = init;
}

/* A layer norm's weight and bias, present only with elementwise affine. */
static void add_ln(spec_list *l, const opt_config *c, psamp_tensor *w, psamp_tensor *b,
                   const char *prefix) {
    char name[SPEC_NAME_MAX + 8];
    if (!c->ln_affine) return;
    snprintf(name, sizeof name, "%s.weight", prefix);
    add(l, w, name, c->hidden, 0, 1.0f);
    snprintf(name, sizeof name, "%s.bias", prefix);
    add(l, b, name, c->hidden, 0, 0.0f);
}

/* A linear layer [out, in] with its bias when the config enables biases. */
static void add_linear(spec_list *l, const opt_config *c, psamp_tensor *w, psamp_tensor *b,
                       const char *prefix, int64_t out, int64_t in) {
    char name[SPEC_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s.weight", prefix);
    add(l, w, name, out, in, NAN);
    if (!c->enable_bias) return;
    snprintf(name, sizeof name, "%s.bias", prefix);
    add(l, b, name, out, 0, NAN);
}

/* "decoder.layers.<i>.<what>" in buf (SPEC_NAME_MAX bytes; the longest name fits). */
static const char *layer_name(char *buf, int32_t i, const char *what) {
    snprintf(buf, SPEC_NAME_MAX, "decoder.layers.%d.%s", (int)i, what);
    return buf;
}

int opt_tensor_specs_build(opt_checkpoint *ck, opt_tensor_spec **specs, int32_t *n,
                           psamp_err *err) {
    const opt_config *c = &ck->cfg;
    const int32_t per_layer = 16, fixed = 8;
    ck->layers = calloc((size_t)c->n_layers, sizeof *ck->layers);
    spec_list l = {calloc((size_t)c->n_layers * per_layer + fixed, sizeof(opt_tensor_spec)), 0};
    if (!ck->layers || !l.specs) {
        free(l.specs);
        free(ck->layers);
        ck->layers = NULL;
        return psamp_fail(err, "out of memory for %d layers", c->n_layers);
    }
    const int64_t h = c->hidden, proj = c->word_embed_proj_dim;
    add(&l, &ck->embed_tokens, "decoder.embed_tokens.weight", c->vocab_size, proj, NAN);
    add(&l, &ck->embed_positions, "decoder.embed_positions.weight", c->max_positions + 2, h, NAN);
    if (proj != h) {
        add(&l, &ck->project_in, "decoder.project_in.weight", h, proj, NAN);
        add(&l, &ck->project_out, "decoder.project_out.weight", proj, h, NAN);
    }
    for (int32_t i = 0; i < c->n_layers; i++) {
        opt_layer *L = &ck->layers[i];
        char q[SPEC_NAME_MAX];
        add_linear(&l, c, &L->q_w, &L->q_b, layer_name(q, i, "self_attn.q_proj"), h, h);
        add_linear(&l, c, &L->k_w, &L->k_b, layer_name(q, i, "self_attn.k_proj"), h, h);
        add_linear(&l, c, &L->v_w, &L->v_b, layer_name(q, i, "self_attn.v_proj"), h, h);
        add_linear(&l, c, &L->o_w, &L->o_b, layer_name(q, i, "self_attn.out_proj"), h, h);
        add_ln(&l, c, &L->attn_ln_w, &L->attn_ln_b, layer_name(q, i, "self_attn_layer_norm"));
        add_linear(&l, c, &L->fc1_w, &L->fc1_b, layer_name(q, i, "fc1"), c->ffn_dim, h);
        add_linear(&l, c, &L->fc2_w, &L->fc2_b, layer_name(q, i, "fc2"), h, c->ffn_dim);
        add_ln(&l, c, &L->ffn_ln_w, &L->ffn_ln_b, layer_name(q, i, "final_layer_norm"));
    }
    if (c->has_final_ln) add_ln(&l, c, &ck->final_ln_w, &ck->final_ln_b, "decoder.final_layer_norm");
    /* lm_head sits outside the decoder ("lm_head.weight", never "model."-prefixed). */
    if (!c->tie_word_embeddings) add(&l, &ck->lm_head, "lm_head.weight", c->vocab_size, proj, NAN);
    *specs = l.specs;
    *n = l.n;
    return 0;
}
