/* The round loop: gather every running chain's pending work into one fork call and one
 * batched step call, feed the results back, let each chain's state machine move on, and
 * start queued chains in the lanes of finished ones. The state machines themselves live in
 * sampler_chain.c. */
#include "sampler.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sampler_chain.h"
#include "sampler_config.h"


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

/* The chains decoding now, one per lane: a lane owns per_chain engine slots, and when its
 * chain finishes, the next chain in the queue starts there from the prompt slot. */
typedef struct {
    sampler_chain *lanes;
    int32_t *lane_chain; /* index (from 0) of the chain in each lane; -1: none */
    int32_t n_lanes, per_chain, fork_cap;
    int32_t next_chain, finished;
    psamp_fork_request *forks;
    psamp_step_request *reqs;
    psamp_step_result *results;
    sampler_req_owner *owners; /* where each request's result goes */
} round_buffers;

static void free_buffers(round_buffers *b) {
    if (b->lanes)
        for (int32_t i = 0; i < b->n_lanes; i++) sampler_chain_free(&b->lanes[i]);
    free(b->lanes);
    free(b->lane_chain);
    free(b->forks);
    free(b->reqs);
    free(b->results);
    free(b->owners);
    memset(b, 0, sizeof *b);
}

static int alloc_buffers(round_buffers *b, const psamp_sampler_config *cfg, psamp_err *err) {
    memset(b, 0, sizeof *b);
    b->n_lanes = psamp_sampler_active_chains(cfg);
    b->per_chain = sampler_seqs_per_chain(cfg);
    b->fork_cap = b->n_lanes * b->per_chain;
    size_t max_reqs = (size_t)b->fork_cap;
    b->lanes = calloc((size_t)b->n_lanes, sizeof *b->lanes);
    b->lane_chain = malloc((size_t)b->n_lanes * sizeof *b->lane_chain);
    b->forks = calloc(max_reqs, sizeof *b->forks);
    b->reqs = calloc(max_reqs, sizeof *b->reqs);
    b->results = calloc(max_reqs, sizeof *b->results);
    b->owners = calloc(max_reqs, sizeof *b->owners);
    if (!b->lanes || !b->lane_chain || !b->forks || !b->reqs || !b->results || !b->owners) {
        free_buffers(b);
        return psamp_fail(err, "out of memory for %d chains", cfg->n_chains);
    }
    for (int32_t i = 0; i < b->n_lanes; i++) b->lane_chain[i] = -1;
    return 0;
}

/* Starts the next queued chain in `lane`: slot 0 holds the prompt, lane i owns slots
 * 1 + i * per_chain onwards. Its forks from the prompt slot join this round's forks. */
static int start_next(round_buffers *b, int32_t lane, const psamp_sampler_config *cfg,
                      int32_t n_prompt, const psamp_sampler_hooks *hooks, int32_t *n_forks,
                      psamp_err *err) {
    sampler_chain *ch = &b->lanes[lane];
    int32_t c = b->next_chain++;
    if (*n_forks + b->per_chain > b->fork_cap)
        return psamp_fail(err, "internal: more forks in one round than the sampler planned");
    if (sampler_chain_init(ch, cfg, cfg->first_chain + (uint64_t)c, 1 + lane * b->per_chain,
                           n_prompt, err) != 0)
        return -1;
    b->lane_chain[lane] = c;
    int32_t k = sampler_chain_start(ch, cfg, b->forks + *n_forks, hooks, err);
    if (k < 0) return -1;
    *n_forks += k;
    return 0;
}

/* Moves every finished chain's result to out (in chain order, whatever lane ran it) and
 * starts queued chains in the lanes that are free. */
static int refill_lanes(round_buffers *b, const psamp_sampler_config *cfg, int32_t n_prompt,
                        const psamp_sampler_hooks *hooks, psamp_run_result *out, int32_t *n_forks,
                        psamp_err *err) {
    for (int32_t lane = 0; lane < b->n_lanes; lane++) {
        for (;;) {
            int32_t c = b->lane_chain[lane];
            if (c >= 0) {
                if (b->lanes[lane].phase != CHAIN_DONE) break;
                if (sampler_chain_result(&b->lanes[lane], cfg, &out->chains[c], err) != 0) return -1;
                sampler_chain_free(&b->lanes[lane]);
                b->lane_chain[lane] = -1;
                b->finished++;
            }
            if (b->next_chain >= cfg->n_chains) break;
            if (start_next(b, lane, cfg, n_prompt, hooks, n_forks, err) != 0) return -1;
        }
    }
    return 0;
}

static void report_progress(const round_buffers *b, const psamp_sampler_config *cfg,
                            const psamp_sampler_hooks *hooks) {
    double per_chain = sampler_chain_planned(cfg);
    double planned = per_chain * cfg->n_chains, done = per_chain * b->finished;
    for (int32_t i = 0; i < b->n_lanes; i++)
        if (b->lane_chain[i] >= 0) done += sampler_chain_done(&b->lanes[i], cfg);
    hooks->on_progress(hooks->ctx, planned > 0 ? done / planned : 1.0);
}

static int stop_raised(const psamp_sampler_hooks *hooks) {
    return hooks && hooks->stop && *hooks->stop != 0;
}

/* After a stop: keeps the chains that finished (their results are in out already), in chain
 * order, and drops the rest (queued, or decoding in a lane: their results are still empty). */
static int keep_finished(const round_buffers *b, psamp_run_result *out, psamp_err *err) {
    char *running = calloc((size_t)out->n_planned, 1);
    if (!running) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < b->n_lanes; i++)
        if (b->lane_chain[i] >= 0) running[b->lane_chain[i]] = 1;
    int32_t kept = 0;
    for (int32_t c = 0; c < out->n_planned; c++) {
        if (c >= b->next_chain || running[c]) continue;
        out->chains[kept++] = out->chains[c];
    }
    free(running);
    out->n_chains = kept;
    out->stopped = 1;
    psamp_fail(err, "stopped after %d of %d chains had finished", kept, out->n_planned);
    return PSAMP_SAMPLE_STOPPED;
}

int psamp_sample(psamp_engine *e, const psamp_sampler_config *cfg_in, const int32_t *prompt,
                 int32_t n_prompt, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                 psamp_err *err) {
    psamp_sampler_config cfg = *cfg_in;
    round_buffers b;
    double t_start = psamp_now_seconds(), t_engine = 0.0, t_report = t_start;
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
    if (alloc_buffers(&b, &cfg, err) != 0) return -1;
    out->chains = calloc((size_t)cfg.n_chains, sizeof *out->chains);
    if (!out->chains) {
        free_buffers(&b);
        return psamp_fail(err, "out of memory for %d chains' results", cfg.n_chains);
    }
    out->n_chains = cfg.n_chains;
    out->n_planned = cfg.n_chains;
    out->active_chains = b.n_lanes;
    if (stop_raised(hooks)) goto stopped;

    double t0 = psamp_now_seconds();
    if (e->ops->prefill(e, 0, prompt, n_prompt, 1.0f, NULL, err) != 0) goto fail;
    t_engine += psamp_now_seconds() - t0;

    /* The first chains start from the prompt slot; the rest wait for a free lane. */
    int32_t n_forks = 0;
    if (refill_lanes(&b, &cfg, n_prompt, hooks, out, &n_forks, err) != 0) goto fail;
    for (;;) {
        if (stop_raised(hooks)) goto stopped;
        int32_t n_reqs = 0;
        for (int32_t i = 0; i < b.n_lanes; i++)
            if (b.lane_chain[i] >= 0)
                n_reqs += sampler_chain_requests(&b.lanes[i], &cfg, b.reqs + n_reqs, b.owners + n_reqs);
        if (n_reqs == 0 && n_forks == 0) break;
        t0 = psamp_now_seconds();
        if (n_forks > 0 && e->ops->fork(e, b.forks, n_forks, err) != 0) goto fail;
        if (n_reqs > 0 && e->ops->step(e, b.reqs, n_reqs, b.results, err) != 0) goto fail;
        double t1 = psamp_now_seconds();
        t_engine += t1 - t0;
        out->engine_steps++;
        n_forks = 0;
        for (int32_t k = 0; k < n_reqs; k++) {
            int rc = sampler_chain_feed(b.owners[k].chain, &cfg, b.owners[k].seq, &b.results[k],
                                        hooks, b.forks + n_forks, err);
            if (rc < 0) goto fail;
            n_forks += rc;
        }
        if (refill_lanes(&b, &cfg, n_prompt, hooks, out, &n_forks, err) != 0) goto fail;
        if (hooks && hooks->on_progress && t1 - t_report > 0.1) {
            t_report = t1;
            report_progress(&b, &cfg, hooks);
        }
    }
    if (b.finished != cfg.n_chains) {
        psamp_fail(err, "internal: %d of %d chains finished", b.finished, cfg.n_chains);
        goto fail;
    }
    out->engine_seconds = t_engine;
    out->host_seconds = psamp_now_seconds() - t_start - t_engine;
    if (hooks && hooks->on_progress) hooks->on_progress(hooks->ctx, 1.0);
    free_buffers(&b);
    return 0;
stopped:
    out->engine_seconds = t_engine;
    out->host_seconds = psamp_now_seconds() - t_start - t_engine;
    {
        int rc = keep_finished(&b, out, err);
        free_buffers(&b);
        if (rc == PSAMP_SAMPLE_STOPPED) return rc;
    }
fail:
    free_buffers(&b);
    psamp_run_result_free(out);
    return -1;
}
