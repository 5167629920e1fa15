/* How pass@k and H3 group problems into sampler calls, and the calls themselves: problems
 * that share a model and a new-token count run together (psamp_sample_prompts) until their
 * chains reach the config's batch_chains, in as few engine slots as there is room for. A
 * problem's chains are numbered as in a run of it alone, so the samples do not depend on the
 * grouping, up to the engine's rounding across batch shapes (log p ~1e-6, and rarely a draw
 * that sat on its boundary). */
#include "cli_experiment.h"

#include <stdlib.h>

#include "cli_run.h"
#include "clock.h"

/* Method m's sampler settings for a call of n_problems problems of T new tokens (max_len
 * with the longest prompt): the config's max_active, or, when that is 0 and the chains need
 * more slots than there is room for, as many chains at a time as fit (the samples are the
 * same). */
static int batch_config(const expt_set *s, int32_t model, int32_t max_len, int32_t T, int32_t n_problems,
                        const method_spec *m, int32_t n_chains, uint64_t seed, psamp_sampler_config *cfg,
                        psamp_err *err) {
    if (method_spec_config(m, T, n_chains, seed, cfg, err) != 0) return -1; /* names the method */
    cfg->max_active = s->max_active;
    if (cli_fit_chains(s->rooms[model], max_len, n_problems, cfg, NULL, err) != 0)
        return psamp_fail_context(err, "method '%s'", m->label);
    return 0;
}

int expt_plan_batches(const experiment_config *c, expt_set *s, int32_t mi, int32_t *slots, int *queued,
                      psamp_err *err) {
    int32_t n_model = 0, T = 0, max_len = 0;
    for (int32_t p = 0; p < s->n_problems; p++) {
        const expt_problem *pr = &s->problems[p];
        if (pr->model != mi) continue;
        n_model++;
        if (pr->max_new_tokens > T) T = pr->max_new_tokens;
        if (pr->n_prompt + pr->max_new_tokens > max_len) max_len = pr->n_prompt + pr->max_new_tokens;
    }
    int32_t n = c->batch_chains > 0 ? c->batch_chains / c->samples : 1;
    if (n > n_model) n = n_model;
    /* As many problems per call as every method's chains fit without queueing. */
    for (int32_t k = 0; k < c->methods.n; k++) {
        const method_spec *m = &c->methods.items[k];
        psamp_sampler_config cfg;
        if (method_spec_config(m, T, expt_chains_for(m, c->samples), c->seed, &cfg, err) != 0) return -1;
        cfg.max_active = s->max_active;
        n = cli_prompts_per_call(&cfg, n, s->rooms[mi]);
    }
    s->batch_problems[mi] = n;
    /* The engine's slots: the hungriest method's at n problems, queued where even one does not fit. */
    *slots = 0;
    *queued = 0;
    for (int32_t k = 0; k < c->methods.n; k++) {
        const method_spec *m = &c->methods.items[k];
        psamp_sampler_config cfg;
        if (batch_config(s, mi, max_len, T, n, m, expt_chains_for(m, c->samples), c->seed, &cfg, err) != 0)
            return -1;
        *queued |= cfg.max_active != s->max_active;
        const int32_t need = psamp_sampler_slots_needed_prompts(&cfg, n);
        if (need > *slots) *slots = need;
    }
    return 0;
}

int32_t expt_batch_at(const expt_set *s, int32_t p0) {
    const expt_problem *first = &s->problems[p0];
    int32_t n = 1;
    while (p0 + n < s->n_problems && n < s->batch_problems[first->model] &&
           s->problems[p0 + n].model == first->model && s->problems[p0 + n].max_new_tokens == first->max_new_tokens)
        n++;
    return n;
}

int32_t expt_count_batches(const expt_set *s) {
    int32_t n = 0;
    for (int32_t p = 0; p < s->n_problems; p += expt_batch_at(s, p)) n++;
    return n;
}

static void on_run_progress(void *ctx, double fraction) {
    expt_set *s = ctx;
    cli_progress_update(&s->progress, (s->progress_run + fraction) / s->progress_runs);
}

int expt_run_batch(expt_set *s, int32_t p0, int32_t n, const method_spec *m, int32_t n_chains, uint64_t seed,
                   psamp_run_result *out, psamp_err *err) {
    const expt_problem *first = &s->problems[p0];
    psamp_sampler_config cfg;
    psamp_sampler_hooks hooks = {NULL, s->progress_runs > 0 ? on_run_progress : NULL, s, s->stop};
    psamp_prompt *prompts = malloc((size_t)n * sizeof *prompts);
    if (!prompts) return psamp_fail(err, "out of memory");
    int32_t max_len = 0;
    for (int32_t i = 0; i < n; i++)
        if (s->problems[p0 + i].n_prompt + first->max_new_tokens > max_len)
            max_len = s->problems[p0 + i].n_prompt + first->max_new_tokens;
    int rc = batch_config(s, first->model, max_len, first->max_new_tokens, n, m, n_chains, seed, &cfg, err);
    for (int32_t i = 0; i < n; i++)
        prompts[i] = (psamp_prompt){s->problems[p0 + i].prompt, s->problems[p0 + i].n_prompt, cfg.seed};
    if (rc == 0) rc = psamp_sample_prompts(s->engines[first->model], &cfg, prompts, n, &hooks, out, err);
    free(prompts);
    if (rc == PSAMP_SAMPLE_STOPPED)
        for (int32_t i = 0; i < n; i++) psamp_run_result_free(&out[i]);
    if (rc != 0 && n == 1) return psamp_fail_context(err, "problem '%s', method '%s'", first->id, m->label);
    if (rc != 0)
        return psamp_fail_context(err, "problems '%s' .. '%s', method '%s'", first->id, s->problems[p0 + n - 1].id,
                                  m->label);
    return 0;
}

int expt_run_methods(expt_set *s, const experiment_config *c, int32_t batch, int32_t p0, int32_t n,
                     double *seconds, expt_visit_fn visit, void *ctx, psamp_err *err) {
    const int32_t n_methods = c->methods.n;
    psamp_run_result *r = calloc((size_t)n * (size_t)n_methods, sizeof *r);
    int rc = r ? 0 : psamp_fail(err, "out of memory");
    for (int32_t m = 0; m < n_methods && rc == 0; m++) {
        const method_spec *spec = &c->methods.items[m];
        s->progress_run = batch * n_methods + m;
        double t0 = psamp_now_seconds();
        rc = expt_run_batch(s, p0, n, spec, expt_chains_for(spec, c->samples), c->seed, r + (size_t)m * n, err);
        if (seconds) seconds[m] += psamp_now_seconds() - t0;
    }
    for (int32_t i = 0; i < n && rc == 0; i++)
        for (int32_t m = 0; m < n_methods && rc == 0; m++) rc = visit(ctx, p0 + i, m, &r[(size_t)m * n + i], err);
    for (size_t k = 0; r && k < (size_t)n * (size_t)n_methods; k++) psamp_run_result_free(&r[k]);
    free(r);
    return rc;
}
