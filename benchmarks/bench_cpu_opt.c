/* CPU engine decode throughput on a random OPT-125M-shaped model (no download), against this
 * machine's own cblas_sgemm on the same GEMM shapes.
 *
 * For each chain count (default 1, 16, 64): prefill a 32-token prompt per slot, then run 64
 * decode steps of all slots as one batch (tau = 1, each chain its own Philox stream). After
 * every decode step the bench runs one step's worth of plain sgemm calls (the engine's exact
 * shapes and layout, x W^T at M = chains rows, OpenBLAS threaded over every CPU), so both
 * see the same machine load; rates come from the median step of each. Decode FLOPs count
 * the linear layers, lm_head and attention (2 per multiply-add); the ratio says how much of
 * what the BLAS alone can do the whole decode step (GEMMs + attention + sampling) achieves.
 *
 * usage: bench_cpu_opt [n_threads [chains ...]]
 *   n_threads: engine threads (0 = one per CPU, the default) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine_cpu.h"
#include "philox.h"

void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

#define PROMPT 32
#define DECODE 64
#define N_SHAPES 5


static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* One decode step's GEMMs as plain sgemm calls: separate weights per layer like the model
 * (they stream from memory as the engine's do). */
typedef struct {
    int shape[N_SHAPES][2]; /* out, in */
    int per_step[N_SHAPES]; /* calls per token step */
    float *w[N_SHAPES], *x, *y;
    int m;
    double flops;
} sgemm_ref;

static int sgemm_ref_init(sgemm_ref *s, const opt_config *c, int m) {
    const int h = c->hidden;
    const int shapes[N_SHAPES][2] = {{3 * h, h}, {h, h}, {c->ffn_dim, h}, {h, c->ffn_dim},
                                     {c->vocab_size, c->word_embed_proj_dim}};
    memset(s, 0, sizeof *s);
    memcpy(s->shape, shapes, sizeof shapes);
    s->m = m;
    size_t max_in = 0, max_out = 0;
    for (int k = 0; k < N_SHAPES; k++) {
        s->per_step[k] = k == N_SHAPES - 1 ? 1 : c->n_layers;
        size_t n = (size_t)shapes[k][0] * shapes[k][1] * s->per_step[k];
        s->w[k] = malloc(n * sizeof(float));
        if (!s->w[k]) return -1;
        for (size_t i = 0; i < n; i++) s->w[k][i] = (float)((i * 2654435761u) % 1000) * 1e-5f;
        max_out = (size_t)shapes[k][0] > max_out ? (size_t)shapes[k][0] : max_out;
        max_in = (size_t)shapes[k][1] > max_in ? (size_t)shapes[k][1] : max_in;
        s->flops += 2.0 * m * shapes[k][0] * shapes[k][1] * s->per_step[k];
    }
    s->x = calloc((size_t)m * max_in, sizeof(float));
    s->y = calloc((size_t)m * max_out, sizeof(float));
    return s->x && s->y ? 0 : -1;
}

static double sgemm_ref_step(const sgemm_ref *s) {
    openblas_set_num_threads((int)sysconf(_SC_NPROCESSORS_ONLN));
    double t0 = psamp_now_seconds();
    for (int k = 0; k < N_SHAPES; k++) {
        const int out = s->shape[k][0], in = s->shape[k][1];
        for (int l = 0; l < s->per_step[k]; l++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->m, out, in, 1.0f, s->x, in,
                        s->w[k] + (size_t)l * out * in, in, 0.0f, s->y, out);
    }
    double dt = psamp_now_seconds() - t0;
    openblas_set_num_threads(1); /* back to the engine's setting */
    /* OpenBLAS's idle workers spin for ~2^28 cycles after a threaded call: let them fall
     * asleep so that they do not steal the cores from the next engine step. */
    struct timespec nap = {0, 250000000};
    nanosleep(&nap, NULL);
    return dt;
}

static void sgemm_ref_free(sgemm_ref *s) {
    for (int k = 0; k < N_SHAPES; k++) free(s->w[k]);
    free(s->x);
    free(s->y);
}

/* Multiply-adds of the linear layers and lm_head for one token. */
static double linear_macs(const opt_config *c) {
    double h = c->hidden, f = c->ffn_dim, proj = c->word_embed_proj_dim;
    double extra = proj != h ? 2 * h * proj : 0;
    return c->n_layers * (4 * h * h + 2 * h * f) + extra + (double)c->vocab_size * proj;
}

typedef struct {
    double tokens_per_s, decode_flops, sgemm_flops;
} bench_result;

static int bench_chains(const opt_checkpoint *ck, int chains, int threads, bench_result *out) {
    const opt_config *c = &ck->cfg;
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    psamp_cpu_options opts = {threads};
    sgemm_ref ref;
    psamp_step_request *q = calloc((size_t)chains, sizeof *q);
    psamp_step_result *r = calloc((size_t)chains, sizeof *r);
    double step_time[DECODE], gemm_time[DECODE], step_flops[DECODE];
    int rc = -1;
    memset(&ref, 0, sizeof ref);
    if (!q || !r || sgemm_ref_init(&ref, c, chains) != 0) {
        fprintf(stderr, "bench: out of memory\n");
        goto done;
    }
    if (psamp_engine_cpu_create(ck, chains, PROMPT + DECODE + 1, &opts, &e, &err) != 0) goto fail;
    for (int s = 0; s < chains; s++) {
        int32_t prompt[PROMPT];
        prompt[0] = c->bos_id;
        for (int i = 1; i < PROMPT; i++)
            prompt[i] = (int32_t)(psamp_philox_u32(9, (uint64_t)s, (uint64_t)i) % (uint32_t)c->vocab_size);
        if (e->ops->prefill(e, s, prompt, PROMPT, 1.0f, NULL, &err) != 0) goto fail;
    }
    for (int step = 0; step < DECODE; step++) {
        for (int s = 0; s < chains; s++)
            q[s] = (psamp_step_request){s, 1.0f, 42, psamp_stream_tokens((uint64_t)s), (uint64_t)step};
        double t0 = psamp_now_seconds();
        if (e->ops->step(e, q, chains, r, &err) != 0) goto fail;
        step_time[step] = psamp_now_seconds() - t0;
        /* the fed token sits at position PROMPT - 1 + step: it attends over PROMPT + step keys */
        double attn_macs = 2.0 * c->n_layers * c->hidden * (PROMPT + step);
        step_flops[step] = 2.0 * chains * (linear_macs(c) + attn_macs);
        gemm_time[step] = sgemm_ref_step(&ref);
    }
    double flops = 0;
    for (int step = 0; step < DECODE; step++) flops += step_flops[step];
    double t_step = median(step_time, DECODE), t_gemm = median(gemm_time, DECODE);
    out->tokens_per_s = chains / t_step;
    out->decode_flops = flops / DECODE / t_step;
    out->sgemm_flops = ref.flops / t_gemm;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench: %s\n", err.msg);
done:
    psamp_engine_destroy(e);
    sgemm_ref_free(&ref);
    free(q);
    free(r);
    return rc;
}

int main(int argc, char **argv) {
    /* OpenBLAS reads OPENBLAS_CORETYPE when it loads: fix a misdetected CPU by re-running. */
    psamp_err reexec_err = {{0}};
    if (psamp_blas_coretype_reexec(argv, &reexec_err) != 0)
        fprintf(stderr, "bench: %s\n", reexec_err.msg);
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    int chain_counts[16] = {1, 16, 64}, n_counts = 3;
    if (argc > 2) {
        n_counts = 0;
        for (int i = 2; i < argc && n_counts < 16; i++) {
            chain_counts[n_counts] = atoi(argv[i]);
            if (chain_counts[n_counts++] < 1) {
                fprintf(stderr, "bench: chain count '%s' must be >= 1\n", argv[i]);
                return 1;
            }
        }
    }
    opt_config cfg = opt_config_125m();
    opt_checkpoint ck;
    psamp_err err = {{0}};
    if (opt_checkpoint_random(&ck, &cfg, 1, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    printf("random OPT-125M shape, fp32, %d-token prompts, %d decode steps (medians); engine "
           "threads %d; OpenBLAS core %s\n",
           PROMPT, DECODE, threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN),
           openblas_get_corename());
    printf("%7s %12s %15s %15s %7s\n", "chains", "tokens/s", "decode GFLOP/s", "sgemm GFLOP/s",
           "ratio");
    for (int i = 0; i < n_counts; i++) {
        bench_result b;
        if (bench_chains(&ck, chain_counts[i], threads, &b) != 0) return 1;
        printf("%7d %12.1f %15.1f %15.1f %6.0f%%\n", chain_counts[i], b.tokens_per_s,
               b.decode_flops / 1e9, b.sgemm_flops / 1e9, 100 * b.decode_flops / b.sgemm_flops);
        fflush(stdout);
    }
    opt_checkpoint_close(&ck);
    return 0;
}
