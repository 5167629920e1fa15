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
 * chain finishes, the next chain in the queue starts there from its prompt's slot. The
 * queue is every (prompt, chain) pair, prompt by prompt: job j is chain j % n_chains of
 * prompt j / n_chains, whose prompt sits in slot j / n_chains; lane i owns slots
 * n_prompts + i * per_chain onwards. */
typedef struct {
    sampler_chain *lanes;
    int32_t *lane_job; /* the job in each lane; -1: none */
    int32_t n_prompts, n_jobs, n_lanes, per_chain, fork_cap;
    int32_t next_job, finished;
    psamp_fork_request *forks;
    psamp_step_request *reqs;
    psamp_step_result *results;
    sampler_req_owner *owners; /* where each request's result goes */
} round_buffers;

static void free_buffers(round_buffers *b) {
    if (b->lanes)
        for (int32_t i = 0; i < b->n_lanes; i++) sampler_chain_free(&b->lanes[i]);
    free(b->lanes);
    free(b->lane_job);
    free(b->forks);
    free(b->reqs);
    free(b->results);
    free(b->owners);
    memset(b, 0, sizeof *b);
}

static int alloc_buffers(round_buffers *b, const psamp_sampler_config *cfg, int32_t n_prompts, psamp_err *err) {
    memset(b, 0, sizeof *b);
    b->n_prompts = n_prompts;
    b->n_jobs = n_prompts * cfg->n_chains;
    b->n_lanes = (int32_t)sampler_active_jobs(cfg, b->n_jobs);
    b->per_chain = sampler_seqs_per_chain(cfg);
    b->fork_cap = b->n_lanes * b->per_chain;
    size_t max_reqs = (size_t)b->fork_cap;
    b->lanes = calloc((size_t)b->n_lanes, sizeof *b->lanes);
    b->lane_job = malloc((size_t)b->n_lanes * sizeof *b->lane_job);
    b->forks = calloc(max_reqs, sizeof *b->forks);
    b->reqs = calloc(max_reqs, sizeof *b->reqs);
    b->results = calloc(max_reqs, sizeof *b->results);
    b->owners = calloc(max_reqs, sizeof *b->owners);
    if (!b->lanes || !b->lane_job || !b->forks || !b->reqs || !b->results || !b->owners) {
        free_buffers(b);
        return psamp_fail(err, "out of memory for %d chains", b->n_jobs);
    }
    for (int32_t i = 0; i < b->n_lanes; i++) b->lane_job[i] = -1;
    return 0;
}

/* Starts the next queued job in `lane`; its forks from its prompt's slot join this round's
 * forks. */
static int start_next(round_buffers *b, int32_t lane, const psamp_sampler_config *cfg,
                      const psamp_prompt *prompts, const psamp_sampler_hooks *hooks, int32_t *n_forks,
                      psamp_err *err) {
    sampler_chain *ch = &b->lanes[lane];
    const int32_t j = b->next_job++, p = j / cfg->n_chains, c = j % cfg->n_chains;
    if (*n_forks + b->per_chain > b->fork_cap)
        return psamp_fail(err, "internal: more forks in one round than the sampler planned");
    if (sampler_chain_init(ch, cfg, cfg->first_chain + (uint64_t)c, prompts[p].seed,
                           b->n_prompts + lane * b->per_chain, p, prompts[p].n, err) != 0)
        return -1;
    b->lane_job[lane] = j;
    int32_t k = sampler_chain_start(ch, cfg, b->forks + *n_forks, hooks, err);
    if (k < 0) return -1;
    *n_forks += k;
    return 0;
}

/* Moves every finished chain's result to its prompt's out (in chain order, whatever lane
 * ran it) and starts queued jobs in the lanes that are free. */
static int refill_lanes(round_buffers *b, const psamp_sampler_config *cfg, const psamp_prompt *prompts,
                        const psamp_sampler_hooks *hooks, psamp_run_result *out, int32_t *n_forks,
                        psamp_err *err) {
    for (int32_t lane = 0; lane < b->n_lanes; lane++) {
        for (;;) {
            int32_t j = b->lane_job[lane];
            if (j >= 0) {
                if (b->lanes[lane].phase != CHAIN_DONE) break;
                psamp_chain_result *dst = &out[j / cfg->n_chains].chains[j % cfg->n_chains];
                if (sampler_chain_result(&b->lanes[lane], cfg, dst, err) != 0) return -1;
                sampler_chain_free(&b->lanes[lane]);
                b->lane_job[lane] = -1;
                b->finished++;
            }
            if (b->next_job >= b->n_jobs) break;
            if (start_next(b, lane, cfg, prompts, hooks, n_forks, err) != 0) return -1;
        }
    }
    return 0;
}

static void report_progress(const round_buffers *b, const psamp_sampler_config *cfg,
                            const psamp_sampler_hooks *hooks) {
    double per_chain = sampler_chain_planned(cfg);
    double planned = per_chain * b->n_jobs, done = per_chain * b->finished;
    for (int32_t i = 0; i < b->n_lanes; i++)
        if (b->lane_job[i] >= 0) done += sampler_chain_done(&b->lanes[i], cfg);
    hooks->on_progress(hooks->ctx, planned > 0 ? done / planned : 1.0);
}

static int stop_raised(const psamp_sampler_hooks *hooks) {
    return hooks && hooks->stop && *hooks->stop != 0;
}

/* After a stop: each prompt keeps the chains that finished (their results are in out
 * already), in chain order, and drops the rest (queued, or decoding in a lane: their
 * results are still empty). */
static int keep_finished(const round_buffers *b, const psamp_sampler_config *cfg, psamp_run_result *out,
                         psamp_err *err) {
    char *running = calloc((size_t)b->n_jobs + 1, 1);
    if (!running) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < b->n_lanes; i++)
        if (b->lane_job[i] >= 0) running[b->lane_job[i]] = 1;
    int32_t kept_all = 0;
    for (int32_t p = 0; p < b->n_prompts; p++) {
        int32_t kept = 0;
        for (int32_t c = 0; c < cfg->n_chains; c++) {
            const int32_t j = p * cfg->n_chains + c;
            if (j >= b->next_job || running[j]) continue;
            out[p].chains[kept++] = out[p].chains[c];
        }
        out[p].n_chains = kept;
        out[p].stopped = 1;
        kept_all += kept;
    }
    free(running);
    psamp_fail(err, "stopped after %d of %d chains had finished", kept_all, b->n_jobs);
    return PSAMP_SAMPLE_STOPPED;
}

static void free_results(psamp_run_result *out, int32_t n) {
    for (int32_t p = 0; p < n; p++) psamp_run_result_free(&out[p]);
}

/* The checks before any work: sizes, prompt lengths, slots. */
static int check_run(const psamp_engine *e, const psamp_sampler_config *cfg, const psamp_prompt *prompts,
                     int32_t n_prompts, psamp_err *err) {
    if (n_prompts < 1) return psamp_fail(err, "internal: a run needs at least one prompt");
    if ((int64_t)n_prompts * cfg->n_chains > INT32_MAX / 2)
        return psamp_fail(err, "%d prompts x %d chains is too many for one run", n_prompts, cfg->n_chains);
    for (int32_t p = 0; p < n_prompts; p++) {
        const char *which = n_prompts > 1 ? " of a batch" : "";
        if (prompts[p].n < e->info.min_prompt)
            return psamp_fail(err, "prompt%s has %d tokens; the %s engine needs at least %d", which, prompts[p].n,
                              e->info.backend, e->info.min_prompt);
        if (prompts[p].n + cfg->max_new_tokens > e->info.max_len)
            return psamp_fail(err, "prompt%s (%d tokens) + --max-new-tokens (%d) exceeds the engine's %d", which,
                              prompts[p].n, cfg->max_new_tokens, e->info.max_len);
    }
    const int32_t need = psamp_sampler_slots_needed_prompts(cfg, n_prompts);
    if (need > e->info.n_slots) return psamp_fail(err, "the run needs %d engine slots; the engine has %d", need, e->info.n_slots);
    return 0;
}

/* psamp_sample_prompts with every chain decoded. */
static int sample_prompts(psamp_engine *e, const psamp_sampler_config *cfg_in, const psamp_prompt *prompts,
                          int32_t n_prompts, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                          psamp_err *err) {
    psamp_sampler_config cfg = *cfg_in;
    round_buffers b;
    double t_start = psamp_now_seconds(), t_engine = 0.0, t_report = t_start;
    if (n_prompts > 0) memset(out, 0, (size_t)n_prompts * sizeof *out);
    if (psamp_sampler_validate(&cfg, err) != 0 || check_run(e, &cfg, prompts, n_prompts, err) != 0) return -1;
    if (alloc_buffers(&b, &cfg, n_prompts, err) != 0) return -1;
    for (int32_t p = 0; p < n_prompts; p++) {
        out[p].chains = calloc((size_t)cfg.n_chains, sizeof *out[p].chains);
        if (!out[p].chains) {
            free_buffers(&b);
            free_results(out, p);
            return psamp_fail(err, "out of memory for %d chains' results", cfg.n_chains);
        }
        out[p].n_chains = cfg.n_chains;
        out[p].n_planned = cfg.n_chains;
        out[p].active_chains = b.n_lanes;
    }
    if (stop_raised(hooks)) goto stopped;

    double t0 = psamp_now_seconds();
    for (int32_t p = 0; p < n_prompts; p++)
        if (e->ops->prefill(e, p, prompts[p].tokens, prompts[p].n, 1.0f, NULL, err) != 0) goto fail;
    t_engine += psamp_now_seconds() - t0;

    /* The first chains start from their prompts' slots; the rest wait for a free lane. */
    int32_t n_forks = 0;
    if (refill_lanes(&b, &cfg, prompts, hooks, out, &n_forks, err) != 0) goto fail;
    for (;;) {
        if (stop_raised(hooks)) goto stopped;
        int32_t n_reqs = 0;
        for (int32_t i = 0; i < b.n_lanes; i++)
            if (b.lane_job[i] >= 0)
                n_reqs += sampler_chain_requests(&b.lanes[i], &cfg, b.reqs + n_reqs, b.owners + n_reqs);
        if (n_reqs == 0 && n_forks == 0) break;
        t0 = psamp_now_seconds();
        if (n_forks > 0 && e->ops->fork(e, b.forks, n_forks, err) != 0) goto fail;
        if (n_reqs > 0 && e->ops->step(e, b.reqs, n_reqs, b.results, err) != 0) goto fail;
        double t1 = psamp_now_seconds();
        t_engine += t1 - t0;
        out[0].engine_steps++;
        n_forks = 0;
        for (int32_t k = 0; k < n_reqs; k++) {
            int rc = sampler_chain_feed(b.owners[k].chain, &cfg, b.owners[k].seq, &b.results[k],
                                        hooks, b.forks + n_forks, err);
            if (rc < 0) goto fail;
            n_forks += rc;
        }
        if (refill_lanes(&b, &cfg, prompts, hooks, out, &n_forks, err) != 0) goto fail;
        if (hooks && hooks->on_progress && t1 - t_report > 0.1) {
            t_report = t1;
            report_progress(&b, &cfg, hooks);
        }
    }
    if (b.finished != b.n_jobs) {
        psamp_fail(err, "internal: %d of %d chains finished", b.finished, b.n_jobs);
        goto fail;
    }
    out[0].engine_seconds = t_engine;
    out[0].host_seconds = psamp_now_seconds() - t_start - t_engine;
    if (hooks && hooks->on_progress) hooks->on_progress(hooks->ctx, 1.0);
    free_buffers(&b);
    return 0;
stopped:
    out[0].engine_seconds = t_engine;
    out[0].host_seconds = psamp_now_seconds() - t_start - t_engine;
    {
        int rc = keep_finished(&b, &cfg, out, err);
        free_buffers(&b);
        if (rc == PSAMP_SAMPLE_STOPPED) return rc;
    }
fail:
    free_buffers(&b);
    free_results(out, n_prompts);
    return -1;
}

/* r's one greedy chain copied to chains 1..n-1 (numbered from cfg->first_chain, as decoded
 * ones would be; they decoded nothing). A stop before it finished leaves r without chains. */
static int copy_greedy(psamp_run_result *r, const psamp_sampler_config *cfg, psamp_err *err) {
    r->n_planned = cfg->n_chains;
    if (r->n_chains == 0) return 0;
    psamp_chain_result *all = realloc(r->chains, (size_t)cfg->n_chains * sizeof *all);
    if (!all) return psamp_fail(err, "out of memory for %d chains' results", cfg->n_chains);
    r->chains = all;
    const size_t n = (size_t)all[0].n_tokens;
    for (int32_t c = 1; c < cfg->n_chains; c++) {
        r->n_chains = c; /* chains 0..c-1 are whole: what a failure frees */
        all[c] = all[0];
        all[c].chain = cfg->first_chain + (uint64_t)c;
        all[c].tokens_decoded = all[c].proposal_tokens = all[c].probe_tokens = 0;
        all[c].tokens = malloc((n ? n : 1) * sizeof *all[c].tokens);
        all[c].logp = malloc((n ? n : 1) * sizeof *all[c].logp);
        if (!all[c].tokens || !all[c].logp) {
            free(all[c].tokens);
            free(all[c].logp);
            return psamp_fail(err, "out of memory for %d chains' results", cfg->n_chains);
        }
        if (n) memcpy(all[c].tokens, all[0].tokens, n * sizeof *all[c].tokens);
        if (n) memcpy(all[c].logp, all[0].logp, n * sizeof *all[c].logp);
    }
    r->n_chains = cfg->n_chains;
    return 0;
}

int psamp_sample_prompts(psamp_engine *e, const psamp_sampler_config *cfg, const psamp_prompt *prompts,
                         int32_t n_prompts, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                         psamp_err *err) {
    if (psamp_sampler_decoded_chains(cfg) == cfg->n_chains)
        return sample_prompts(e, cfg, prompts, n_prompts, hooks, out, err);
    /* Greedy chains are one sequence whatever their seed and number: one is decoded per
     * prompt, the others are its copies. */
    if (n_prompts > 0) memset(out, 0, (size_t)n_prompts * sizeof *out);
    psamp_sampler_config one = *cfg;
    if (psamp_sampler_validate(&one, err) != 0) return -1; /* n_chains' range included */
    one.n_chains = psamp_sampler_decoded_chains(cfg);
    const int rc = sample_prompts(e, &one, prompts, n_prompts, hooks, out, err);
    if (rc < 0) return rc;
    for (int32_t p = 0; p < n_prompts; p++)
        if (copy_greedy(&out[p], cfg, err) != 0) {
            free_results(out, n_prompts);
            return -1;
        }
    return rc;
}

int psamp_sample(psamp_engine *e, const psamp_sampler_config *cfg, const int32_t *prompt, int32_t n_prompt,
                 const psamp_sampler_hooks *hooks, psamp_run_result *out, psamp_err *err) {
    const psamp_prompt one = {prompt, n_prompt, cfg->seed};
    return psamp_sample_prompts(e, cfg, &one, 1, hooks, out, err);
}
