/* The round loop: gather every chain's pending work into one fork call and one batched
 * step call, feed the results back, let each chain's state machine move on. The state
 * machines themselves live in sampler_chain.c. */
#include "sampler.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sampler_chain.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void psamp_run_result_free(psamp_run_result *r) {
    if (!r || !r->chains) return;
    for (int32_t i = 0; i < r->n_chains; i++) {
        free(r->chains[i].tokens);
        free(r->chains[i].logp);
    }
    free(r->chains);
    r->chains = NULL;
    r->n_chains = 0;
}

typedef struct {
    sampler_chain *chains;
    int32_t n_chains;
    psamp_fork_request *forks;
    psamp_step_request *reqs;
    psamp_step_result *results;
    sampler_req_owner *owners; /* where each request's result goes */
} round_buffers;

static void free_buffers(round_buffers *b) {
    if (b->chains)
        for (int32_t i = 0; i < b->n_chains; i++) sampler_chain_free(&b->chains[i]);
    free(b->chains);
    free(b->forks);
    free(b->reqs);
    free(b->results);
    free(b->owners);
    memset(b, 0, sizeof *b);
}

static int alloc_buffers(round_buffers *b, const psamp_sampler_config *cfg, int32_t n_prompt,
                         psamp_err *err) {
    int32_t per_chain = sampler_seqs_per_chain(cfg);
    size_t max_reqs = (size_t)cfg->n_chains * (size_t)per_chain;
    memset(b, 0, sizeof *b);
    b->chains = calloc((size_t)cfg->n_chains, sizeof *b->chains);
    b->forks = calloc(max_reqs, sizeof *b->forks);
    b->reqs = calloc(max_reqs, sizeof *b->reqs);
    b->results = calloc(max_reqs, sizeof *b->results);
    b->owners = calloc(max_reqs, sizeof *b->owners);
    if (!b->chains || !b->forks || !b->reqs || !b->results || !b->owners) {
        free_buffers(b);
        return psamp_fail(err, "out of memory for %d chains", cfg->n_chains);
    }
    for (int32_t c = 0; c < cfg->n_chains; c++) {
        /* Slot 0 holds the prompt; chain c owns the next per_chain slots. */
        b->n_chains = c + 1;
        if (sampler_chain_init(&b->chains[c], cfg, cfg->first_chain + (uint64_t)c,
                               1 + c * per_chain, n_prompt, err) != 0) {
            free_buffers(b);
            return -1;
        }
    }
    return 0;
}

static int collect_results(const round_buffers *b, const psamp_sampler_config *cfg,
                           psamp_run_result *out, psamp_err *err) {
    out->chains = calloc((size_t)b->n_chains, sizeof *out->chains);
    if (!out->chains) return psamp_fail(err, "out of memory for results");
    out->n_chains = b->n_chains;
    for (int32_t c = 0; c < b->n_chains; c++)
        if (sampler_chain_result(&b->chains[c], cfg, &out->chains[c], err) != 0) return -1;
    return 0;
}

static void report_progress(const round_buffers *b, const psamp_sampler_config *cfg,
                            const psamp_sampler_hooks *hooks) {
    double planned = 0.0, done = 0.0;
    for (int32_t c = 0; c < b->n_chains; c++) {
        planned += sampler_chain_planned(&b->chains[c], cfg);
        done += sampler_chain_done(&b->chains[c], cfg);
    }
    hooks->on_progress(hooks->ctx, planned > 0 ? done / planned : 1.0);
}

int psamp_sample(psamp_engine *e, const psamp_sampler_config *cfg_in, const int32_t *prompt,
                 int32_t n_prompt, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                 psamp_err *err) {
    psamp_sampler_config cfg = *cfg_in;
    round_buffers b;
    double t_start = now_seconds(), t_engine = 0.0, t_report = t_start;
    memset(out, 0, sizeof *out);
    if (psamp_sampler_validate(&cfg, err) != 0) return -1;
    if (n_prompt < e->info.min_prompt)
        return psamp_fail(err, "prompt has %d tokens; the %s engine needs at least %d", n_prompt,
                          e->info.backend, e->info.min_prompt);
    if (n_prompt + cfg.max_new_tokens > e->info.max_len)
        return psamp_fail(err, "prompt (%d tokens) + --max-new-tokens (%d) exceeds the engine's %d",
                          n_prompt, cfg.max_new_tokens, e->info.max_len);
    if (psamp_sampler_slots_needed(&cfg) > e->info.n_slots)
        return psamp_fail(err, "the run needs %d engine slots; the engine has %d",
                          psamp_sampler_slots_needed(&cfg), e->info.n_slots);
    if (alloc_buffers(&b, &cfg, n_prompt, err) != 0) return -1;

    double t0 = now_seconds();
    if (e->ops->prefill(e, 0, prompt, n_prompt, 1.0f, NULL, err) != 0) goto fail;
    t_engine += now_seconds() - t0;

    /* Every chain starts from the prompt slot. */
    int32_t n_forks = 0;
    for (int32_t c = 0; c < b.n_chains; c++) {
        int32_t k = sampler_chain_start(&b.chains[c], &cfg, b.forks + n_forks, hooks, err);
        if (k < 0) goto fail;
        n_forks += k;
    }
    for (;;) {
        int32_t n_reqs = 0;
        for (int32_t c = 0; c < b.n_chains; c++)
            n_reqs += sampler_chain_requests(&b.chains[c], &cfg, b.reqs + n_reqs, b.owners + n_reqs);
        if (n_reqs == 0 && n_forks == 0) break;
        t0 = now_seconds();
        if (n_forks > 0 && e->ops->fork(e, b.forks, n_forks, err) != 0) goto fail;
        if (n_reqs > 0 && e->ops->step(e, b.reqs, n_reqs, b.results, err) != 0) goto fail;
        double t1 = now_seconds();
        t_engine += t1 - t0;
        out->engine_steps++;
        n_forks = 0;
        for (int32_t k = 0; k < n_reqs; k++) {
            int rc = sampler_chain_feed(b.owners[k].chain, &cfg, b.owners[k].seq, &b.results[k],
                                        hooks, b.forks + n_forks, err);
            if (rc < 0) goto fail;
            n_forks += rc;
        }
        if (hooks && hooks->on_progress && t1 - t_report > 0.1) {
            t_report = t1;
            report_progress(&b, &cfg, hooks);
        }
    }
    if (collect_results(&b, &cfg, out, err) != 0) goto fail;
    out->engine_seconds = t_engine;
    out->host_seconds = now_seconds() - t_start - t_engine;
    if (hooks && hooks->on_progress) hooks->on_progress(hooks->ctx, 1.0);
    free_buffers(&b);
    return 0;
fail:
    free_buffers(&b);
    psamp_run_result_free(out);
    return -1;
}
