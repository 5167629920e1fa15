/* A checkpoint's weights onto the device in the decoder's dtype (engine_cuda_decoder.h): the
 * CPU engine's fp32 layout (decoder_weights_cpu.h: q|k|v and gate|up fused, q pre-scaled)
 * narrowed to the dtype. Streams: one layer's fp32 conversion at a time, and the embedding
 * and lm_head in row chunks, so the host holds about one layer (~1.2 GB for Qwen2.5-7B)
 * rather than the whole model in fp32 (~30 GB). */
#include <stdlib.h>

#include "decoder_weights_cpu.h"
#include "engine_cuda_decoder.h"
#include "tensor_narrow.h"

/* Rows of the embedding / lm_head converted per copy (the emulator tests build with a few
 * rows, so their small vocabularies cross chunk boundaries). */
#ifndef EMBED_CHUNK_ROWS
#define EMBED_CHUNK_ROWS 4096
#endif

typedef struct {
    psamp_dtype dtype; /* the device's */
    float *layer;      /* one layer in fp32 (decoder_layer_f32_floats) */
    float *rows;       /* EMBED_CHUNK_ROWS rows in fp32 */
    void *stage;       /* the biggest piece in the device dtype */
} upload_buffers;

static size_t dtype_bytes(psamp_dtype dtype) { return dtype == PSAMP_F32 ? 4 : 2; }

/* n fp32 values to dst on the device in the device dtype. */
static int put(const upload_buffers *b, const float *src, size_t n, void *dst, psamp_err *err) {
    psamp_f32_to_dtype(src, n, b->dtype, b->stage);
    DEC_CUDA(cudaMemcpy(dst, b->stage, n * dtype_bytes(b->dtype), cudaMemcpyHostToDevice));
    return 0;
}

static int put_f32(const float *src, size_t n, float *dst, psamp_err *err) {
    DEC_CUDA(cudaMemcpy(dst, src, n * sizeof(float), cudaMemcpyHostToDevice));
    return 0;
}

/* A [rows, h] checkpoint tensor to dst in the device dtype, EMBED_CHUNK_ROWS rows at a time
 * (the view of a row range is the same tensor with its data pointer moved). */
static int put_rows(const upload_buffers *b, const psamp_tensor *t, size_t rows, size_t h, void *dst, psamp_err *err) {
    const size_t in_bytes = dtype_bytes(t->dtype), out_bytes = dtype_bytes(b->dtype);
    for (size_t r = 0; r < rows; r += EMBED_CHUNK_ROWS) {
        size_t n = rows - r < EMBED_CHUNK_ROWS ? rows - r : EMBED_CHUNK_ROWS;
        psamp_tensor view = *t;
        view.data = (const unsigned char *)t->data + r * h * in_bytes;
        view.ndim = 2;
        view.shape[0] = (int64_t)n;
        view.shape[1] = (int64_t)h;
        psamp_tensor_to_f32(&view, b->rows);
        if (put(b, b->rows, n * h, (unsigned char *)dst + r * h * out_bytes, err) != 0) return -1;
    }
    return 0;
}

static int put_layer(const upload_buffers *b, const cuda_decoder *d, const decoder_layer_f32 *s, cuda_decoder_layer *L,
                     psamp_err *err) {
    const size_t h = (size_t)d->cfg.hidden, ffn = (size_t)d->cfg.ffn_dim;
    if (put(b, s->qkv_w, (size_t)d->qkv_dim * h, L->qkv_w, err) != 0) return -1;
    if (L->qkv_b && put_f32(s->qkv_b, (size_t)d->qkv_dim, L->qkv_b, err) != 0) return -1;
    if (put(b, s->o_w, h * (size_t)d->q_dim, L->o_w, err) != 0) return -1;
    if (put(b, s->gate_up_w, 2 * ffn * h, L->gate_up_w, err) != 0) return -1;
    if (put(b, s->down_w, h * ffn, L->down_w, err) != 0) return -1;
    if (put_f32(s->attn_norm, h, L->attn_norm, err) != 0) return -1;
    return put_f32(s->mlp_norm, h, L->mlp_norm, err);
}

static int put_all(const upload_buffers *b, cuda_decoder *d, const decoder_checkpoint *ck, psamp_err *err) {
    const decoder_config *c = &d->cfg;
    const size_t h = (size_t)c->hidden, vocab = (size_t)c->vocab_size;
    for (int32_t l = 0; l < c->n_layers; l++) {
        decoder_layer_f32 s;
        decoder_layer_f32_convert(c, &ck->layers[l], b->layer, &s);
        if (put_layer(b, d, &s, &d->layers[l], err) != 0) return -1;
    }
    if (put_rows(b, &ck->embed_tokens, vocab, h, d->embed, err) != 0) return -1;
    if (d->lm_head != d->embed && put_rows(b, &ck->lm_head, vocab, h, d->lm_head, err) != 0) return -1;
    psamp_tensor_to_f32(&ck->final_norm, b->rows); /* h floats: fits the row buffer */
    return put_f32(b->rows, h, d->final_norm, err);
}

int cuda_decoder_upload(cuda_decoder *d, const decoder_checkpoint *ck, psamp_err *err) {
    const decoder_config *c = &d->cfg;
    if (ck->cfg.hidden != c->hidden || ck->cfg.n_layers != c->n_layers || ck->cfg.vocab_size != c->vocab_size ||
        ck->cfg.ffn_dim != c->ffn_dim || ck->cfg.n_heads != c->n_heads || ck->cfg.n_kv_heads != c->n_kv_heads)
        return psamp_fail(err, "cuda decoder: the checkpoint's shapes differ from the decoder's config");
    const size_t h = (size_t)c->hidden, ffn = (size_t)c->ffn_dim;
    size_t biggest = EMBED_CHUNK_ROWS * h;
    if (2 * ffn * h > biggest) biggest = 2 * ffn * h;
    if ((size_t)d->qkv_dim * h > biggest) biggest = (size_t)d->qkv_dim * h;
    if (h * (size_t)d->q_dim > biggest) biggest = h * (size_t)d->q_dim;
    upload_buffers b = {d->dtype, malloc(decoder_layer_f32_floats(c) * sizeof(float)),
                        malloc(EMBED_CHUNK_ROWS * h * sizeof(float)), malloc(biggest * dtype_bytes(d->dtype))};
    int rc = b.layer && b.rows && b.stage ? put_all(&b, d, ck, err)
                                          : psamp_fail(err, "cuda decoder: out of host memory for the weight upload");
    free(b.layer);
    free(b.rows);
    free(b.stage);
    return rc;
}
