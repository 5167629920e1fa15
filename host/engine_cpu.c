/* The CPU engine's slots and the engine.h operations over opt_forward_cpu. A slot of
 * length n holds tokens[0..n) and the KV of positions [0, n-1): its last token is pending
 * and is fed by the next step (or dropped by a fork). */
#include "engine_cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt_forward_cpu.h"
#include "philox.h"
#include "sample_row.h"

/* OpenBLAS's own (cblas.h may be the netlib one, which lacks it). */
void openblas_set_num_threads(int num_threads);

/* Rows of a prefill chunk: large enough for efficient GEMMs, small enough for the scratch. */
#define PREFILL_CHUNK 64

typedef struct {
    psamp_engine base;
    opt_weights_f32 weights;
    cpu_pool *pool;
    opt_cpu_forward fwd;
    int32_t *tokens;  /* [n_slots, max_len] */
    int32_t *length;  /* [n_slots] */
    /* per-call scratch, sized for max_rows */
    opt_cpu_row *rows;
    const psamp_step_request *reqs;
    psamp_step_result *results;
    int32_t *seen;    /* [n_slots] step/fork stamps to catch repeated slots */
    int32_t stamp;
    /* prefill log p */
    const int32_t *targets;
    float *logp_out;
    float score_tau;   /* prefill's scoring temperature */
} cpu_engine;

static cpu_engine *as_cpu(psamp_engine *e) { return (cpu_engine *)e; }

static void cpu_destroy(psamp_engine *base) {
    cpu_engine *e = as_cpu(base);
    opt_cpu_forward_free(&e->fwd);
    cpu_pool_destroy(e->pool);
    opt_weights_f32_free(&e->weights);
    free(e->tokens);
    free(e->length);
    free(e->rows);
    free(e->results);
    free(e->seen);
    free(e);
}

/* what names the argument ("prefill", "step request 3", "fork request 0 (src)"). */
static int check_slot(const cpu_engine *e, int32_t slot, const char *what, psamp_err *err) {
    if (slot < 0 || slot >= e->base.info.n_slots)
        return psamp_fail(err, "cpu engine: %s: slot %d outside [0, %d)", what, slot,
                          e->base.info.n_slots);
    return 0;
}

/* A new stamp for the repeated-slot check (the array is cleared when stamps wrap). */
static int32_t next_stamp(cpu_engine *e) {
    if (e->stamp == INT32_MAX) {
        memset(e->seen, 0, (size_t)e->base.info.n_slots * sizeof *e->seen);
        e->stamp = 0;
    }
    return ++e->stamp;
}

/* log softmax(logits of row r / tau)[targets[r]] in double, for prefill's scores. */
static void logp_task(void *ctx, int64_t r, int thread) {
    cpu_engine *e = ctx;
    const int32_t v = e->base.info.vocab_size;
    const float *row = e->fwd.logits + (size_t)r * v;
    const double inv_tau = 1.0 / (double)e->score_tau;
    float max = row[0];
    for (int32_t i = 1; i < v; i++) max = row[i] > max ? row[i] : max;
    double sum = 0.0;
    for (int32_t i = 0; i < v; i++) sum += exp(((double)row[i] - max) * inv_tau);
    e->logp_out[r] = (float)(((double)row[e->targets[r]] - max) * inv_tau - log(sum));
}

static int cpu_prefill(psamp_engine *base, int32_t slot, const int32_t *tokens, int32_t n,
                       float tau, float *logp, psamp_err *err) {
    cpu_engine *e = as_cpu(base);
    const psamp_engine_info *info = &base->info;
    if (check_slot(e, slot, "prefill", err)) return -1;
    if (n < 1 || n > info->max_len)
        return psamp_fail(err, "cpu engine: prefill of slot %d: %d tokens, expected 1 to %d (max_len)",
                          slot, n, info->max_len);
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= info->vocab_size)
            return psamp_fail(err, "cpu engine: prefill of slot %d: token %d at index %d is outside the vocabulary [0, %d)",
                              slot, tokens[i], i, info->vocab_size);
    if (logp && !(tau > 0.0f))
        return psamp_fail(err, "cpu engine: prefill of slot %d: scoring temperature %g is not positive", slot, tau);
    e->score_tau = tau;
    int32_t *seq = e->tokens + (size_t)slot * info->max_len;
    memmove(seq, tokens, (size_t)n * sizeof *seq);
    e->length[slot] = n;
    if (logp) logp[0] = 0.0f;
    /* Feed positions 0..n-2 (the last token stays pending), a chunk at a time. */
    for (int32_t start = 0; start < n - 1; start += e->fwd.max_rows) {
        int32_t rows = n - 1 - start < e->fwd.max_rows ? n - 1 - start : e->fwd.max_rows;
        for (int32_t r = 0; r < rows; r++) e->rows[r] = (opt_cpu_row){slot, start + r, seq[start + r]};
        opt_cpu_forward_rows(&e->fwd, e->rows, rows, logp != NULL);
        if (logp) {
            e->targets = seq + start + 1;
            e->logp_out = logp + start + 1;
            cpu_pool_run(e->pool, rows, logp_task, e);
        }
    }
    return 0;
}

static int cpu_fork(psamp_engine *base, const psamp_fork_request *forks, int32_t n, psamp_err *err) {
    cpu_engine *e = as_cpu(base);
    const int32_t max_len = base->info.max_len;
    int32_t stamp = next_stamp(e);
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        char what[48];
        snprintf(what, sizeof what, "fork request %d (dst)", i);
        if (check_slot(e, f->dst, what, err)) return -1;
        snprintf(what, sizeof what, "fork request %d (src)", i);
        if (check_slot(e, f->src, what, err)) return -1;
        if (f->keep < 0 || f->keep > e->length[f->src])
            return psamp_fail(err, "cpu engine: fork request %d: keep %d outside [0, %d] (length of slot %d)",
                              i, f->keep, e->length[f->src], f->src);
        if (e->seen[f->dst] == stamp)
            return psamp_fail(err, "cpu engine: fork request %d: slot %d is the destination of two forks",
                              i, f->dst);
        e->seen[f->dst] = stamp;
    }
    /* No dst may feed another fork of the call: the forks must not depend on their order. */
    for (int32_t i = 0; i < n; i++)
        if (forks[i].src != forks[i].dst && e->seen[forks[i].src] == stamp)
            return psamp_fail(err, "cpu engine: fork request %d: source slot %d is also a fork destination in this call",
                              i, forks[i].src);
    for (int32_t i = 0; i < n; i++) {
        const psamp_fork_request *f = &forks[i];
        if (f->dst != f->src) {
            memcpy(e->tokens + (size_t)f->dst * max_len, e->tokens + (size_t)f->src * max_len,
                   (size_t)f->keep * sizeof(int32_t));
            opt_cpu_forward_copy_kv(&e->fwd, f->dst, f->src, f->keep - 1);
        }
        e->length[f->dst] = f->keep;
    }
    return 0;
}

/* Samples request r's row with its own Philox draw. */
static void sample_task(void *ctx, int64_t r, int thread) {
    cpu_engine *e = ctx;
    const psamp_step_request *q = &e->reqs[r];
    const int32_t v = e->base.info.vocab_size;
    double u = psamp_u32_to_unit(psamp_philox_u32(q->seed, q->stream, q->counter));
    psamp_row_sample s = psamp_sample_row(e->fwd.logits + (size_t)r * v, v, q->tau, u);
    e->results[r] = (psamp_step_result){s.token, 0, s.logp, s.logq};
}

static int cpu_step(psamp_engine *base, const psamp_step_request *reqs, int32_t n,
                    psamp_step_result *out, psamp_err *err) {
    cpu_engine *e = as_cpu(base);
    const psamp_engine_info *info = &base->info;
    if (n < 0 || n > info->n_slots)
        return psamp_fail(err, "cpu engine: step of %d requests, expected 0 to %d (n_slots)", n,
                          info->n_slots);
    int32_t stamp = next_stamp(e);
    for (int32_t i = 0; i < n; i++) {
        int32_t slot = reqs[i].slot;
        char what[32];
        snprintf(what, sizeof what, "step request %d", i);
        if (check_slot(e, slot, what, err)) return -1;
        if (e->seen[slot] == stamp)
            return psamp_fail(err, "cpu engine: step request %d: slot %d is requested twice", i, slot);
        e->seen[slot] = stamp;
        if (e->length[slot] < 1)
            return psamp_fail(err, "cpu engine: step request %d: slot %d is empty (prefill it first)",
                              i, slot);
        if (e->length[slot] >= info->max_len)
            return psamp_fail(err, "cpu engine: step request %d: slot %d is full (%d tokens, max_len %d)",
                              i, slot, e->length[slot], info->max_len);
        if (!(reqs[i].tau >= 0.0f) || isinf(reqs[i].tau))
            return psamp_fail(err, "cpu engine: step request %d: tau %g must be finite and >= 0", i,
                              (double)reqs[i].tau);
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t slot = reqs[i].slot, pos = e->length[slot] - 1;
        e->rows[i] = (opt_cpu_row){slot, pos, e->tokens[(size_t)slot * info->max_len + pos]};
    }
    if (n == 0) return 0;
    opt_cpu_forward_rows(&e->fwd, e->rows, n, 1);
    e->reqs = reqs;
    cpu_pool_run(e->pool, n, sample_task, e);
    for (int32_t i = 0; i < n; i++) {
        int32_t slot = reqs[i].slot;
        psamp_step_result *r = &e->results[i];
        r->ended = r->token == e->weights.cfg.eos_id;
        e->tokens[(size_t)slot * info->max_len + e->length[slot]] = r->token;
        e->length[slot]++;
        out[i] = *r;
    }
    return 0;
}

static const psamp_engine_ops cpu_ops = {cpu_destroy, cpu_prefill, cpu_fork, cpu_step};

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int psamp_engine_cpu_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                            const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err) {
    *out = NULL;
    const opt_config *c = &ck->cfg;
    if (n_slots < 1) return psamp_fail(err, "cpu engine: n_slots must be >= 1, got %d", n_slots);
    if (max_len < 1 || max_len > c->max_positions)
        return psamp_fail(err, "cpu engine: max_len %d outside [1, %d] (max_position_embeddings)",
                          max_len, c->max_positions);
    cpu_engine *e = calloc(1, sizeof *e);
    if (!e) return psamp_fail(err, "cpu engine: out of memory");
    e->base.ops = &cpu_ops;
    int threads = opts && opts->n_threads > 0 ? opts->n_threads : default_threads();
    /* The engine splits every GEMM over its own pool, one single-threaded sgemm per task, so
     * that one set of threads does all the work. OpenBLAS's threads would spin between GEMMs
     * and take the cores the pool needs for attention and sampling (OpenBLAS's advice for
     * multi-threaded callers is the same). Process-wide: OpenBLAS has no per-call setting. */
    openblas_set_num_threads(1);
    int32_t max_rows = n_slots > PREFILL_CHUNK ? n_slots : PREFILL_CHUNK;
    if (opt_weights_f32_load(&e->weights, ck, err) != 0 || cpu_pool_create(&e->pool, threads, err) != 0 ||
        opt_cpu_forward_init(&e->fwd, &e->weights, e->pool, n_slots, max_len, max_rows, err) != 0)
        goto fail;
    e->tokens = calloc((size_t)n_slots * (size_t)max_len, sizeof *e->tokens);
    e->length = calloc((size_t)n_slots, sizeof *e->length);
    e->rows = calloc((size_t)max_rows, sizeof *e->rows);
    e->results = calloc((size_t)max_rows, sizeof *e->results);
    e->seen = calloc((size_t)n_slots, sizeof *e->seen);
    if (!e->tokens || !e->length || !e->rows || !e->results || !e->seen) {
        psamp_fail(err, "cpu engine: out of memory for %d slots", n_slots);
        goto fail;
    }
    psamp_engine_info *info = &e->base.info;
    info->backend = "cpu";
    snprintf(info->detail, sizeof info->detail,
             "OPT %d layers, hidden %d, vocab %d, fp32 on the CPU (OpenBLAS, %d threads)",
             c->n_layers, c->hidden, c->vocab_size, threads);
    info->vocab_size = c->vocab_size;
    info->n_slots = n_slots;
    info->max_len = max_len;
    info->min_prompt = 1;
    *out = &e->base;
    return 0;
fail:
    cpu_destroy(&e->base);
    return -1;
}
