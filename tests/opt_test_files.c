#include "opt_test_files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "test_files.h"

int opt_test_list_tensors(const opt_checkpoint *ck, const psamp_tensor **out, int max) {
    int n = 0;
#define ADD(t)                                   \
    do {                                         \
        if ((t).data && n < max) out[n++] = &(t); \
    } while (0)
    ADD(ck->embed_tokens);
    ADD(ck->embed_positions);
    ADD(ck->project_in);
    ADD(ck->project_out);
    ADD(ck->final_ln_w);
    ADD(ck->final_ln_b);
    if (ck->lm_head.data != ck->embed_tokens.data) ADD(ck->lm_head);
    for (int32_t i = 0; i < ck->cfg.n_layers; i++) {
        const opt_layer *L = &ck->layers[i];
        const psamp_tensor *all[] = {&L->q_w, &L->q_b, &L->k_w, &L->k_b, &L->v_w,
                                     &L->v_b, &L->o_w, &L->o_b, &L->attn_ln_w, &L->attn_ln_b,
                                     &L->fc1_w, &L->fc1_b, &L->fc2_w, &L->fc2_b, &L->ffn_ln_w,
                                     &L->ffn_ln_b};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) ADD(*all[k]);
    }
#undef ADD
    return n;
}

int opt_test_write_config(const char *dir, const opt_config *c, const char *extra,
                          const char *omit) {
    char fields[20][96];
    int n = 0;
#define FIELD(key, fmt, val)                                                      \
    do {                                                                          \
        if (!omit || strcmp(omit, key) != 0)                                      \
            snprintf(fields[n++], sizeof fields[0], "\"%s\": " fmt, key, val);    \
    } while (0)
    FIELD("model_type", "%s", "\"opt\"");
    FIELD("vocab_size", "%d", c->vocab_size);
    FIELD("hidden_size", "%d", c->hidden);
    FIELD("ffn_dim", "%d", c->ffn_dim);
    FIELD("num_hidden_layers", "%d", c->n_layers);
    FIELD("num_attention_heads", "%d", c->n_heads);
    FIELD("max_position_embeddings", "%d", c->max_positions);
    FIELD("word_embed_proj_dim", "%d", c->word_embed_proj_dim);
    FIELD("do_layer_norm_before", "%s", c->pre_ln ? "true" : "false");
    FIELD("enable_bias", "%s", c->enable_bias ? "true" : "false");
    FIELD("layer_norm_elementwise_affine", "%s", c->ln_affine ? "true" : "false");
    FIELD("_remove_final_layer_norm", "%s", c->pre_ln && !c->has_final_ln ? "true" : "false");
    FIELD("tie_word_embeddings", "%s", c->tie_word_embeddings ? "true" : "false");
    FIELD("activation_function", "%s", "\"relu\"");
    FIELD("bos_token_id", "%d", c->bos_id);
    FIELD("eos_token_id", "%d", c->eos_id);
    FIELD("pad_token_id", "%d", c->pad_id);
#undef FIELD
    char text[4096], path[4096];
    int at = snprintf(text, sizeof text, "{%s%s", extra ? extra : "", extra && n ? ", " : "");
    for (int i = 0; i < n; i++)
        at += snprintf(text + at, sizeof text - (size_t)at, "%s\n  %s", i ? "," : "", fields[i]);
    snprintf(text + at, sizeof text - (size_t)at, "\n}\n");
    return test_write_text(test_path(path, dir, "config.json"), text);
}

/* Round to nearest even, as torch's .half() / .bfloat16() do (normal range only: the test
 * weights are small, never subnormal or huge). */
static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (f == 0.0f || exp <= 0) return (uint16_t)sign;
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

static uint16_t float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

/* Appends the header entry and the tensor's bytes in the requested dtype. */
static size_t append_tensor(char *header, size_t header_size, unsigned char *data, size_t at,
                            const psamp_tensor *t, const char *full, const char *dtype_name,
                            psamp_dtype dtype, int transpose) {
    int64_t numel = psamp_tensor_numel(t);
    size_t esize = dtype == PSAMP_F32 ? 4 : 2, nbytes = (size_t)numel * esize;
    size_t len = strlen(header);
    int64_t d0 = t->shape[0], d1 = t->shape[1];
    if (t->ndim == 2)
        snprintf(header + len, header_size - len,
                 "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld,%lld],\"data_offsets\":[%zu,%zu]}",
                 len > 1 ? "," : "", full, dtype_name, (long long)(transpose ? d1 : d0),
                 (long long)(transpose ? d0 : d1), at, at + nbytes);
    else
        snprintf(header + len, header_size - len,
                 "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld],\"data_offsets\":[%zu,%zu]}",
                 len > 1 ? "," : "", full, dtype_name, (long long)d0, at, at + nbytes);
    const float *src = t->data;
    for (int64_t i = 0; i < numel; i++) {
        uint16_t v;
        if (dtype == PSAMP_F32) {
            memcpy(data + at + 4 * (size_t)i, &src[i], 4);
            continue;
        }
        v = dtype == PSAMP_F16 ? float_to_half(src[i]) : float_to_bf16(src[i]);
        memcpy(data + at + 2 * (size_t)i, &v, 2);
    }
    return at + nbytes;
}

int opt_test_write_weights(const char *dir, const opt_checkpoint *ck,
                           const opt_test_write_options *o) {
    const psamp_tensor *list[4096];
    int n = opt_test_list_tensors(ck, list, 4096);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size_t)psamp_tensor_numel(list[i]) * 4;
    size_t header_size = (size_t)n * 200 + 64;
    char *header = calloc(header_size, 1);
    unsigned char *data = malloc(total + 1);
    if (!header || !data) {
        free(header);
        free(data);
        return -1;
    }
    strcpy(header, "{");
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const psamp_tensor *t = list[i];
        if (o->drop && strcmp(o->drop, t->name) == 0) continue;
        char full[160];
        snprintf(full, sizeof full, "%s%s", strncmp(t->name, "lm_head", 7) ? o->prefix : "", t->name);
        int bad = o->bad_dtype && strcmp(o->bad_dtype, t->name) == 0;
        /* An I32 tensor has F32's element size, so only the dtype is wrong. */
        at = append_tensor(header, header_size, data, at, t, full,
                           bad ? "I32" : psamp_dtype_name(o->dtype), bad ? PSAMP_F32 : o->dtype,
                           o->transpose && strcmp(o->transpose, t->name) == 0);
    }
    strcat(header, "}");
    char path[4096];
    int rc = test_write_safetensors(test_path(path, dir, "model.safetensors"), header, data, at);
    free(header);
    free(data);
    return rc;
}
