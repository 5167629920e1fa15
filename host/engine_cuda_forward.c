/* One OPT forward pass on the GPU over a batch of rows (host/engine.h's tokens, each of its
 * own slot at its own position), enqueued on the engine's stream without synchronising, so
 * that a step can be captured into a CUDA graph. The only caller of kernels/.
 *
 * Buffers (engine_cuda_internal.h): x is the fp32 residual stream; h holds every GEMM's
 * input in the weight dtype (layer-norm output, attention output, ReLU output); y holds
 * every GEMM's fp32 output. Linear weights are [out, in] row-major: y = h W^T. Each
 * sublayer's bias + residual add runs inside the layer norm that follows it. */
#include <math.h>

#include "engine_cuda_internal.h"

#define LAYER_NORM_EPS 1e-5f

#define K_TRY(err, launch) CUDA_TRY(err, launch)

static cudaDataType_t cuda_type(psamp_dtype d) {
    return d == PSAMP_F16 ? CUDA_R_16F : d == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

/* y[m, n] (fp32) = x[m, k] W[n, k]^T with x and W in the engine dtype, fp32 accumulation.
 * A few rows go through psamp's GEMV (variant gemv: each weight read once, no cuBLAS
 * launch overhead); otherwise cuBLAS, which is column-major: it computes y^T = W x^T,
 * reading W as a k x n matrix transposed. */
static int gemm(cuda_engine *e, const void *x, const void *w, float *y, int32_t m, int32_t n,
                int32_t k, psamp_err *err) {
    if (e->variants.gemm == PSAMP_CUDA_GEMM_GEMV && m <= PSAMP_GEMV_MAX_ROWS) {
        K_TRY(err, psamp_k_gemv(x, w, y, m, n, k, e->dtype, e->stream));
        return 0;
    }
    const float one = 1.0f, zero = 0.0f;
    const cudaDataType_t t = cuda_type(e->dtype);
    CUBLAS_TRY(err, cublasGemmEx(e->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, t, k, x, t, k,
                                 &zero, y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

/* x = token + position embedding (through project_in when the model has it); post-LN
 * models also need x in the dtype as the first layer's GEMM input. */
static int embed(cuda_engine *e, int32_t n, psamp_err *err) {
    const opt_config *c = &e->cfg;
    cuda_buffers *d = &e->d;
    void *x_t = c->pre_ln ? NULL : d->h;
    if (e->w.project_in) {
        K_TRY(err, psamp_k_embed_gather(d->h, d->rows, n, e->w.embed_tokens, c->word_embed_proj_dim,
                                        e->dtype, e->stream));
        if (gemm(e, d->h, e->w.project_in, d->y, n, c->hidden, c->word_embed_proj_dim, err))
            return -1;
        K_TRY(err, psamp_k_embed(d->x, x_t, d->rows, n, NULL, d->y, e->w.embed_positions,
                                 c->hidden, e->dtype, e->stream));
    } else {
        K_TRY(err, psamp_k_embed(d->x, x_t, d->rows, n, e->w.embed_tokens, NULL,
                                 e->w.embed_positions, c->hidden, e->dtype, e->stream));
    }
    return 0;
}

/* A sublayer's output waiting in y to be added to x (with its bias): pre-LN models fold
 * that residual add into the next layer norm, post-LN ones into their own. */
typedef struct {
    int waiting;
    const float *bias;
} residual;

/* Layer norm of x into h (and x itself when post-LN), adding a waiting residual first. */
static int norm(cuda_engine *e, int32_t n, residual *res, const float *gamma, const float *beta,
                float *out_f32, psamp_err *err) {
    cuda_buffers *d = &e->d;
    K_TRY(err, psamp_k_layernorm(d->x, res->waiting ? d->y : NULL, res->bias, gamma, beta, out_f32,
                                 d->h, n, e->cfg.hidden, LAYER_NORM_EPS, e->dtype, e->stream));
    res->waiting = 0;
    return 0;
}

/* Self-attention block: x += out_proj(attention(qkv_proj(norm(x)))), the row's K and V
 * appended to its slot's cache first; post-LN normalises after the residual instead. On
 * return h holds the FFN's input (the norm of x). */
static int attention_block(cuda_engine *e, int32_t l, int32_t n, residual *res, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const cuda_layer *w = &e->w.layers[l];
    cuda_buffers *d = &e->d;
    const int32_t h = c->hidden;
    void *k_layer = (char *)e->k_cache + (size_t)l * e->kv_layer_bytes;
    void *v_layer = (char *)e->v_cache + (size_t)l * e->kv_layer_bytes;
    if (c->pre_ln && norm(e, n, res, w->attn_ln_w, w->attn_ln_b, NULL, err)) return -1;
    if (gemm(e, d->h, w->qkv_w, d->y, n, 3 * h, h, err)) return -1;
    /* q's scaling is folded into the weights (engine_cuda_weights.c). */
    K_TRY(err, psamp_k_kv_append(d->y, w->qkv_b, d->q, k_layer, v_layer, d->rows, n, h,
                                 e->slots.max_len, 1.0f, e->dtype, e->stream));
    if (e->variants.attention == PSAMP_CUDA_ATTN_WARP)
        K_TRY(err, psamp_k_attention_warp(d->q, k_layer, v_layer, d->h, d->partial, d->rows, n,
                                          c->n_heads, e->head_dim, e->slots.max_len, 0, e->dtype,
                                          e->stream));
    else
        K_TRY(err, psamp_k_attention(d->q, k_layer, v_layer, d->h, d->partial, d->rows, n,
                                     c->n_heads, e->head_dim, e->slots.max_len, e->dtype,
                                     e->stream));
    if (gemm(e, d->h, w->o_w, d->y, n, h, h, err)) return -1;
    *res = (residual){1, w->o_b};
    if (c->pre_ln) return norm(e, n, res, w->ffn_ln_w, w->ffn_ln_b, NULL, err);
    return norm(e, n, res, w->attn_ln_w, w->attn_ln_b, d->x, err);
}

/* Feed-forward block: x += fc2(relu(fc1(h))); pre-LN leaves the residual add waiting for
 * the next norm, post-LN normalises (h = x = norm(x + ...)). */
static int ffn_block(cuda_engine *e, int32_t l, int32_t n, residual *res, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const cuda_layer *w = &e->w.layers[l];
    cuda_buffers *d = &e->d;
    const int32_t h = c->hidden, f = c->ffn_dim;
    if (gemm(e, d->h, w->fc1_w, d->y, n, f, h, err)) return -1;
    K_TRY(err, psamp_k_bias_act(d->y, w->fc1_b, d->h, n, f, 1, e->dtype, e->stream));
    if (gemm(e, d->h, w->fc2_w, d->y, n, h, f, err)) return -1;
    *res = (residual){1, w->fc2_b};
    if (c->pre_ln) return 0;
    /* post-LN: the FFN's own norm, in place; h is the next layer's input */
    return norm(e, n, res, w->ffn_ln_w, w->ffn_ln_b, d->x, err);
}

/* Final norm, project_out, lm_head, then sampling. For post-LN models h already holds the
 * last layer norm's output. */
static int head(cuda_engine *e, int32_t n, residual *res, psamp_err *err) {
    const opt_config *c = &e->cfg;
    cuda_buffers *d = &e->d;
    const int32_t h = c->hidden, p = c->word_embed_proj_dim;
    if (c->has_final_ln) {
        if (norm(e, n, res, e->w.final_ln_w, e->w.final_ln_b, NULL, err)) return -1;
    } else if (c->pre_ln) { /* no final norm: h is x (after the last residual) in the dtype */
        if (res->waiting)
            K_TRY(err, psamp_k_bias_residual(d->x, d->y, res->bias, n, h, e->stream));
        res->waiting = 0;
        K_TRY(err, psamp_k_bias_act(d->x, NULL, d->h, n, h, 0, e->dtype, e->stream));
    }
    if (e->w.project_out) {
        if (gemm(e, d->h, e->w.project_out, d->y, n, p, h, err)) return -1;
        K_TRY(err, psamp_k_bias_act(d->y, NULL, d->h, n, p, 0, e->dtype, e->stream));
    }
    if (gemm(e, d->h, e->w.lm_head, d->logits, n, c->vocab_size, p, err)) return -1;
    K_TRY(err, psamp_k_sample(d->logits, c->vocab_size, c->vocab_size, d->rows, n, d->results,
                              e->stream));
    return 0;
}

int cuda_forward(cuda_engine *e, int32_t n, int want_logits, psamp_err *err) {
    if (n <= 0) return 0;
    if (embed(e, n, err)) return -1;
    residual res = {0, NULL};
    for (int32_t l = 0; l < e->cfg.n_layers; l++)
        if (attention_block(e, l, n, &res, err) || ffn_block(e, l, n, &res, err))
            return psamp_fail_context(err, "layer %d", l);
    /* Without logits the last residual add is not needed: the KV is all written. */
    return want_logits ? head(e, n, &res, err) : 0;
}

int cuda_forward_forks(cuda_engine *e, int32_t n, int32_t max_pos, psamp_err *err) {
    K_TRY(err, psamp_k_kv_fork(e->k_cache, e->v_cache, e->d.forks, n, max_pos, e->cfg.n_layers,
                               e->slots.n_slots, e->slots.max_len, e->cfg.hidden, e->dtype,
                               e->stream));
    return 0;
}
