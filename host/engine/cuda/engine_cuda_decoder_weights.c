/* A checkpoint's weights onto the device in the decoder's dtype (engine_cuda_decoder.h): the
 * CPU engine's fp32 conversion (decoder_weights_cpu.c: q|k|v and gate|up fused, q pre-scaled)
 * narrowed to the dtype tensor by tensor. Holds the whole fp32 model on the host while it
 * runs: right for the fixtures and small models; a 7B checkpoint wants a streaming copy. */
#include <stdlib.h>

#include "decoder_weights_cpu.h"
#include "engine_cuda_decoder.h"
#include "tensor_narrow.h"

/* n fp32 values to dst on the device in dtype (through one host staging buffer). */
static int put(const float *src, size_t n, psamp_dtype dtype, void *dst, void *stage, psamp_err *err) {
    psamp_f32_to_dtype(src, n, dtype, stage);
    DEC_CUDA(cudaMemcpy(dst, stage, n * (dtype == PSAMP_F32 ? 4 : 2), cudaMemcpyHostToDevice));
    return 0;
}

static int put_f32(const float *src, size_t n, float *dst, psamp_err *err) {
    DEC_CUDA(cudaMemcpy(dst, src, n * sizeof(float), cudaMemcpyHostToDevice));
    return 0;
}

int cuda_decoder_upload(cuda_decoder *d, const decoder_checkpoint *ck, psamp_err *err) {
    const decoder_config *c = &d->cfg;
    if (ck->cfg.hidden != c->hidden || ck->cfg.n_layers != c->n_layers || ck->cfg.vocab_size != c->vocab_size ||
        ck->cfg.ffn_dim != c->ffn_dim || ck->cfg.n_heads != c->n_heads || ck->cfg.n_kv_heads != c->n_kv_heads)
        return psamp_fail(err, "cuda decoder: the checkpoint's shapes differ from the decoder's config");
    decoder_weights_f32 w;
    if (decoder_weights_f32_load(&w, ck, err) != 0) return -1;
    const size_t h = (size_t)c->hidden, ffn = (size_t)c->ffn_dim, vocab = (size_t)c->vocab_size;
    size_t biggest = vocab * h;
    if (2 * ffn * h > biggest) biggest = 2 * ffn * h;
    if ((size_t)d->qkv_dim * h > biggest) biggest = (size_t)d->qkv_dim * h;
    void *stage = malloc(biggest * 4);
    int rc = stage ? 0 : psamp_fail(err, "cuda decoder: out of host memory for the weight upload");
    for (int32_t l = 0; rc == 0 && l < c->n_layers; l++) {
        const decoder_layer_f32 *s = &w.layers[l];
        cuda_decoder_layer *L = &d->layers[l];
        rc = put(s->qkv_w, (size_t)d->qkv_dim * h, d->dtype, L->qkv_w, stage, err);
        if (rc == 0 && L->qkv_b) rc = put_f32(s->qkv_b, (size_t)d->qkv_dim, L->qkv_b, err);
        if (rc == 0) rc = put(s->o_w, h * (size_t)d->q_dim, d->dtype, L->o_w, stage, err);
        if (rc == 0) rc = put(s->gate_up_w, 2 * ffn * h, d->dtype, L->gate_up_w, stage, err);
        if (rc == 0) rc = put(s->down_w, h * ffn, d->dtype, L->down_w, stage, err);
        if (rc == 0) rc = put_f32(s->attn_norm, h, L->attn_norm, err);
        if (rc == 0) rc = put_f32(s->mlp_norm, h, L->mlp_norm, err);
    }
    if (rc == 0) rc = put(w.embed_tokens, vocab * h, d->dtype, d->embed, stage, err);
    if (rc == 0 && d->lm_head != d->embed) rc = put(w.lm_head, vocab * h, d->dtype, d->lm_head, stage, err);
    if (rc == 0) rc = put_f32(w.final_norm, h, d->final_norm, err);
    free(stage);
    decoder_weights_f32_free(&w);
    return rc;
}
