/* The decoders' forward pass on the GPU: buffers, the layer loop, the GEMMs
 * (engine_cuda_decoder.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_kernels.h"
#include "engine_cuda_decoder.h"

static size_t dtype_size(psamp_dtype dt) { return dt == PSAMP_F32 ? 4 : 2; }

static cudaDataType_t blas_type(psamp_dtype dt) {
    return dt == PSAMP_F16 ? CUDA_R_16F : dt == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

size_t cuda_decoder_kv_bytes_per_slot(const decoder_config *c, psamp_dtype dtype, int32_t max_len) {
    return 2 * (size_t)c->n_layers * (size_t)max_len * (size_t)c->n_kv_heads * (size_t)c->head_dim *
           dtype_size(dtype);
}

int cuda_decoder_alloc(cuda_decoder *d, void **ptr, size_t bytes, const char *what, psamp_err *err) {
    *ptr = NULL;
    if (d->n_allocs == d->cap_allocs) {
        const int32_t cap = d->cap_allocs ? 2 * d->cap_allocs : 64;
        void **grown = realloc(d->allocs, (size_t)cap * sizeof *grown);
        if (!grown) return psamp_fail(err, "cuda decoder: out of host memory");
        d->allocs = grown;
        d->cap_allocs = cap;
    }
    const cudaError_t rc = cudaMalloc(ptr, bytes ? bytes : 16);
    if (rc != cudaSuccess) {
        *ptr = NULL;
        return psamp_fail(err, "cuda decoder: cudaMalloc of %.1f MiB for %s failed: %s", (double)bytes / 1048576.0,
                          what, cudaGetErrorString(rc));
    }
    d->allocs[d->n_allocs++] = *ptr;
    d->device_bytes += bytes;
    DEC_CUDA(cudaMemset(*ptr, 0, bytes));
    return 0;
}

void cuda_decoder_destroy(cuda_decoder *d) {
    if (!d) return;
    if (d->stream) (void)cudaStreamSynchronize(d->stream);
    for (int32_t i = 0; i < d->n_allocs; i++) (void)cudaFree(d->allocs[i]);
    if (d->blas && !d->borrowed) (void)cublasDestroy(d->blas);
    if (d->stream && !d->borrowed) (void)cudaStreamDestroy(d->stream);
    (void)cudaGetLastError();
    free(d->allocs);
    free(d->layers);
    free(d->sets_host);
    memset(d, 0, sizeof *d);
}

/* The RoPE tables of c for max_len positions, computed on the host (decoder_rope.c), uploaded. */
static int upload_rope(cuda_decoder *d, psamp_err *err) {
    decoder_rope_table t;
    if (decoder_rope_table_init(&t, &d->cfg, d->max_len, err) != 0) return -1;
    const size_t bytes = (size_t)t.n_sets * (size_t)t.max_len * (size_t)t.pairs * sizeof(float);
    d->rope_sets = t.n_sets;
    d->rope_switch_len = t.switch_len;
    int rc = cuda_decoder_alloc(d, (void **)&d->rope_cos, bytes, "RoPE cos", err);
    if (rc == 0) rc = cuda_decoder_alloc(d, (void **)&d->rope_sin, bytes, "RoPE sin", err);
    cudaError_t cu = cudaSuccess;
    if (rc == 0) cu = cudaMemcpy(d->rope_cos, t.cos, bytes, cudaMemcpyHostToDevice);
    if (rc == 0 && cu == cudaSuccess) cu = cudaMemcpy(d->rope_sin, t.sin, bytes, cudaMemcpyHostToDevice);
    decoder_rope_table_free(&t);
    if (rc != 0) return rc;
    DEC_CUDA(cu);
    return 0;
}

void cuda_decoder_plan(const decoder_config *c, psamp_dtype dtype, int32_t max_len, size_t *fixed,
                       size_t *per_slot, size_t *per_row) {
    const size_t es = dtype_size(dtype), h = (size_t)c->hidden, ffn = (size_t)c->ffn_dim;
    const size_t vocab = (size_t)c->vocab_size, hd = (size_t)c->head_dim;
    const size_t q_dim = (size_t)c->n_heads * hd, qkv_dim = q_dim + 2 * (size_t)c->n_kv_heads * hd;
    const size_t layer = qkv_dim * h * es + (c->qkv_bias ? qkv_dim * 4 : 0) + h * q_dim * es +
                         3 * ffn * h * es + 2 * h * 4;
    const size_t sets = c->rope.type == ROPE_LONGROPE ? 2 : 1;
    *fixed = (size_t)c->n_layers * layer + vocab * h * es * (c->tie_word_embeddings ? 1 : 2) + h * 4 +
             2 * sets * (size_t)max_len * (hd / 2) * sizeof(float);
    *per_slot = cuda_decoder_kv_bytes_per_slot(c, dtype, max_len);
    *per_row = sizeof(psamp_k_row) + 1 + h * 4 + h * es + qkv_dim * 4 + q_dim * 4 + q_dim * es +
               2 * ffn * 4 + ffn * es + vocab * 4;
}

int cuda_decoder_create(cuda_decoder *d, const decoder_config *c, psamp_dtype dtype, int32_t n_slots,
                        int32_t max_len, int32_t max_rows, psamp_err *err) {
    return cuda_decoder_create_on(d, c, dtype, n_slots, max_len, max_rows, NULL, NULL, err);
}

int cuda_decoder_create_on(cuda_decoder *d, const decoder_config *c, psamp_dtype dtype, int32_t n_slots,
                           int32_t max_len, int32_t max_rows, cudaStream_t stream, cublasHandle_t blas,
                           psamp_err *err) {
    memset(d, 0, sizeof *d);
    if ((stream == NULL) != (blas == NULL))
        return psamp_fail(err, "cuda decoder: give both a stream and a cuBLAS handle, or neither");
    if (dtype != PSAMP_F32 && dtype != PSAMP_F16 && dtype != PSAMP_BF16)
        return psamp_fail(err, "cuda decoder: dtype must be fp32, fp16 or bf16");
    if (n_slots < 1 || max_len < 2 || max_rows < 1)
        return psamp_fail(err, "cuda decoder: n_slots (%d), max_len (%d) and max_rows (%d) must be positive", n_slots,
                          max_len, max_rows);
    d->cfg = *c;
    d->dtype = dtype;
    d->n_slots = n_slots, d->max_len = max_len, d->max_rows = max_rows;
    d->q_dim = c->n_heads * c->head_dim;
    d->kv_dim = c->n_kv_heads * c->head_dim;
    d->qkv_dim = d->q_dim + 2 * d->kv_dim;
    d->layers = calloc((size_t)c->n_layers, sizeof *d->layers);
    d->sets_host = calloc((size_t)max_rows, 1);
    if (!d->layers || !d->sets_host) {
        cuda_decoder_destroy(d);
        return psamp_fail(err, "cuda decoder: out of host memory");
    }
#define TRY(x)                                                                                \
    do {                                                                                      \
        if ((x) != 0) {                                                                       \
            cuda_decoder_destroy(d);                                                          \
            return -1;                                                                        \
        }                                                                                     \
    } while (0)
#define ALLOC(ptr, bytes, what) TRY(cuda_decoder_alloc(d, (void **)&(ptr), (bytes), (what), err))
    if (stream) {
        d->stream = stream;
        d->blas = blas;
        d->borrowed = 1;
    } else {
        cudaError_t rc = cudaStreamCreateWithFlags(&d->stream, cudaStreamNonBlocking);
        if (rc != cudaSuccess) {
            cuda_decoder_destroy(d);
            return psamp_fail(err, "cuda decoder: cudaStreamCreateWithFlags failed: %s", cudaGetErrorString(rc));
        }
        cublasStatus_t st = cublasCreate(&d->blas);
        if (st == CUBLAS_STATUS_SUCCESS) st = cublasSetStream(d->blas, d->stream);
        if (st != CUBLAS_STATUS_SUCCESS) {
            cuda_decoder_destroy(d);
            return psamp_fail(err, "cuda decoder: cublasCreate/cublasSetStream failed: %s", cublasGetStatusString(st));
        }
    }
    const size_t es = dtype_size(dtype), h = (size_t)c->hidden, ffn = (size_t)c->ffn_dim;
    const size_t vocab = (size_t)c->vocab_size, rows = (size_t)max_rows;
    for (int32_t l = 0; l < c->n_layers; l++) {
        cuda_decoder_layer *L = &d->layers[l];
        ALLOC(L->qkv_w, (size_t)d->qkv_dim * h * es, "qkv_proj");
        if (c->qkv_bias) ALLOC(L->qkv_b, (size_t)d->qkv_dim * 4, "qkv bias");
        ALLOC(L->o_w, h * (size_t)d->q_dim * es, "o_proj");
        ALLOC(L->gate_up_w, 2 * ffn * h * es, "gate_up_proj");
        ALLOC(L->down_w, h * ffn * es, "down_proj");
        ALLOC(L->attn_norm, h * 4, "input_layernorm");
        ALLOC(L->mlp_norm, h * 4, "post_attention_layernorm");
    }
    ALLOC(d->embed, vocab * h * es, "embed_tokens");
    if (c->tie_word_embeddings) d->lm_head = d->embed;
    else ALLOC(d->lm_head, vocab * h * es, "lm_head");
    ALLOC(d->final_norm, h * 4, "model.norm");
    TRY(upload_rope(d, err));
    const size_t kv = cuda_decoder_kv_bytes_per_slot(c, dtype, max_len) / 2 * (size_t)n_slots;
    ALLOC(d->k_cache, kv, "K cache");
    ALLOC(d->v_cache, kv, "V cache");
    ALLOC(d->rows, rows * sizeof(psamp_k_row), "rows");
    ALLOC(d->row_sets, rows, "RoPE sets");
    ALLOC(d->x, rows * h * 4, "residual stream");
    ALLOC(d->xn, rows * h * es, "normalised rows");
    ALLOC(d->qkv, rows * (size_t)d->qkv_dim * 4, "q|k|v");
    ALLOC(d->q, rows * (size_t)d->q_dim * 4, "rotated q");
    ALLOC(d->attn, rows * (size_t)d->q_dim * es, "attention output");
    ALLOC(d->gate_up, rows * 2 * ffn * 4, "gate|up");
    ALLOC(d->act, rows * ffn * es, "SwiGLU output");
    ALLOC(d->logits, rows * vocab * 4, "logits");
#undef ALLOC
#undef TRY
    return 0;
}

/* y[m, n] (fp32, row stride n) = x[m, k] w[n, k]^T + beta * y, x and w in d's dtype. */
static int linear(cuda_decoder *d, const void *x, const void *w, float *y, int32_t m, int32_t n, int32_t k,
                  float beta, psamp_err *err) {
    const float alpha = 1.0f;
    const cudaDataType_t t = blas_type(d->dtype);
    DEC_BLAS(cublasGemmEx(d->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, t, k, x, t, k, &beta, y,
                          CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

static int layer(cuda_decoder *d, const psamp_k_row *rows, int32_t l, int32_t n, psamp_err *err) {
    const decoder_config *c = &d->cfg;
    const cuda_decoder_layer *L = &d->layers[l];
    const int32_t h = c->hidden, ffn = c->ffn_dim;
    const size_t layer_kv = (size_t)d->n_slots * (size_t)d->max_len * (size_t)d->kv_dim * dtype_size(d->dtype);
    char *k_l = (char *)d->k_cache + (size_t)l * layer_kv, *v_l = (char *)d->v_cache + (size_t)l * layer_kv;
    DEC_CUDA(psamp_k_rmsnorm(d->x, L->attn_norm, d->xn, n, h, (float)c->rms_eps, d->dtype, d->stream));
    if (linear(d, d->xn, L->qkv_w, d->qkv, n, d->qkv_dim, h, 0.0f, err) != 0) return -1;
    /* q's rows and bias carry head_dim^-0.5 already (q_scale 1) */
    DEC_CUDA(psamp_k_decoder_rope_append(d->qkv, L->qkv_b, d->rope_cos, d->rope_sin, d->row_sets, d->q, k_l, v_l,
                                         rows, n, c->n_heads, c->n_kv_heads, c->head_dim, d->max_len, 1.0f,
                                         d->dtype, d->stream));
    DEC_CUDA(psamp_k_decoder_attention(d->q, k_l, v_l, d->attn, rows, n, c->n_heads, c->n_kv_heads, c->head_dim,
                                       d->max_len, d->dtype, d->stream));
    if (linear(d, d->attn, L->o_w, d->x, n, h, d->q_dim, 1.0f, err) != 0) return -1;
    DEC_CUDA(psamp_k_rmsnorm(d->x, L->mlp_norm, d->xn, n, h, (float)c->rms_eps, d->dtype, d->stream));
    if (linear(d, d->xn, L->gate_up_w, d->gate_up, n, 2 * ffn, h, 0.0f, err) != 0) return -1;
    DEC_CUDA(psamp_k_swiglu(d->gate_up, d->act, n, ffn, d->dtype, d->stream));
    return linear(d, d->act, L->down_w, d->x, n, h, ffn, 1.0f, err);
}

int cuda_decoder_forward(cuda_decoder *d, const psamp_k_row *rows, int32_t n, const uint8_t *sets,
                         int want_logits, psamp_err *err) {
    const decoder_config *c = &d->cfg;
    if (n < 1 || n > d->max_rows) return psamp_fail(err, "cuda decoder: %d rows (1..%d)", n, d->max_rows);
    for (int32_t r = 0; r < n; r++) {
        if (rows[r].slot >= d->n_slots || rows[r].pos < 0 || rows[r].pos >= d->max_len ||
            (rows[r].slot >= 0 && (rows[r].token < 0 || rows[r].token >= c->vocab_size)))
            return psamp_fail(err, "cuda decoder: row %d (slot %d, pos %d, token %d) out of range", r, rows[r].slot,
                              rows[r].pos, rows[r].token);
        const int set = sets ? sets[r] : (d->rope_sets == 2 && rows[r].pos + 1 > d->rope_switch_len);
        if (set >= d->rope_sets) return psamp_fail(err, "cuda decoder: row %d: RoPE set %d of %d", r, set, d->rope_sets);
        d->sets_host[r] = (uint8_t)set;
    }
    DEC_CUDA(cudaMemcpyAsync(d->rows, rows, (size_t)n * sizeof *rows, cudaMemcpyHostToDevice, d->stream));
    DEC_CUDA(cudaMemcpyAsync(d->row_sets, d->sets_host, (size_t)n, cudaMemcpyHostToDevice, d->stream));
    return cuda_decoder_forward_device(d, d->rows, n, want_logits, err);
}

int cuda_decoder_forward_device(cuda_decoder *d, const psamp_k_row *rows_dev, int32_t n, int want_logits,
                                psamp_err *err) {
    const decoder_config *c = &d->cfg;
    if (n < 1 || n > d->max_rows) return psamp_fail(err, "cuda decoder: %d rows (1..%d)", n, d->max_rows);
    DEC_CUDA(psamp_k_decoder_embed(d->x, rows_dev, n, d->embed, c->hidden, d->dtype, d->stream));
    for (int32_t l = 0; l < c->n_layers; l++)
        if (layer(d, rows_dev, l, n, err) != 0) return -1;
    if (!want_logits) return 0;
    DEC_CUDA(psamp_k_rmsnorm(d->x, d->final_norm, d->xn, n, c->hidden, (float)c->rms_eps, d->dtype, d->stream));
    return linear(d, d->xn, d->lm_head, d->logits, n, c->vocab_size, c->hidden, 0.0f, err);
}
