/* CUDA engine decode-step throughput on a random OPT-125M-shaped model (no download), with
 * the roofline of each step measured in the same run.
 *
 * One engine holds max(slots) + 1 slots of 288 tokens (a 32-token prompt + 256 new). A
 * template slot is prefilled with 287 random tokens; for each batch size n, slots 0..n-1 are
 * forked from it at random lengths in [33, 264] (one batched fork), then the whole batch is
 * stepped (tau = 1, each slot its own Philox stream): 3 warm-up steps (the first captures the
 * bucket's graph), then `steps` timed steps, host clock around each engine call (H2D, graph,
 * D2H, sync), median reported. Each size is timed once per set of kernel variants (column
 * "kernels", the name psamp_cuda_variants_name gives, and a role: the first version; the
 * previous default (GPU run 2); then one change added at a time up to the default; then the
 * variants that are off by default: steps as two overlapping halves with and without stream
 * priorities, and GEMMs through tuned cuBLASLt plans), each from a fresh fork at the same lengths;
 * then one layer's attention is timed alone in each attention kernel at those lengths
 * (bench_cuda_kernels.c), with its KV rate, and the step's small kernels alone
 * (bench_cuda_budget.c).
 *
 * Floor of a step = max(FLOP time, byte time), both from rates measured here:
 *   FLOPs: 2 per multiply-add of the linear layers and lm_head over n rows, plus attention
 *          (4 * hidden * kv_len per slot and layer); rate: cuBLAS on the model's own GEMM
 *          shapes at M = 4096 rows (the engine's call, dtype inputs, fp32 output/compute).
 *   bytes: every weight matrix once + every active slot's K and V read once; rate: a 1 GiB
 *          device-to-device copy, counting bytes read + written.
 * ratio = measured step / floor (goal: <= 1.5 at 1024 slots). "gemm ms" is the variant's
 * GEMMs alone (cuBLAS, or the GEMV at <= 8 rows) on the step's shapes at M = n: the step's
 * time minus it is attention, sampling and the small kernels. For "+tune" it is the engine's
 * own GEMMs with its tuned plans (psamp_engine_cuda_time_gemms), and a "BENCH tune" line
 * gives the same engine's GEMMs untuned, the plan count and the tuning time.
 *
 * usage: bench_cuda [--dtype fp16|bf16|fp32] [--kv fp8] [--steps N] [--profile ROLE] [slots ...]
 *        (default 1 64 256 1024 4096)
 * --kv fp8: the engine keeps its KV cache in fp8 (psamp_cuda_options.kv_fp8); the floor's
 * KV bytes are then hidden + 4 * heads per position, layer and cache, and only the default
 * role is timed (as --profile default: the attention variants do not apply to fp8).
 * --profile ROLE times only that role and nothing alone, and wraps the last timed step of
 * each size in the NVTX range "psamp_step", so that a profiler sees exactly one whole step
 * (tests/gpu/check.sh: ncu --nvtx --nvtx-include "psamp_step/" --graph-profiling node).
 * Lines starting "BENCH" are the machine-readable summary (tests/gpu/check.sh). */
#include <nvtx3/nvToolsExt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cuda.h"
#include "clock.h"
#include "engine_cuda.h"
#include "kernels.h"
#include "opt_checkpoint.h"
#include "philox.h"

#define PROMPT 32
#define NEW_TOKENS 256
#define MAX_LEN (PROMPT + NEW_TOKENS)
#define WARMUP 3
#define RATE_ROWS 4096
#define MAX_SIZES 16

/* The step's GEMMs (engine_cuda_forward.c): per layer qkv, out, fc1, fc2, then lm_head. */
static int model_shapes(const opt_config *c, gemm_shape *s) {
    const int h = c->hidden, f = c->ffn_dim, l = c->n_layers;
    s[0] = (gemm_shape){3 * h, h, l};
    s[1] = (gemm_shape){h, h, l};
    s[2] = (gemm_shape){f, h, l};
    s[3] = (gemm_shape){h, f, l};
    s[4] = (gemm_shape){c->vocab_size, c->word_embed_proj_dim, 1};
    return 5;
}

typedef struct {
    cublasHandle_t blas;
    const gemm_shape *s;
    int n_shapes, m;
    const void *x, *w;
    float *y;
    cudaDataType_t t;
} gemm_work;

/* One step's GEMMs at m rows, the engine's call (row-major x W^T, fp32 out and compute). */
static int run_gemms(const void *ctx) {
    const gemm_work *g = ctx;
    const float one = 1.0f, zero = 0.0f;
    for (int i = 0; i < g->n_shapes; i++)
        for (int r = 0; r < g->s[i].count; r++)
            BENCH_BLAS(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, g->s[i].n, g->m, g->s[i].k,
                                    &one, g->w, g->t, g->s[i].k, g->x, g->t, g->s[i].k, &zero, g->y,
                                    CUDA_R_32F, g->s[i].n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return 0;
}

static int time_gemms(cublasHandle_t blas, cudaStream_t stream, const gemm_shape *s, int n_shapes,
                      int m, const void *x, const void *w, float *y, psamp_dtype dt, double *sec) {
    const gemm_work g = {blas, s, n_shapes, m, x, w, y,
                         dt == PSAMP_F16 ? CUDA_R_16F : dt == PSAMP_BF16 ? CUDA_R_16BF : CUDA_R_32F};
    return median_seconds(stream, run_gemms, &g, sec);
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

/* Device-to-device copy rate in bytes/s (read + written), 1 GiB, median of 5. */
static int copy_rate(cudaStream_t stream, double *rate) {
    const size_t bytes = (size_t)1 << 30;
    void *src = NULL, *dst = NULL;
    BENCH_CUDA(cudaMalloc(&src, bytes));
    BENCH_CUDA(cudaMalloc(&dst, bytes));
    BENCH_CUDA(cudaMemset(src, 0x5a, bytes));
    BENCH_CUDA(cudaDeviceSynchronize());
    const copy_work c = {dst, src, bytes, stream};
    double sec = 0.0;
    const int rc = median_seconds(stream, run_copy, &c, &sec);
    cudaFree(src), cudaFree(dst);
    if (rc) return -1;
    *rate = 2.0 * (double)bytes / sec;
    return 0;
}

typedef struct {
    cublasHandle_t blas;
    cudaStream_t stream;
    void *x, *w;
    float *y;
    gemm_shape shapes[5];
    int n_shapes;
    double gemm_flops_per_row; /* 2 * multiply-adds of one row through every GEMM */
    double weight_bytes;
    double gemm_rate, copy_rate; /* FLOP/s at RATE_ROWS rows, bytes/s */
} ceilings;

/* rows: the most rows any timing here uses (RATE_ROWS or the largest batch). */
static int measure_ceilings(const opt_config *c, psamp_dtype dt, int rows, ceilings *m) {
    memset(m, 0, sizeof *m);
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    m->n_shapes = model_shapes(c, m->shapes);
    size_t max_w = 0, max_k = 0, max_n = 0;
    for (int i = 0; i < m->n_shapes; i++) {
        const gemm_shape *s = &m->shapes[i];
        const size_t w = (size_t)s->n * (size_t)s->k;
        m->gemm_flops_per_row += 2.0 * (double)w * s->count;
        m->weight_bytes += (double)(w * es) * s->count;
        max_w = w > max_w ? w : max_w;
        max_k = (size_t)s->k > max_k ? (size_t)s->k : max_k;
        max_n = (size_t)s->n > max_n ? (size_t)s->n : max_n;
    }
    BENCH_BLAS(cublasCreate(&m->blas));
    BENCH_CUDA(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking));
    BENCH_BLAS(cublasSetStream(m->blas, m->stream));
    if (random_device(&m->w, max_w, dt, 11) || random_device(&m->x, (size_t)rows * max_k, dt, 12))
        return -1;
    BENCH_CUDA(cudaMalloc((void **)&m->y, (size_t)rows * max_n * sizeof(float)));
    BENCH_CUDA(cudaDeviceSynchronize()); /* uploads ran on the legacy stream */
    double sec = 0.0;
    if (time_gemms(m->blas, m->stream, m->shapes, m->n_shapes, RATE_ROWS, m->x, m->w, m->y, dt, &sec))
        return -1;
    m->gemm_rate = m->gemm_flops_per_row * RATE_ROWS / sec;
    return copy_rate(m->stream, &m->copy_rate);
}

/* One step's GEMMs through the GEMV at n rows, on the ceilings' buffers. */
static int time_gvs(const ceilings *m, int n, psamp_dtype dt, double *sec) {
    return time_gemvs(m->stream, m->shapes, m->n_shapes, n, m->x, m->w, m->y, dt, sec);
}

static void free_ceilings(ceilings *m) {
    cudaFree(m->x), cudaFree(m->w), cudaFree(m->y);
    if (m->blas) cublasDestroy(m->blas);
    if (m->stream) cudaStreamDestroy(m->stream);
}

/* Forks slots 0..n-1 from the template (slot i keeps keep[i] tokens) and times `steps`
 * batched steps after WARMUP (the first captures the bucket's graph): median seconds. */
/* mark_last: the last step runs inside the NVTX range "psamp_step" (a no-op unless a
 * profiler is attached). */
static int time_steps(psamp_engine *e, int n, int steps, int32_t template_slot, const int *keep,
                      int mark_last, double *step_s) {
    psamp_err err = {{0}};
    psamp_fork_request *forks = malloc((size_t)n * sizeof *forks);
    psamp_step_request *reqs = malloc((size_t)n * sizeof *reqs);
    psamp_step_result *res = malloc((size_t)n * sizeof *res);
    double *times = malloc((size_t)steps * sizeof *times);
    int rc = -1;
    if (forks && reqs && res && times) {
        for (int i = 0; i < n; i++) forks[i] = (psamp_fork_request){i, template_slot, keep[i]};
        rc = e->ops->fork(e, forks, n, &err);
        for (int s = 0; rc == 0 && s < WARMUP + steps; s++) {
            for (int i = 0; i < n; i++)
                reqs[i] = (psamp_step_request){i, 1.0f, 42, psamp_stream_tokens((uint64_t)i), (uint64_t)s};
            const int marked = mark_last && s == WARMUP + steps - 1;
            if (marked) nvtxRangePushA("psamp_step");
            const double t0 = psamp_now_seconds();
            rc = e->ops->step(e, reqs, n, res, &err);
            if (s >= WARMUP) times[s - WARMUP] = psamp_now_seconds() - t0;
            if (marked) nvtxRangePop();
        }
        if (rc != 0) fprintf(stderr, "bench_cuda: %d slots: %s\n", n, err.msg);
        else *step_s = median(times, steps);
    } else {
        fprintf(stderr, "bench_cuda: out of host memory\n");
    }
    free(forks), free(reqs), free(res), free(times);
    return rc;
}

/* The sets of kernel variants each size is timed with, in order, each with its role (the
 * BENCH lines' role=, which tests/gpu/check.sh tabulates): consecutive rows from "previous"
 * to "default" differ in one change each, so each change's gain is the difference of two
 * rows of one run. */
static const struct {
    const char *role;
    psamp_cuda_variants v;
} VARIANTS[] = {
    {"first", {PSAMP_CUDA_ATTN_SPLIT, PSAMP_CUDA_GEMM_CUBLAS, PSAMP_CUDA_NORM_LOOP,
               PSAMP_CUDA_SAMPLE_THREEPASS, PSAMP_CUDA_KV_SEPARATE, PSAMP_CUDA_FFN_SEPARATE, 0, 0}},
    {"previous", {0, 0, PSAMP_CUDA_NORM_LOOP, PSAMP_CUDA_SAMPLE_THREEPASS, PSAMP_CUDA_KV_SEPARATE,
                  PSAMP_CUDA_FFN_SEPARATE, 0, 0}},
    {"+rows", {0, 0, PSAMP_CUDA_NORM_ROWS, PSAMP_CUDA_SAMPLE_THREEPASS, PSAMP_CUDA_KV_SEPARATE,
               PSAMP_CUDA_FFN_SEPARATE, 0, 0}},
    {"+onepass", {0, 0, 0, PSAMP_CUDA_SAMPLE_ONEPASS, PSAMP_CUDA_KV_SEPARATE, PSAMP_CUDA_FFN_SEPARATE, 0, 0}},
    {"+fusedkv", {0, 0, 0, 0, PSAMP_CUDA_KV_FUSED, PSAMP_CUDA_FFN_SEPARATE, 0, 0}},
    {"default", {0, 0, 0, 0, 0, PSAMP_CUDA_FFN_EPILOGUE, 0, 0}},
    {"+halves", {0, 0, 0, 0, 0, PSAMP_CUDA_FFN_EPILOGUE, PSAMP_CUDA_OVERLAP_HALVES, 0}},
    {"+flat", {0, 0, 0, 0, 0, PSAMP_CUDA_FFN_EPILOGUE, PSAMP_CUDA_OVERLAP_FLAT, 0}},
    {"+tune", {0, 0, 0, 0, 0, PSAMP_CUDA_FFN_EPILOGUE, 0, PSAMP_CUDA_GEMM_TUNE_ON}},
    /* timed at <= 8 slots only: above, its steps are the default's */
    {"+fused", {0, PSAMP_CUDA_GEMM_FUSED, 0, 0, 0, PSAMP_CUDA_FFN_EPILOGUE, 0, 0}},
};

/* The tuned variant's GEMMs as the engine runs them (its plans, tuned in the warm-up steps;
 * the bench's own cuBLAS calls cannot use them) into *gemm_s, and a BENCH line beside them:
 * the same engine's GEMMs untuned (its default path, fc1's epilogue included), the plans and
 * the host time their tuning took. Leaves e's variants untuned. */
static int tuned_gemms(psamp_engine *e, int n, const psamp_cuda_variants *var, double *gemm_s) {
    psamp_err err = {{0}};
    int32_t plans = 0;
    double tune_s = 0.0, untuned_s = 0.0;
    psamp_engine_cuda_tune_stats(e, &plans, &tune_s);
    psamp_cuda_variants off = *var;
    off.gemm_tune = PSAMP_CUDA_GEMM_TUNE_OFF;
    if (psamp_engine_cuda_time_gemms(e, n, gemm_s, &err) ||
        psamp_engine_cuda_set_variants(e, &off, &err) ||
        psamp_engine_cuda_time_gemms(e, n, &untuned_s, &err)) {
        fprintf(stderr, "bench_cuda: %d slots: %s\n", n, err.msg);
        return -1;
    }
    printf("BENCH tune slots=%d plans=%d tune_ms=%.1f engine_gemm_tuned_ms=%.3f "
           "engine_gemm_untuned_ms=%.3f\n",
           n, plans, tune_s * 1e3, *gemm_s * 1e3, untuned_s * 1e3);
    return 0;
}

/* Slot lengths drawn once for size n, then the same steps timed with each variant: one
 * table row per variant, and one layer's attention alone in both variants. */
static int run_size(psamp_engine *e, const opt_config *c, psamp_dtype dt, int kv_fp8, int n,
                    int steps, const char *profile_role, int32_t template_slot,
                    const ceilings *m, uint64_t *rng) {
    int *keep = malloc((size_t)n * sizeof *keep), *len = malloc((size_t)n * sizeof *len);
    if (!keep || !len) {
        free(keep), free(len);
        fprintf(stderr, "bench_cuda: out of host memory\n");
        return -1;
    }
    const int max_keep = MAX_LEN - WARMUP - steps - 1;
    double kv_positions = 0.0; /* sum of the slots' KV lengths over the timed steps */
    for (int i = 0; i < n; i++) {
        keep[i] = PROMPT + 1 + (int)(splitmix64(rng) % (uint64_t)(max_keep - PROMPT));
        /* A step at length len reads len KV positions (the pending token's included). */
        kv_positions += (double)steps * (keep[i] + WARMUP) + 0.5 * steps * (steps - 1.0);
        len[i] = keep[i] + WARMUP + steps / 2; /* a middle timed step's length */
    }
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    /* one position of one layer's K (or V) cache */
    const double pos_bytes = kv_fp8 ? c->hidden + 4.0 * c->n_heads : (double)c->hidden * (double)es;
    const double kv_per_step = kv_positions / steps; /* summed over slots */
    const double flops = m->gemm_flops_per_row * n + 4.0 * c->hidden * c->n_layers * kv_per_step;
    const double bytes = m->weight_bytes + 2.0 * c->n_layers * pos_bytes * kv_per_step;
    const double flop_s = flops / m->gemm_rate, byte_s = bytes / m->copy_rate;
    const double floor = flop_s > byte_s ? flop_s : byte_s;
    double blas_s = -1e-3, gemv_s = -1e-3; /* -1 ms printed when a timing failed */
    if (time_gemms(m->blas, m->stream, m->shapes, m->n_shapes, n, m->x, m->w, m->y, dt, &blas_s))
        blas_s = -1e-3;
    const int gemv_applies = n <= PSAMP_GEMV_MAX_ROWS;
    if (gemv_applies && time_gvs(m, n, dt, &gemv_s)) gemv_s = -1e-3;
    int rc = 0;
    for (size_t v = 0; rc == 0 && v < sizeof VARIANTS / sizeof VARIANTS[0]; v++) {
        if (profile_role && strcmp(profile_role, VARIANTS[v].role) != 0) continue;
        const psamp_cuda_variants *var = &VARIANTS[v].v;
        if (var->gemm == PSAMP_CUDA_GEMM_FUSED && n > PSAMP_GEMV_MAX_ROWS) continue;
        psamp_err err = {{0}};
        double step = 0.0;
        rc = psamp_engine_cuda_set_variants(e, var, &err);
        if (rc) fprintf(stderr, "bench_cuda: %s\n", err.msg);
        if (rc == 0) rc = time_steps(e, n, steps, template_slot, keep, profile_role != NULL, &step);
        if (rc) break;
        char name[PSAMP_CUDA_VARIANTS_NAME_MAX];
        psamp_cuda_variants_name(var, name);
        double gemm_s = var->gemm != PSAMP_CUDA_GEMM_CUBLAS && gemv_applies ? gemv_s : blas_s;
        if (var->gemm_tune == PSAMP_CUDA_GEMM_TUNE_ON && tuned_gemms(e, n, var, &gemm_s))
            gemm_s = -1e-3;
        char role[32];
        snprintf(role, sizeof role, "%s%s", VARIANTS[v].role, kv_fp8 ? "+kv8" : "");
        printf("%6d %-14s %-36s %8.3f %10.0f %8.3f %8.3f %8.3f %8.3f %6.2f %s\n", n,
               role, name, step * 1e3, n / step, gemm_s * 1e3, flop_s * 1e3,
               byte_s * 1e3, floor * 1e3, step / floor, flop_s > byte_s ? "flops" : "bytes");
        printf("BENCH slots=%d role=%s kernels=%s step_ms=%.3f tok_s=%.0f gemm_ms=%.3f "
               "floor_ms=%.3f ratio=%.2f bound=%s\n",
               n, role, name, step * 1e3, n / step, gemm_s * 1e3, floor * 1e3,
               step / floor, flop_s > byte_s ? "flops" : "bytes");
    }
    if (rc == 0 && !profile_role) rc = time_attention(m->stream, n, len, MAX_LEN, dt);
    if (rc == 0 && !profile_role) rc = time_budget(m->stream, n, len, MAX_LEN, dt);
    free(keep), free(len);
    return rc;
}

static int known_role(const char *role) {
    for (size_t v = 0; v < sizeof VARIANTS / sizeof VARIANTS[0]; v++)
        if (strcmp(role, VARIANTS[v].role) == 0) return 1;
    return 0;
}

static int parse_args(int argc, char **argv, psamp_dtype *dt, int *kv_fp8, int *steps,
                      const char **profile_role, int *sizes, int *n_sizes) {
    *n_sizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kv") == 0 && i + 1 < argc) {
            if (strcmp(argv[++i], "fp8") != 0)
                return fprintf(stderr, "bench_cuda: --kv %s: expected fp8\n", argv[i]), -1;
            *kv_fp8 = 1;
            continue;
        }
        if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            *profile_role = argv[++i];
            if (!known_role(*profile_role))
                return fprintf(stderr, "bench_cuda: --profile %s: not one of bench_cuda.c's roles\n",
                               *profile_role), -1;
            continue;
        }
        if (strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "fp16") == 0) *dt = PSAMP_F16;
            else if (strcmp(v, "bf16") == 0) *dt = PSAMP_BF16;
            else if (strcmp(v, "fp32") == 0) *dt = PSAMP_F32;
            else return fprintf(stderr, "bench_cuda: --dtype %s: expected fp16, bf16 or fp32\n", v), -1;
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            *steps = atoi(argv[++i]);
            if (*steps < 1 || *steps > 200)
                return fprintf(stderr, "bench_cuda: --steps %s: expected 1 to 200\n", argv[i]), -1;
        } else {
            const int n = atoi(argv[i]);
            if (n < 1 || n > 65536 || *n_sizes == MAX_SIZES)
                return fprintf(stderr, "bench_cuda: slot count '%s': expected 1 to 65536 (at most %d counts)\n",
                               argv[i], MAX_SIZES), -1;
            sizes[(*n_sizes)++] = n;
        }
    }
    if (*n_sizes == 0) {
        const int defaults[] = {1, 64, 256, 1024, 4096};
        for (int i = 0; i < 5; i++) sizes[i] = defaults[i];
        *n_sizes = 5;
    }
    return 0;
}

int main(int argc, char **argv) {
    psamp_dtype dt = PSAMP_F16;
    int steps = 20, sizes[MAX_SIZES], n_sizes = 0, kv_fp8 = 0;
    const char *profile_role = NULL;
    if (parse_args(argc, argv, &dt, &kv_fp8, &steps, &profile_role, sizes, &n_sizes)) return 2;
    if (kv_fp8 && !profile_role) profile_role = "default";
    if (psamp_cuda_device_count() == 0) {
        fprintf(stderr, "bench_cuda: no CUDA device\n");
        return 1;
    }
    int max_n = 0;
    for (int i = 0; i < n_sizes; i++) max_n = sizes[i] > max_n ? sizes[i] : max_n;
    const opt_config cfg = opt_config_125m();
    opt_checkpoint ck;
    psamp_err err = {{0}};
    if (opt_checkpoint_random(&ck, &cfg, 1, &err)) {
        fprintf(stderr, "bench_cuda: %s\n", err.msg);
        return 1;
    }
    psamp_engine *e = NULL;
    const psamp_cuda_options opts = {.dtype = dt, .kv_fp8 = kv_fp8};
    const double t0 = psamp_now_seconds();
    const int created = psamp_engine_cuda_create(&ck, max_n + 1, MAX_LEN, &opts, &e, &err) == 0;
    opt_checkpoint_close(&ck);
    if (!created) {
        fprintf(stderr, "bench_cuda: %s\n", err.msg);
        return 1;
    }
    printf("bench_cuda: %s; %d slots x %d tokens, created in %.1f s\n", e->info.detail, max_n + 1,
           MAX_LEN, psamp_now_seconds() - t0);
    ceilings m;
    int rc = measure_ceilings(&cfg, dt, max_n > RATE_ROWS ? max_n : RATE_ROWS, &m);
    if (rc == 0) {
        printf("measured: cuBLAS %.1f TFLOP/s on the model's GEMMs at %d rows; copy %.0f GB/s (read + write)\n",
               m.gemm_rate * 1e-12, RATE_ROWS, m.copy_rate * 1e-9);
        printf("BENCH gemm_tflops=%.1f copy_gbs=%.0f\n", m.gemm_rate * 1e-12, m.copy_rate * 1e-9);
        /* The template: 287 random tokens after BOS, positions 0..286 of the KV. */
        int32_t prompt[MAX_LEN - 1];
        uint64_t rng = 7;
        prompt[0] = 2;
        for (int i = 1; i < MAX_LEN - 1; i++) prompt[i] = 3 + (int32_t)(splitmix64(&rng) % 50000);
        rc = e->ops->prefill(e, max_n, prompt, MAX_LEN - 1, 1.0f, NULL, &err);
        if (rc) fprintf(stderr, "bench_cuda: prefill: %s\n", err.msg);
    }
    if (rc == 0)
        printf("%6s %-14s %-36s %8s %10s %8s %8s %8s %8s %6s %s\n", "slots", "role", "kernels",
               "step ms", "tok/s", "gemm ms", "flop ms", "byte ms", "floor ms", "ratio", "bound");
    for (int i = 0; rc == 0 && i < n_sizes; i++) {
        uint64_t rng = 1000 + (uint64_t)i;
        rc = run_size(e, &cfg, dt, kv_fp8, sizes[i], steps, profile_role, max_n, &m, &rng);
    }
    free_ceilings(&m);
    psamp_engine_destroy(e);
    return rc == 0 ? 0 : 1;
}
