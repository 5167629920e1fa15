/* bench_cuda_decoder: the CUDA decoder forward (host/engine/cuda/engine_cuda_decoder*.c) on a
 * random model with Qwen2.5-7B's shapes in bf16 (hidden 3584, 28 layers, 28 query / 4 KV
 * heads of 128, ffn 18944, vocab 152064, q/k/v biases, untied lm_head): one decode step (a
 * row per chain at its own position, logits out; sampling not included) at 1, 64, 256 and
 * 1024 chains, chain lengths uniform in [33, 264], against the floor max(bytes / copy rate,
 * FLOPs / GEMM rate), where bytes = every weight read once + each chain's KV, the copy rate
 * a 1 GiB device copy and the GEMM rate cublasGemmEx on the gate|up shape at 1024 rows.
 * Also: the KV bytes per chain and the most chains of max_len positions that fit the card.
 * Needs a GPU; prints one "BENCH decoder" line per chain count.
 *   bench_cuda_decoder [max_len (default 320)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cuda.h"
#include "engine_cuda_decoder.h"

static decoder_config qwen25_7b(void) {
    decoder_config c;
    memset(&c, 0, sizeof c);
    c.arch = DECODER_QWEN2;
    c.model_type = "qwen2";
    c.vocab_size = 152064, c.hidden = 3584, c.ffn_dim = 18944, c.n_layers = 28;
    c.n_heads = 28, c.n_kv_heads = 4, c.head_dim = 128, c.max_positions = 32768;
    c.rms_eps = 1e-6, c.qkv_bias = 1, c.tie_word_embeddings = 0;
    c.rope.type = ROPE_DEFAULT, c.rope.theta = 1e6, c.rope.attention_factor = 1.0;
    return c;
}

/* Bytes of every linear weight (the per-step read) and their multiply-adds per row. */
static double linear_params(const decoder_config *c) {
    const double h = c->hidden, qkv = (c->n_heads + 2.0 * c->n_kv_heads) * c->head_dim;
    const double layer = qkv * h + h * c->n_heads * c->head_dim + 3.0 * h * c->ffn_dim;
    return c->n_layers * layer + (double)c->vocab_size * h;
}

/* Device bytes one more chain costs: its KV at max_len and one row of every per-call buffer. */
static double per_chain_bytes(const decoder_config *c, int32_t max_len) {
    const double h = c->hidden, qd = (double)c->n_heads * c->head_dim, kvd = (double)c->n_kv_heads * c->head_dim;
    const double row = sizeof(psamp_k_row) + 1 + 4 * h + 2 * h + 4 * (qd + 2 * kvd) + 4 * qd + 2 * qd +
                       8.0 * c->ffn_dim + 2.0 * c->ffn_dim + 4.0 * c->vocab_size;
    return (double)cuda_decoder_kv_bytes_per_slot(c, PSAMP_BF16, max_len) + row;
}

typedef struct {
    cuda_decoder *d;
    const psamp_k_row *rows;
    int32_t n;
} step_work;

static int run_step(const void *ctx) {
    const step_work *w = ctx;
    psamp_err err = {0};
    if (cuda_decoder_forward(w->d, w->rows, w->n, NULL, 1, &err) != 0) {
        fprintf(stderr, "bench_cuda_decoder: %s\n", err.msg);
        return -1;
    }
    return 0;
}

typedef struct {
    void *dst;
    const void *src;
    size_t bytes;
    cudaStream_t stream;
} copy_work;

static int run_copy(const void *ctx) {
    const copy_work *c = ctx;
    BENCH_CUDA(cudaMemcpyAsync(c->dst, c->src, c->bytes, cudaMemcpyDeviceToDevice, c->stream));
    return 0;
}

typedef struct {
    cublasHandle_t blas;
    const void *w, *x;
    float *y;
    int m, n, k;
} gemm_work;

static int run_gemm(const void *ctx) {
    const gemm_work *g = ctx;
    const float one = 1.0f, zero = 0.0f;
    BENCH_BLAS(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, g->n, g->m, g->k, &one, g->w, CUDA_R_16BF, g->k, g->x,
                            CUDA_R_16BF, g->k, &zero, g->y, CUDA_R_32F, g->n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

/* Copy rate (bytes/s read + written) and bf16 GEMM rate (FLOP/s) on the decoder's own
 * buffers: the gate|up weight of layer 0 and 1024 rows of its activation buffers. */
static int ceilings(cuda_decoder *d, int32_t rows, double *copy, double *gemm) {
    const size_t bytes = (size_t)1 << 30;
    void *src = NULL, *dst = NULL;
    BENCH_CUDA(cudaMalloc(&src, bytes));
    BENCH_CUDA(cudaMalloc(&dst, bytes));
    BENCH_CUDA(cudaMemset(src, 0x3c, bytes));
    const copy_work c = {dst, src, bytes, d->stream};
    double sec = 0.0;
    int rc = median_seconds(d->stream, run_copy, &c, &sec);
    cudaFree(src), cudaFree(dst);
    if (rc) return -1;
    *copy = 2.0 * (double)bytes / sec;
    const gemm_work g = {d->blas, d->layers[0].gate_up_w, d->xn, d->gate_up, rows, 2 * d->cfg.ffn_dim, d->cfg.hidden};
    if (median_seconds(d->stream, run_gemm, &g, &sec)) return -1;
    *gemm = 2.0 * rows * (double)g.n * g.k / sec;
    return 0;
}

static int fill_weights(cuda_decoder *d) {
    const decoder_config *c = &d->cfg;
    const size_t h = (size_t)c->hidden, ffn = (size_t)c->ffn_dim, e = 2;
    float *ones = malloc(h * sizeof *ones);
    if (!ones) return -1;
    for (size_t i = 0; i < h; i++) ones[i] = 1.0f;
    int rc = 0;
    for (int32_t l = 0; rc == 0 && l < c->n_layers; l++) {
        const cuda_decoder_layer *L = &d->layers[l];
        rc = fill_random(L->qkv_w, (size_t)d->qkv_dim * h * e, PSAMP_BF16, 11 + (uint64_t)l) ||
             fill_random(L->qkv_b, (size_t)d->qkv_dim * 4, PSAMP_F32, 13 + (uint64_t)l) ||
             fill_random(L->o_w, h * (size_t)d->q_dim * e, PSAMP_BF16, 17 + (uint64_t)l) ||
             fill_random(L->gate_up_w, 2 * ffn * h * e, PSAMP_BF16, 19 + (uint64_t)l) ||
             fill_random(L->down_w, h * ffn * e, PSAMP_BF16, 23 + (uint64_t)l) ||
             cudaMemcpy(L->attn_norm, ones, h * 4, cudaMemcpyHostToDevice) != cudaSuccess ||
             cudaMemcpy(L->mlp_norm, ones, h * 4, cudaMemcpyHostToDevice) != cudaSuccess;
    }
    if (rc == 0)
        rc = fill_random(d->embed, (size_t)c->vocab_size * h * e, PSAMP_BF16, 29) ||
             fill_random(d->lm_head, (size_t)c->vocab_size * h * e, PSAMP_BF16, 31) ||
             cudaMemcpy(d->final_norm, ones, h * 4, cudaMemcpyHostToDevice) != cudaSuccess;
    free(ones);
    if (rc) fprintf(stderr, "bench_cuda_decoder: filling the random weights failed\n");
    return rc ? -1 : 0;
}

int main(int argc, char **argv) {
    const int32_t max_len = argc > 1 ? atoi(argv[1]) : 320;
    if (max_len < 270) {
        fprintf(stderr, "bench_cuda_decoder: max_len must be >= 270 (chains grow to 264 + steps)\n");
        return 2;
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        fprintf(stderr, "bench_cuda_decoder: no CUDA device\n");
        return 1;
    }
    const decoder_config c = qwen25_7b();
    const int counts[] = {1, 64, 256, 1024};
    const int32_t most = 1024;
    size_t free_b = 0, total_b = 0;
    BENCH_CUDA(cudaMemGetInfo(&free_b, &total_b));
    const double weight_read = linear_params(&c) * 2;                   /* per step */
    const double weights = weight_read + (double)c.vocab_size * c.hidden * 2; /* + embed_tokens */
    const double margin = 1.5 * (1 << 30);
    for (int i = 0; i < 2; i++) {
        const int32_t len = i == 0 ? max_len : 4096;
        const double per = per_chain_bytes(&c, len);
        printf("BENCH decoder fit: max_len %d: KV %.1f MB per chain (%.0f KB per position), at most %.0f chains in "
               "%.1f GB free (weights %.1f GB)\n",
               len, (double)cuda_decoder_kv_bytes_per_slot(&c, PSAMP_BF16, len) / 1e6,
               (double)cuda_decoder_kv_bytes_per_slot(&c, PSAMP_BF16, 1) / 1e3,
               free_b > weights + margin ? ((double)free_b - weights - margin) / per : 0.0, (double)free_b / 1e9,
               weights / 1e9);
    }
    cuda_decoder d;
    psamp_err err = {0};
    if (cuda_decoder_create(&d, &c, PSAMP_BF16, most, max_len, most, &err) != 0) {
        fprintf(stderr, "bench_cuda_decoder: %s\n", err.msg);
        return 1;
    }
    int rc = fill_weights(&d);
    double copy = 0.0, gemm = 0.0;
    if (rc == 0) rc = ceilings(&d, most, &copy, &gemm);
    if (rc == 0)
        printf("BENCH decoder ceilings: copy %.0f GB/s (read + write), bf16 GEMM %.0f TFLOP/s (%d x %d x %d)\n",
               copy / 1e9, gemm / 1e12, most, 2 * c.ffn_dim, c.hidden);
    psamp_k_row *rows = calloc((size_t)most, sizeof *rows);
    uint64_t s = 0x5eed;
    const double kv_pos = (double)cuda_decoder_kv_bytes_per_slot(&c, PSAMP_BF16, 1);
    for (size_t k = 0; rc == 0 && rows && k < sizeof counts / sizeof counts[0]; k++) {
        const int32_t n = counts[k];
        double kv_bytes = 0.0;
        for (int32_t r = 0; r < n; r++) {
            const int32_t len = 33 + (int32_t)(splitmix64(&s) % 232);
            rows[r] = (psamp_k_row){.slot = r, .pos = len, .token = (int32_t)(splitmix64(&s) % 152064),
                                    .target = -1, .tau = 1.0f};
            kv_bytes += (len + 1) * kv_pos;
        }
        const step_work w = {&d, rows, n};
        double sec = 0.0;
        rc = median_seconds(d.stream, run_step, &w, &sec);
        if (rc) break;
        /* bytes read once at the copy rate (read + write), as bench_cuda's floor */
        const double byte_floor = (weight_read + kv_bytes) / copy;
        const double flop_floor = 2.0 * n * linear_params(&c) / gemm;
        const double floor = byte_floor > flop_floor ? byte_floor : flop_floor;
        printf("BENCH decoder chains %4d: step %.3f ms, floor %.3f ms (bytes %.3f, FLOPs %.3f), ratio %.2f, "
               "KV read %.2f GB\n",
               n, sec * 1e3, floor * 1e3, byte_floor * 1e3, flop_floor * 1e3, sec / floor, kv_bytes / 1e9);
    }
    free(rows);
    cuda_decoder_destroy(&d);
    return rc ? 1 : 0;
}
