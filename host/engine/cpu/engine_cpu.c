/* The engine.h operations over a model's CPU forward pass (engine_cpu_forward.h: OPT's,
 * below, or the Qwen2 / Llama / Phi-3 family's, engine_cpu_decoder.c). The slots' tokens,
 * lengths and argument checks are the shared slot table's (engine_slots.h); the forward keeps
 * the KV and the math. */
#include "engine_cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine_cpu_forward.h"
#include "engine_slots.h"
#include "opt_forward_cpu.h"
#include "philox.h"
#include "sample_row.h"

/* OpenBLAS's own (cblas.h may be the netlib one, which lacks it). */
void openblas_set_num_threads(int num_threads);

/* Rows of a prefill chunk: large enough for efficient GEMMs, small enough for the scratch. */
#define PREFILL_CHUNK PSAMP_CPU_PREFILL_CHUNK

typedef struct {
    psamp_engine base;
    cpu_pool *pool;
    cpu_forward *fwd;
    psamp_slot_table slots;
    int32_t eos_ids[CPU_MAX_EOS], n_eos;
    /* per-call scratch, sized for max_rows */
    opt_cpu_row *rows;
    const psamp_step_request *reqs;
    psamp_step_result *results;
    /* prefill log p */
    const int32_t *targets;
    float *logp_out;
    float score_tau;   /* prefill's scoring temperature */
} cpu_engine;

static cpu_engine *as_cpu(psamp_engine *e) { return (cpu_engine *)e; }

static void cpu_destroy(psamp_engine *base) {
    cpu_engine *e = as_cpu(base);
    if (e->fwd) e->fwd->ops->destroy(e->fwd);
    cpu_pool_destroy(e->pool);
    psamp_slots_free(&e->slots);
    free(e->rows);
    free(e->results);
    free(e);
}

/* log softmax(logits of row r / tau)[targets[r]] in double, for prefill's scores. */
static void logp_task(void *ctx, int64_t r, int thread) {
    cpu_engine *e = ctx;
    const int32_t v = e->base.info.vocab_size;
    const float *row = e->fwd->logits + (size_t)r * v;
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
    if (psamp_slots_check_prefill(&e->slots, slot, tokens, n, 0, tau, err)) return -1;
    /* The table refuses tau = +inf when scoring; this engine scores it (a uniform row), as it
     * always has, so it checks tau itself. */
    if (logp && !(tau > 0.0f))
        return psamp_fail(err, "cpu engine: prefill of slot %d: scoring temperature %g is not positive", slot, tau);
    e->score_tau = tau;
    psamp_slots_set(&e->slots, slot, tokens, n);
    const int32_t *seq = psamp_slot_tokens(&e->slots, slot);
    if (logp) logp[0] = 0.0f;
    /* Feed positions 0..n-2 (the last token stays pending), a chunk at a time. */
    const int32_t max_rows = e->fwd->max_rows;
    for (int32_t start = 0; start < n - 1; start += max_rows) {
        int32_t rows = n - 1 - start < max_rows ? n - 1 - start : max_rows;
        for (int32_t r = 0; r < rows; r++) e->rows[r] = (opt_cpu_row){slot, start + r, seq[start + r]};
        e->fwd->ops->rows(e->fwd, e->rows, rows, logp != NULL, &e->slots);
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
    /* The table checks that no dst feeds another fork of the call, so the copies may run in
     * any order. */
    if (psamp_slots_check_forks(&e->slots, forks, n, err)) return -1;
    for (int32_t i = 0; i < n; i++)
        if (forks[i].dst != forks[i].src)
            e->fwd->ops->copy_kv(e->fwd, forks[i].dst, forks[i].src, forks[i].keep - 1);
    psamp_slots_apply_forks(&e->slots, forks, n);
    return 0;
}

/* Samples request r's row with its own Philox draw. */
static void sample_task(void *ctx, int64_t r, int thread) {
    cpu_engine *e = ctx;
    const psamp_step_request *q = &e->reqs[r];
    const int32_t v = e->base.info.vocab_size;
    double u = psamp_u32_to_unit(psamp_philox_u32(q->seed, q->stream, q->counter));
    psamp_row_sample s = psamp_sample_row(e->fwd->logits + (size_t)r * v, v, q->tau, u);
    e->results[r] = (psamp_step_result){s.token, 0, s.logp, s.logq};
}

static int cpu_step(psamp_engine *base, const psamp_step_request *reqs, int32_t n,
                    psamp_step_result *out, psamp_err *err) {
    cpu_engine *e = as_cpu(base);
    if (psamp_slots_check_step(&e->slots, reqs, n, err)) return -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t slot = reqs[i].slot, pos = e->slots.length[slot] - 1;
        e->rows[i] = (opt_cpu_row){slot, pos, psamp_slot_tokens(&e->slots, slot)[pos]};
    }
    if (n == 0) return 0;
    e->fwd->ops->rows(e->fwd, e->rows, n, 1, &e->slots);
    e->reqs = reqs;
    cpu_pool_run(e->pool, n, sample_task, e);
    for (int32_t i = 0; i < n; i++) {
        psamp_step_result *r = &e->results[i];
        r->ended = psamp_slots_append(&e->slots, reqs[i].slot, r->token);
        for (int32_t k = 1; k < e->n_eos; k++) r->ended |= r->token == e->eos_ids[k];
        out[i] = *r;
    }
    return 0;
}

static const psamp_engine_ops cpu_ops = {cpu_destroy, cpu_prefill, cpu_fork, cpu_step};

int psamp_engine_cpu_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int psamp_engine_cpu_create_model(const cpu_model *m, int32_t n_slots, int32_t max_len,
                                  const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err) {
    *out = NULL;
    if (n_slots < 1) return psamp_fail(err, "cpu engine: n_slots must be >= 1, got %d", n_slots);
    if (max_len < 1 || max_len > m->max_positions)
        return psamp_fail(err, "cpu engine: max_len %d outside [1, %d] (max_position_embeddings)",
                          max_len, m->max_positions);
    cpu_engine *e = calloc(1, sizeof *e);
    if (!e) return psamp_fail(err, "cpu engine: out of memory");
    e->base.ops = &cpu_ops;
    int threads = opts && opts->n_threads > 0 ? opts->n_threads : psamp_engine_cpu_default_threads();
    /* The engine splits every GEMM over its own pool, one single-threaded sgemm per task, so
     * that one set of threads does all the work. OpenBLAS's threads would spin between GEMMs
     * and take the cores the pool needs for attention and sampling (OpenBLAS's advice for
     * multi-threaded callers is the same). Process-wide: OpenBLAS has no per-call setting. */
    openblas_set_num_threads(1);
    int32_t max_rows = n_slots > PREFILL_CHUNK ? n_slots : PREFILL_CHUNK;
    e->n_eos = m->n_eos < CPU_MAX_EOS ? m->n_eos : CPU_MAX_EOS;
    for (int32_t i = 0; i < e->n_eos; i++) e->eos_ids[i] = m->eos_ids[i];
    if (cpu_pool_create(&e->pool, threads, err) != 0 ||
        m->make(m->model, e->pool, n_slots, max_len, max_rows, &e->fwd, err) != 0 ||
        psamp_slots_init(&e->slots, "cpu engine", n_slots, max_len, m->vocab_size,
                         e->n_eos > 0 ? e->eos_ids[0] : -1, err) != 0)
        goto fail;
    e->rows = calloc((size_t)max_rows, sizeof *e->rows);
    e->results = calloc((size_t)max_rows, sizeof *e->results);
    if (!e->rows || !e->results) {
        psamp_fail(err, "cpu engine: out of memory for %d slots", n_slots);
        goto fail;
    }
    psamp_engine_info *info = &e->base.info;
    info->backend = "cpu";
    snprintf(info->detail, sizeof info->detail, "%s, fp32 on the CPU (OpenBLAS, %d threads)", m->describe,
             threads);
    info->vocab_size = m->vocab_size;
    info->n_slots = n_slots;
    info->max_len = max_len;
    info->min_prompt = 1;
    info->host_bytes = e->fwd->bytes + psamp_slots_bytes(n_slots, max_len) +
                       (uint64_t)max_rows * (sizeof *e->rows + sizeof *e->results);
    *out = &e->base;
    return 0;
fail:
    cpu_destroy(&e->base);
    return -1;
}

/* OPT's forward behind the table. */
typedef struct {
    cpu_forward base;
    opt_weights_f32 weights;
    opt_cpu_forward fwd;
} opt_cpu;

static void opt_rows(cpu_forward *f, const opt_cpu_row *rows, int32_t n, int want_logits,
                     const psamp_slot_table *slots) {
    (void)slots;
    opt_cpu_forward_rows(&((opt_cpu *)f)->fwd, rows, n, want_logits);
}

static void opt_copy_kv(cpu_forward *f, int32_t dst, int32_t src, int32_t n) {
    opt_cpu_forward_copy_kv(&((opt_cpu *)f)->fwd, dst, src, n);
}

static void opt_destroy(cpu_forward *f) {
    opt_cpu *o = (opt_cpu *)f;
    opt_cpu_forward_free(&o->fwd);
    opt_weights_f32_free(&o->weights);
    free(o);
}

static const cpu_forward_ops opt_forward_ops = {opt_rows, opt_copy_kv, opt_destroy};

static int opt_make(const void *model, cpu_pool *pool, int32_t n_slots, int32_t max_len, int32_t max_rows,
                    cpu_forward **out, psamp_err *err) {
    opt_cpu *o = calloc(1, sizeof *o);
    if (!o) return psamp_fail(err, "cpu engine: out of memory");
    o->base.ops = &opt_forward_ops;
    if (opt_weights_f32_load(&o->weights, model, err) != 0 ||
        opt_cpu_forward_init(&o->fwd, &o->weights, pool, n_slots, max_len, max_rows, err) != 0) {
        opt_destroy(&o->base);
        return -1;
    }
    o->base.logits = o->fwd.logits;
    o->base.max_rows = o->fwd.max_rows;
    o->base.bytes = o->fwd.bytes;
    *out = &o->base;
    return 0;
}

int psamp_engine_cpu_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                            const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err) {
    const opt_config *c = &ck->cfg;
    cpu_model m = {ck, opt_make, c->vocab_size, c->max_positions, {c->eos_id}, 1, ""};
    snprintf(m.describe, sizeof m.describe, "OPT %d layers, hidden %d, vocab %d", c->n_layers, c->hidden,
             c->vocab_size);
    return psamp_engine_cpu_create_model(&m, n_slots, max_len, opts, out, err);
}
