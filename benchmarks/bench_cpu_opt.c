/* CPU engine decode throughput on a random OPT-125M-shaped model (no download), against this
 * machine's own cblas_sgemm on the same GEMM shapes.
 *
 * For 1, 16 and 64 chains: prefill a 32-token prompt per slot, then time 64 decode steps of
 * all slots as one batch (tau = 1, each chain its own Philox stream). Decode FLOPs count the
 * linear layers, lm_head and attention (2 per multiply-add). The sgemm rate is measured with
 * the engine's exact calls (row-major x W^T) at M = chains rows; the ratio says how much of
 * what the BLAS can do the whole decode step achieves.
 *
 * usage: bench_cpu_opt [n_threads [chains ...]]
 *   n_threads: threads for attention and sampling (0 = one per CPU, the default)
 *   chains: the chain counts to run (default 1 16 64) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_cpu.h"
#include "philox.h"

#define PROMPT 32
#define DECODE 64

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Multiply-adds of the linear layers and lm_head for one token. */
static double linear_macs(const opt_config *c) {
    double h = c->hidden, f = c->ffn_dim, proj = c->word_embed_proj_dim;
    double per_layer = 4 * h * h + 2 * h * f;
    double extra = proj != h ? 2 * h * proj : 0;
    return c->n_layers * per_layer + extra + (double)c->vocab_size * proj;
}

/* sgemm FLOP/s over one token-step's GEMM shapes at m rows, best of a few repeats. */
static double sgemm_flops(const opt_config *c, int m) {
    const int h = c->hidden, shapes[5][2] = {{3 * h, h}, {h, h}, {c->ffn_dim, h}, {h, c->ffn_dim},
                                             {c->vocab_size, c->word_embed_proj_dim}};
    const int per_step[5] = {c->n_layers, c->n_layers, c->n_layers, c->n_layers, 1};
    size_t max_x = 0, max_y = 0;
    for (int s = 0; s < 5; s++) {
        max_x = (size_t)m * shapes[s][1] > max_x ? (size_t)m * shapes[s][1] : max_x;
        max_y = (size_t)m * shapes[s][0] > max_y ? (size_t)m * shapes[s][0] : max_y;
    }
    /* One weight buffer per layer and shape, like the model: weights do not stay in cache. */
    float **w = calloc((size_t)c->n_layers * 5, sizeof *w);
    float *x = calloc(max_x, sizeof *x), *y = calloc(max_y, sizeof *y);
    if (!w || !x || !y) return 0;
    for (int i = 0; i < c->n_layers * 5; i++) {
        int s = i % 5;
        if (i / 5 >= per_step[s]) continue;
        size_t n = (size_t)shapes[s][0] * (size_t)shapes[s][1];
        w[i] = malloc(n * sizeof(float));
        if (!w[i]) return 0;
        for (size_t k = 0; k < n; k++) w[i][k] = (float)((k * 2654435761u) % 1000) * 1e-5f;
    }
    for (size_t k = 0; k < max_x; k++) x[k] = (float)(k % 17) * 0.01f;
    double best = 0, flops = 0;
    for (int s = 0; s < 5; s++) flops += 2.0 * m * shapes[s][0] * shapes[s][1] * per_step[s];
    for (int rep = 0; rep < 6; rep++) {
        double t0 = now();
        for (int layer = 0; layer < c->n_layers; layer++)
            for (int s = 0; s < 5; s++) {
                if (layer >= per_step[s]) continue;
                int n = shapes[s][0], k = shapes[s][1];
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k,
                            w[layer * 5 + s], k, 0.0f, y, n);
            }
        double rate = flops / (now() - t0);
        best = rate > best ? rate : best;
    }
    for (int i = 0; i < c->n_layers * 5; i++) free(w[i]);
    free(w);
    free(x);
    free(y);
    return best;
}

/* Decode FLOP/s and tokens/s for `chains` slots; returns 0 on success. */
static int bench_decode(const opt_checkpoint *ck, int chains, int threads, double *tokens_per_s,
                        double *flops_per_s) {
    const opt_config *c = &ck->cfg;
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    psamp_cpu_options opts = {threads};
    if (psamp_engine_cpu_create(ck, chains, PROMPT + DECODE + 1, &opts, &e, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    psamp_step_request *q = calloc((size_t)chains, sizeof *q);
    psamp_step_result *r = calloc((size_t)chains, sizeof *r);
    if (!q || !r) return -1;
    for (int s = 0; s < chains; s++) {
        int32_t prompt[PROMPT];
        prompt[0] = c->bos_id;
        for (int i = 1; i < PROMPT; i++)
            prompt[i] = (int32_t)(psamp_philox_u32(9, (uint64_t)s, (uint64_t)i) % (uint32_t)c->vocab_size);
        if (e->ops->prefill(e, s, prompt, PROMPT, NULL, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return -1;
        }
    }
    double t0 = now();
    for (int step = 0; step < DECODE; step++) {
        for (int s = 0; s < chains; s++)
            q[s] = (psamp_step_request){s, 1.0f, 42, psamp_stream_tokens((uint64_t)s), (uint64_t)step};
        if (e->ops->step(e, q, chains, r, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return -1;
        }
    }
    double dt = now() - t0;
    /* attention: q.k and p.v over the positions 0..pos, for pos = PROMPT-1 .. PROMPT+DECODE-2 */
    double attn_macs = 0;
    for (int step = 0; step < DECODE; step++) attn_macs += 2.0 * c->hidden * (PROMPT + step);
    attn_macs *= c->n_layers;
    double flops = 2.0 * chains * ((double)DECODE * linear_macs(c) + attn_macs);
    *tokens_per_s = chains * (double)DECODE / dt;
    *flops_per_s = flops / dt;
    free(q);
    free(r);
    psamp_engine_destroy(e);
    return 0;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    opt_config cfg = opt_config_125m();
    opt_checkpoint ck;
    psamp_err err = {{0}};
    if (opt_checkpoint_random(&ck, &cfg, 1, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    printf("random OPT-125M shape, fp32, prompt %d, %d decode steps; engine threads %s\n", PROMPT,
           DECODE, threads > 0 ? argv[1] : "all");
    printf("%7s %12s %14s %16s %8s %16s\n", "chains", "tokens/s", "decode GFLOP/s",
           "sgemm GFLOP/s(M)", "ratio", "vs sgemm at M=64");
    int chain_counts[16] = {1, 16, 64}, n_counts = 3;
    if (argc > 2) {
        n_counts = 0;
        for (int i = 2; i < argc && n_counts < 16; i++) chain_counts[n_counts++] = atoi(argv[i]);
    }
    double sgemm64 = sgemm_flops(&cfg, 64);
    for (int i = 0; i < n_counts; i++) {
        int m = chain_counts[i];
        if (m < 1) {
            fprintf(stderr, "bench: chain count %s must be >= 1\n", argv[2 + i]);
            return 1;
        }
        double tps = 0, fps = 0;
        if (bench_decode(&ck, m, threads, &tps, &fps) != 0) return 1;
        double sg = m == 64 ? sgemm64 : sgemm_flops(&cfg, m);
        printf("%7d %12.1f %14.1f %16.1f %7.0f%% %15.0f%%\n", m, tps, fps / 1e9, sg / 1e9,
               100 * fps / sg, 100 * fps / sgemm64);
    }
    opt_checkpoint_close(&ck);
    return 0;
}
