/* One OPT forward pass on the GPU over a batch of rows (host/engine/engine.h's tokens, each of its
 * own slot at its own position), enqueued without synchronising, so that a step can be
 * captured into a CUDA graph. With engine_cuda_gemm.c, OPT's only caller of kernels/ (the
 * decoders' forward is engine_cuda_decoder_forward.c).
 *
 * Buffers (engine_cuda_state.h), per batch from its first row: x is the fp32 residual
 * stream; h holds every GEMM's input in the weight dtype (layer-norm output, attention
 * output, ReLU output); y holds every GEMM's fp32 output (and the fused QKV projection that
 * attention reads); ffn_t holds fc1's dtype output on the cuBLASLt epilogue path. Each
 * sublayer's bias + residual add runs inside the layer norm that follows it; with
 * PSAMP_GEMM=fused, batches of a few rows of pre-LN models run kernels/gemv.cu's fusions
 * instead (fused_gemv below).
 * A batch's pieces (embed, each layer's pre-attention, attention and post-attention parts,
 * the head) are public to engine_cuda_overlap.c, which interleaves two half batches. */
#include <math.h>

#include "engine_cuda_forward.h"
#include "engine_cuda_gemm.h"

#define LAYER_NORM_EPS 1e-5f

#define K_TRY(err, launch) CUDA_TRY(err, launch)

cuda_batch cuda_batch_of(cuda_engine *e, int32_t r0, int32_t n, const cuda_lane *lane,
                         int decode) {
    const opt_config *c = &e->cfg;
    const size_t r = (size_t)r0, h = (size_t)c->hidden;
    cuda_batch b = {n, e->d, lane, decode, {0, NULL}};
    b.d.rows += r;
    b.d.results += r;
    b.d.x += r * h;
    b.d.h = (char *)e->d.h + r * e->wide_h * e->elem;
    b.d.y += r * e->wide_y;
    b.d.q += r * h;
    b.d.logits += r * (size_t)c->vocab_size;
    b.d.partial += psamp_attention_partial_floats(r0, c->n_heads, e->head_dim, e->slots.max_len);
    b.d.ffn_t = (char *)e->d.ffn_t + r * (size_t)c->ffn_dim * e->elem;
    return b;
}

/* The K/V append runs inside the warp attention kernel (a step only: rows of distinct slots). */
/* The fp8 cache runs the warp kernels whatever the attention variant says. */
static int kv_fused(const cuda_engine *e, const cuda_batch *b) {
    return b->decode && e->variants.kv == PSAMP_CUDA_KV_FUSED &&
           (e->kv_fp8 || e->variants.attention == PSAMP_CUDA_ATTN_WARP);
}

static int gemm(cuda_engine *e, const cuda_batch *b, const void *x, const void *w, float *y,
                int32_t n, int32_t k, psamp_err *err) {
    return cuda_gemm(e, b->lane, x, w, y, b->n, n, k, err);
}

/* x = token + position embedding (through project_in when the model has it); post-LN
 * models also need x in the dtype as the first layer's GEMM input. */
int cuda_forward_embed(cuda_engine *e, cuda_batch *b, psamp_err *err) {
    const opt_config *c = &e->cfg;
    cuda_buffers *d = &b->d;
    const cudaStream_t s = b->lane->stream;
    void *x_t = c->pre_ln ? NULL : d->h;
    if (e->w.project_in) {
        K_TRY(err, psamp_k_embed_gather(d->h, d->rows, b->n, e->w.embed_tokens,
                                        c->word_embed_proj_dim, e->dtype, s));
        if (gemm(e, b, d->h, e->w.project_in, d->y, c->hidden, c->word_embed_proj_dim, err))
            return -1;
        K_TRY(err, psamp_k_embed(d->x, x_t, d->rows, b->n, NULL, d->y, e->w.embed_positions,
                                 c->hidden, e->dtype, s));
    } else {
        K_TRY(err, psamp_k_embed(d->x, x_t, d->rows, b->n, e->w.embed_tokens, NULL,
                                 e->w.embed_positions, c->hidden, e->dtype, s));
    }
    b->res = (cuda_residual){0, NULL};
    return 0;
}

/* PSAMP_GEMM=fused at a few rows of a pre-LN model with affine norms: each layer norm runs
 * inside the GEMV it feeds (QKV, fc1), fc1's bias + ReLU in its store, and out_proj's and
 * fc2's bias + residual add in theirs, so no residual is ever left waiting: a layer is 5
 * dependent kernels instead of 8 (benchmarks/cuda_notes.md, the batch-1 step). The final
 * norm stays its own kernel: recomputed by each of the lm_head's ~3,000 blocks it would
 * cost more than the launch it saves. */
static int fused(const cuda_engine *e, const cuda_batch *b) {
    return e->variants.gemm == PSAMP_CUDA_GEMM_FUSED && cuda_gemv_takes(e, b->n) &&
           e->cfg.pre_ln && e->w.layers[0].attn_ln_w != NULL;
}

/* out = epilogue(prologue(x) W^T) through kernels/gemv.cu (n outputs from k inputs). */
static int fused_gemv(cuda_engine *e, const cuda_batch *b, const void *x, const void *w,
                      void *out, int32_t n, int32_t k, psamp_k_gemv_fusion f, psamp_err *err) {
    K_TRY(err, psamp_k_gemv_fused(x, w, out, b->n, n, k, &f, e->dtype, b->lane->stream));
    return 0;
}

/* Layer norm of x into h (and x itself when post-LN), adding a waiting residual first. */
static int norm(cuda_engine *e, cuda_batch *b, const float *gamma, const float *beta,
                float *out_f32, psamp_err *err) {
    cuda_buffers *d = &b->d;
    const float *y = b->res.waiting ? d->y : NULL;
    if (e->variants.norm == PSAMP_CUDA_NORM_ROWS)
        K_TRY(err, psamp_k_layernorm_rows(d->x, y, b->res.bias, gamma, beta, out_f32, d->h, b->n,
                                          e->cfg.hidden, LAYER_NORM_EPS, e->dtype,
                                          b->lane->stream));
    else
        K_TRY(err, psamp_k_layernorm(d->x, y, b->res.bias, gamma, beta, out_f32, d->h, b->n,
                                     e->cfg.hidden, LAYER_NORM_EPS, e->dtype, b->lane->stream));
    b->res.waiting = 0;
    return 0;
}

static void *layer_cache(const cuda_engine *e, void *cache, int32_t l) {
    return (char *)cache + (size_t)l * e->kv_layer_bytes;
}

/* Layer l of the fp8 cache: its bytes and scales. */
static psamp_k_kv_fp8 layer_fp8(const cuda_engine *e, int32_t l) {
    const size_t s = (size_t)l * e->kv_scale_layer_floats;
    const psamp_k_kv_fp8 kv = {layer_cache(e, e->k_cache, l), layer_cache(e, e->v_cache, l),
                               e->k_scale + s, e->v_scale + s};
    return kv;
}

/* Self-attention's input: norm (pre-LN), the fused QKV projection into y, and the row's K
 * and V appended to its slot's cache (unless attention appends them). */
int cuda_forward_pre_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const cuda_layer *w = &e->w.layers[l];
    cuda_buffers *d = &b->d;
    const int32_t h = c->hidden;
    if (fused(e, b)) {
        const psamp_k_gemv_fusion f = {w->attn_ln_w, w->attn_ln_b, LAYER_NORM_EPS, NULL,
                                       PSAMP_GEMV_STORE};
        if (fused_gemv(e, b, d->x, w->qkv_w, d->y, 3 * h, h, f, err)) return -1;
    } else {
        if (c->pre_ln && norm(e, b, w->attn_ln_w, w->attn_ln_b, NULL, err)) return -1;
        if (gemm(e, b, d->h, w->qkv_w, d->y, 3 * h, h, err)) return -1;
    }
    if (kv_fused(e, b)) return 0;
    /* q's scaling is folded into the weights (engine_cuda_weights.c). */
    if (e->kv_fp8) {
        K_TRY(err, psamp_k_kv_append_fp8(d->y, w->qkv_b, d->q, layer_fp8(e, l), d->rows, b->n,
                                         c->n_heads, e->head_dim, e->slots.max_len, 1.0f,
                                         b->lane->stream));
        return 0;
    }
    K_TRY(err, psamp_k_kv_append(d->y, w->qkv_b, d->q, layer_cache(e, e->k_cache, l),
                                 layer_cache(e, e->v_cache, l), d->rows, b->n, h,
                                 e->slots.max_len, 1.0f, e->dtype, b->lane->stream));
    return 0;
}

/* Attention of the batch's rows over their slots' caches into h, on `stream`. */
int cuda_forward_attention(cuda_engine *e, cuda_batch *b, int32_t l, cudaStream_t stream,
                           psamp_err *err) {
    const opt_config *c = &e->cfg;
    cuda_buffers *d = &b->d;
    void *k = layer_cache(e, e->k_cache, l), *v = layer_cache(e, e->v_cache, l);
    const int32_t max_len = e->slots.max_len;
    if (e->kv_fp8 && kv_fused(e, b))
        K_TRY(err, psamp_k_attention_warp_append_fp8(d->y, e->w.layers[l].qkv_b, layer_fp8(e, l),
                                                     d->h, d->rows, b->n, c->n_heads, e->head_dim,
                                                     max_len, 0, e->dtype, stream));
    else if (e->kv_fp8) /* fp8 has only the warp kernels */
        K_TRY(err, psamp_k_attention_warp_fp8(d->q, layer_fp8(e, l), d->h, d->rows, b->n,
                                              c->n_heads, e->head_dim, max_len, 0, e->dtype,
                                              stream));
    else if (kv_fused(e, b))
        K_TRY(err, psamp_k_attention_warp_append(d->y, e->w.layers[l].qkv_b, d->q, k, v, d->h,
                                                 d->partial, d->rows, b->n, c->n_heads,
                                                 e->head_dim, max_len, 0, e->dtype, stream));
    else if (e->variants.attention == PSAMP_CUDA_ATTN_WARP)
        K_TRY(err, psamp_k_attention_warp(d->q, k, v, d->h, d->partial, d->rows, b->n, c->n_heads,
                                          e->head_dim, max_len, 0, e->dtype, stream));
    else
        K_TRY(err, psamp_k_attention(d->q, k, v, d->h, d->partial, d->rows, b->n, c->n_heads,
                                     e->head_dim, max_len, e->dtype, stream));
    return 0;
}

/* fused()'s x += out_proj(attention) + bias, h = relu(fc1(norm(x)) + bias), x += fc2(h) +
 * bias: fc1 adds the bias the unfused GEMV path adds (rounded to the dtype under the
 * cuBLASLt-epilogue variant, engine_cuda_weights.c). */
static int fused_post_attention(cuda_engine *e, cuda_batch *b, const cuda_layer *w,
                                psamp_err *err) {
    const int32_t h = e->cfg.hidden, f = e->cfg.ffn_dim;
    cuda_buffers *d = &b->d;
    const float *fc1_b = e->variants.ffn == PSAMP_CUDA_FFN_EPILOGUE ? w->fc1_b_r : w->fc1_b;
    const psamp_k_gemv_fusion out_proj = {NULL, NULL, 0.0f, w->o_b, PSAMP_GEMV_RESIDUAL};
    const psamp_k_gemv_fusion fc1 = {w->ffn_ln_w, w->ffn_ln_b, LAYER_NORM_EPS, fc1_b,
                                     PSAMP_GEMV_BIAS_RELU};
    const psamp_k_gemv_fusion fc2 = {NULL, NULL, 0.0f, w->fc2_b, PSAMP_GEMV_RESIDUAL};
    if (fused_gemv(e, b, d->h, w->o_w, d->x, h, h, out_proj, err) ||
        fused_gemv(e, b, d->x, w->fc1_w, d->h, f, h, fc1, err) ||
        fused_gemv(e, b, d->h, w->fc2_w, d->x, h, f, fc2, err))
        return -1;
    b->res.waiting = 0;
    return 0;
}

/* x += out_proj(attention) (+ its norm), then the feed-forward block x += fc2(relu(fc1(h)));
 * pre-LN leaves the FFN's residual add waiting for the next norm, post-LN normalises after
 * each residual (h = x = norm(x + ...)). */
int cuda_forward_post_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const cuda_layer *w = &e->w.layers[l];
    cuda_buffers *d = &b->d;
    const int32_t h = c->hidden, f = c->ffn_dim;
    if (fused(e, b)) return fused_post_attention(e, b, w, err);
    if (gemm(e, b, d->h, w->o_w, d->y, h, h, err)) return -1;
    b->res = (cuda_residual){1, w->o_b};
    if (c->pre_ln ? norm(e, b, w->ffn_ln_w, w->ffn_ln_b, NULL, err)
                  : norm(e, b, w->attn_ln_w, w->attn_ln_b, d->x, err))
        return -1;
    const void *fc2_in = d->h;
    if (e->variants.ffn == PSAMP_CUDA_FFN_EPILOGUE) {
        /* fc1's input is h: the dtype output goes to ffn_t */
        if (cuda_gemm_bias_relu(e, b->lane, d->h, w->fc1_w, w->fc1_b_t, w->fc1_b_r, d->ffn_t, d->y,
                                b->n, f, h, err))
            return -1;
        fc2_in = d->ffn_t;
    } else {
        if (gemm(e, b, d->h, w->fc1_w, d->y, f, h, err)) return -1;
        K_TRY(err, psamp_k_bias_act(d->y, w->fc1_b, d->h, b->n, f, 1, e->dtype, b->lane->stream));
    }
    if (gemm(e, b, fc2_in, w->fc2_w, d->y, h, f, err)) return -1;
    b->res = (cuda_residual){1, w->fc2_b};
    if (c->pre_ln) return 0;
    /* post-LN: the FFN's own norm, in place; h is the next layer's input */
    return norm(e, b, w->ffn_ln_w, w->ffn_ln_b, d->x, err);
}

static int sample(cuda_engine *e, cuda_batch *b, psamp_err *err) {
    const int32_t v = e->cfg.vocab_size;
    cuda_buffers *d = &b->d;
    if (e->variants.sample == PSAMP_CUDA_SAMPLE_ONEPASS)
        K_TRY(err, psamp_k_sample_onepass(d->logits, v, v, d->rows, b->n, d->results,
                                          b->lane->stream));
    else
        K_TRY(err, psamp_k_sample(d->logits, v, v, d->rows, b->n, d->results, b->lane->stream));
    return 0;
}

/* Final norm, project_out, lm_head, then sampling. For post-LN models h already holds the
 * last layer norm's output. */
int cuda_forward_head(cuda_engine *e, cuda_batch *b, psamp_err *err) {
    const opt_config *c = &e->cfg;
    cuda_buffers *d = &b->d;
    const cudaStream_t s = b->lane->stream;
    const int32_t h = c->hidden, p = c->word_embed_proj_dim;
    if (c->has_final_ln) {
        if (norm(e, b, e->w.final_ln_w, e->w.final_ln_b, NULL, err)) return -1;
    } else if (c->pre_ln) { /* no final norm: h is x (after the last residual) in the dtype */
        if (b->res.waiting) K_TRY(err, psamp_k_bias_residual(d->x, d->y, b->res.bias, b->n, h, s));
        b->res.waiting = 0;
        K_TRY(err, psamp_k_bias_act(d->x, NULL, d->h, b->n, h, 0, e->dtype, s));
    }
    if (e->w.project_out) {
        if (gemm(e, b, d->h, e->w.project_out, d->y, p, h, err)) return -1;
        K_TRY(err, psamp_k_bias_act(d->y, NULL, d->h, b->n, p, 0, e->dtype, s));
    }
    if (gemm(e, b, d->h, e->w.lm_head, d->logits, c->vocab_size, p, err)) return -1;
    return sample(e, b, err);
}

int cuda_forward(cuda_engine *e, int32_t n, int want_logits, int decode, psamp_err *err) {
    if (n <= 0) return 0;
    cuda_batch b = cuda_batch_of(e, 0, n, &e->main_lane, decode);
    if (cuda_forward_embed(e, &b, err)) return -1;
    for (int32_t l = 0; l < e->cfg.n_layers; l++)
        if (cuda_forward_pre_attention(e, &b, l, err) ||
            cuda_forward_attention(e, &b, l, e->stream, err) ||
            cuda_forward_post_attention(e, &b, l, err))
            return psamp_fail_context(err, "layer %d", l);
    /* Without logits the last residual add is not needed: the KV is all written. */
    return want_logits ? cuda_forward_head(e, &b, err) : 0;
}

int cuda_forward_forks(cuda_engine *e, int32_t n, int32_t max_pos, psamp_err *err) {
    if (e->kv_fp8) { /* the bytes, then the scales */
        const opt_config *c = &e->cfg;
        K_TRY(err, psamp_k_kv_fork_bytes(e->k_cache, e->v_cache, e->d.forks, n, max_pos,
                                         c->n_layers, e->slots.n_slots, e->slots.max_len,
                                         c->hidden, e->stream));
        K_TRY(err, psamp_k_kv_fork_bytes(e->k_scale, e->v_scale, e->d.forks, n, max_pos,
                                         c->n_layers, e->slots.n_slots, e->slots.max_len,
                                         4 * (int64_t)c->n_heads, e->stream));
        return 0;
    }
    K_TRY(err, psamp_k_kv_fork(e->k_cache, e->v_cache, e->d.forks, n, max_pos, e->cfg.n_layers,
                               e->slots.n_slots, e->slots.max_len, e->cfg.hidden, e->dtype,
                               e->stream));
    return 0;
}
