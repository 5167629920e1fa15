/* The CUDA engine's weights: the CPU loader's fp32 layout (q, k, v fused into one matrix,
 * q pre-scaled by head_dim^-0.5), narrowed to the engine dtype for the matrices; biases and
 * layer-norm parameters stay fp32 (small, and read by fp32 kernels), fc1's bias also in the
 * dtype (cuBLASLt's bias epilogue takes the output's type) and rounded to it in fp32. */
#include <stdlib.h>

#include "engine_cuda_alloc.h"
#include "engine_cuda_weights.h"
#include "opt_weights_cpu.h"
#include "tensor_narrow.h"

size_t cuda_weights_bytes(const opt_config *c, size_t elem) {
    const size_t h = (size_t)c->hidden, f = (size_t)c->ffn_dim, p = (size_t)c->word_embed_proj_dim;
    const size_t v = (size_t)c->vocab_size;
    size_t matrices = v * p + ((size_t)c->max_positions + 2) * h;
    if (p != h) matrices += 2 * h * p;
    if (!c->tie_word_embeddings) matrices += v * p;
    matrices += (size_t)c->n_layers * (4 * h * h + 2 * h * f);
    const size_t vectors = (size_t)c->n_layers * (3 * h + h + f + h + 4 * h) + 2 * h;
    /* fc1's bias once more in the dtype and once rounded to it in fp32, for the cuBLASLt
     * epilogue (PSAMP_FFN=epilogue, the default) */
    matrices += (size_t)c->n_layers * f;
    return matrices * elem + (vectors + (size_t)c->n_layers * f) * sizeof(float);
}

/* Stages src (n fp32 values, or NULL: absent) through `staging` into a new device matrix. */
static int upload_matrix(cuda_engine *e, void **dst, const float *src, size_t n, void *staging,
                         const char *what, psamp_err *err) {
    *dst = NULL;
    if (!src) return 0;
    if (cuda_engine_alloc(e, dst, n * e->elem, what, err)) return -1;
    psamp_f32_to_dtype(src, n, e->dtype, staging);
    CUDA_TRY(err, cudaMemcpy(*dst, staging, n * e->elem, cudaMemcpyHostToDevice));
    e->w.bytes += n * e->elem;
    return 0;
}

static int upload_vector(cuda_engine *e, float **dst, const float *src, size_t n,
                         const char *what, psamp_err *err) {
    *dst = NULL;
    if (!src) return 0;
    if (cuda_engine_alloc(e, (void **)dst, n * sizeof(float), what, err)) return -1;
    CUDA_TRY(err, cudaMemcpy(*dst, src, n * sizeof(float), cudaMemcpyHostToDevice));
    e->w.bytes += n * sizeof(float);
    return 0;
}

/* fc1's bias rounded to the dtype, in fp32: the separate bias + ReLU path of the cuBLASLt
 * epilogue variant adds exactly the bias the epilogue adds, so that its rows (the GEMV's
 * few, or shapes cuBLASLt has no algorithm for) agree with the epilogue's. */
static int upload_rounded(cuda_engine *e, float **dst, const float *src, size_t n,
                          void *staging, psamp_err *err) {
    *dst = NULL;
    if (!src) return 0;
    float *rounded = malloc(n * sizeof *rounded);
    if (!rounded) return psamp_fail(err, "cuda engine: out of host memory");
    psamp_f32_to_dtype(src, n, e->dtype, staging);
    const psamp_tensor view = {staging, e->dtype, 1, {(int64_t)n, 0}, "fc1 bias"};
    psamp_tensor_to_f32(&view, rounded);
    const int rc = upload_vector(e, dst, rounded, n, "fc1 bias rounded to the dtype", err);
    free(rounded);
    return rc;
}

static int upload_layer(cuda_engine *e, cuda_layer *d, const opt_layer_f32 *s, void *staging,
                        psamp_err *err) {
    const opt_config *c = &e->cfg;
    const size_t h = (size_t)c->hidden, f = (size_t)c->ffn_dim;
    if (upload_matrix(e, &d->qkv_w, s->qkv_w, 3 * h * h, staging, "qkv_proj", err) ||
        upload_vector(e, &d->qkv_b, s->qkv_b, 3 * h, "qkv bias", err) ||
        upload_matrix(e, &d->o_w, s->o_w, h * h, staging, "out_proj", err) ||
        upload_vector(e, &d->o_b, s->o_b, h, "out_proj bias", err) ||
        upload_matrix(e, &d->fc1_w, s->fc1_w, f * h, staging, "fc1", err) ||
        upload_vector(e, &d->fc1_b, s->fc1_b, f, "fc1 bias", err) ||
        upload_matrix(e, &d->fc1_b_t, s->fc1_b, f, staging, "fc1 bias in the dtype", err) ||
        upload_rounded(e, &d->fc1_b_r, s->fc1_b, f, staging, err) ||
        upload_matrix(e, &d->fc2_w, s->fc2_w, h * f, staging, "fc2", err) ||
        upload_vector(e, &d->fc2_b, s->fc2_b, h, "fc2 bias", err) ||
        upload_vector(e, &d->attn_ln_w, s->attn_ln_w, h, "self_attn_layer_norm", err) ||
        upload_vector(e, &d->attn_ln_b, s->attn_ln_b, h, "self_attn_layer_norm bias", err) ||
        upload_vector(e, &d->ffn_ln_w, s->ffn_ln_w, h, "final_layer_norm", err) ||
        upload_vector(e, &d->ffn_ln_b, s->ffn_ln_b, h, "final_layer_norm bias", err))
        return -1;
    return 0;
}

static int upload_all(cuda_engine *e, const opt_weights_f32 *w, void *staging, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const size_t h = (size_t)c->hidden, p = (size_t)c->word_embed_proj_dim;
    const size_t v = (size_t)c->vocab_size;
    cuda_weights *d = &e->w;
    if (upload_matrix(e, &d->embed_tokens, w->embed_tokens, v * p, staging, "embed_tokens", err) ||
        upload_matrix(e, &d->embed_positions, w->embed_positions,
                      ((size_t)c->max_positions + 2) * h, staging, "embed_positions", err) ||
        upload_matrix(e, &d->project_in, w->project_in, h * p, staging, "project_in", err) ||
        upload_matrix(e, &d->project_out, w->project_out, p * h, staging, "project_out", err) ||
        upload_vector(e, &d->final_ln_w, w->final_ln_w, h, "final_layer_norm", err) ||
        upload_vector(e, &d->final_ln_b, w->final_ln_b, h, "final_layer_norm bias", err))
        return -1;
    if (w->lm_head == w->embed_tokens)
        d->lm_head = d->embed_tokens;
    else if (upload_matrix(e, &d->lm_head, w->lm_head, v * p, staging, "lm_head", err))
        return -1;
    for (int32_t l = 0; l < c->n_layers; l++)
        if (upload_layer(e, &d->layers[l], &w->layers[l], staging, err))
            return psamp_fail_context(err, "layer %d", l);
    return 0;
}

int cuda_weights_upload(cuda_engine *e, const opt_checkpoint *ck, psamp_err *err) {
    const opt_config *c = &e->cfg;
    e->w.layers = calloc((size_t)(c->n_layers > 0 ? c->n_layers : 1), sizeof *e->w.layers);
    if (!e->w.layers) return psamp_fail(err, "cuda engine: out of host memory");
    opt_weights_f32 w;
    if (opt_weights_f32_load(&w, ck, err)) return psamp_fail_context(err, "cuda engine");
    const size_t h = (size_t)c->hidden, f = (size_t)c->ffn_dim, p = (size_t)c->word_embed_proj_dim;
    size_t largest = (size_t)c->vocab_size * p;
    const size_t others[] = {((size_t)c->max_positions + 2) * h, 3 * h * h, f * h, h * p};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (others[i] > largest) largest = others[i];
    void *staging = malloc(largest * e->elem);
    int rc = staging ? upload_all(e, &w, staging, err)
                     : psamp_fail(err, "cuda engine: out of host memory staging %zu weights", largest);
    free(staging);
    opt_weights_f32_free(&w);
    return rc;
}
