/* A sweep point over a task file: n chains per task prompt on the point's one engine, the
 * prompts pooled into psamp_sample_prompts calls of about batch_chains chains (each task with
 * its own seed, so the samples do not depend on the pooling); every completion judged by its
 * task (passk_tasks.h) and written to the point's samples with its verdict; the runs'
 * statistics summed into one. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sweep.h"
#include "cli_sweep_tasks.h"
#include "clock.h"
#include "json_write.h"

/* Sums over the point's runs, turned into cli_run_stats at the end. */
typedef struct {
    double logp, length, wall, engine_seconds, host_seconds;
    int64_t chains, accepted, proposals, proposal_tokens, tokens_decoded, engine_steps;
    int32_t active_chains;
} run_sums;

static void add_run(run_sums *s, const psamp_run_result *r, double wall) {
    for (int32_t c = 0; c < r->n_chains; c++) {
        const psamp_chain_result *ch = &r->chains[c];
        s->logp += ch->logp_sum;
        s->length += ch->n_tokens;
        s->accepted += ch->accepted;
        s->proposals += ch->proposals;
        s->proposal_tokens += ch->proposal_tokens;
        s->tokens_decoded += ch->tokens_decoded;
    }
    s->chains += r->n_chains;
    s->wall += wall;
    s->engine_steps += r->engine_steps;
    s->engine_seconds += r->engine_seconds;
    s->host_seconds += r->host_seconds;
    if (r->active_chains > s->active_chains) s->active_chains = r->active_chains;
}

/* The same fields cli_run_summarise fills for one run, over all of them. */
static void sums_to_stats(const run_sums *s, double pass_at_1, cli_run_stats *out) {
    memset(out, 0, sizeof *out);
    out->accept_rate = s->proposals ? (double)s->accepted / (double)s->proposals : NAN;
    out->mean_logp = s->logp / (double)s->chains;
    out->mean_length = s->length / (double)s->chains;
    out->tokens_decoded = s->tokens_decoded;
    out->proposal_tokens = s->proposal_tokens;
    out->proposals = s->proposals;
    out->wall_seconds = s->wall;
    out->tokens_per_second = s->wall > 0 ? (double)s->tokens_decoded / s->wall : NAN;
    out->proposals_per_second = s->wall > 0 ? (double)s->proposals / s->wall : NAN;
    out->host_fraction = s->engine_seconds > 0 ? s->host_seconds / s->engine_seconds : NAN;
    out->mean_batch_rows = s->engine_steps > 0 ? (double)s->tokens_decoded / (double)s->engine_steps : NAN;
    out->active_chains = s->active_chains;
    out->correct_rate = pass_at_1;
}

/* The completion a task judges (psamp_model_completion_text: a final EOS left out). */
static int completion_text(const psamp_model *m, const psamp_chain_result *ch, char **text, size_t *len,
                           psamp_err *err) {
    return psamp_model_completion_text(m, ch->tokens, ch->n_tokens, ch->ended, text, len, err);
}

static void write_line(FILE *f, const passk_task *t, const psamp_chain_result *ch, const char *text, size_t len,
                       int correct) {
    fputs("{\"problem\":", f);
    psamp_json_string(f, t->id, strlen(t->id));
    fprintf(f, ",\"chain\":%llu,\"tokens\":", (unsigned long long)ch->chain);
    psamp_json_int_array(f, ch->tokens, ch->n_tokens);
    fputs(",\"text\":", f);
    psamp_json_string(f, text, len);
    fputs(",\"logp\":", f);
    psamp_json_number(f, ch->logp_sum);
    fprintf(f, ",\"n_tokens\":%d,\"ended\":%s,\"correct\":%s,\"proposals\":%lld,\"accepted\":%lld,"
               "\"tokens_decoded\":%lld}\n",
            ch->n_tokens, ch->ended ? "true" : "false", correct ? "true" : "false", (long long)ch->proposals,
            (long long)ch->accepted, (long long)ch->tokens_decoded);
}

uint64_t cli_sweep_task_seed(uint64_t seed, int32_t task) {
    /* splitmix64 of (seed, task): distinct, well-spread streams per task. */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (uint64_t)(task + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Spreads one call's progress over the point: call i of n covers [i/n, (i+1)/n). */
typedef struct {
    const psamp_sampler_hooks *outer;
    int32_t i, n;
} progress_share;

static void on_share(void *ctx, double fraction) {
    const progress_share *s = ctx;
    s->outer->on_progress(s->outer->ctx, (s->i + fraction) / s->n);
}

/* Judges and writes task t's chains (its run's result r), and keeps what the mixing
 * statistics read of them. */
static int take_task(const cli_sweep_plan *plan, const sweep_point *p, int32_t t, const psamp_run_result *r,
                     int32_t n_chains, FILE *samples, psamp_chain_result *kept, int32_t *first, int64_t *correct,
                     psamp_err *err) {
    const passk_task *task = &plan->cfg.tasks.items[t];
    const psamp_model *m = plan->models[p->model];
    correct[t] = 0;
    for (int32_t c = 0; c < r->n_chains; c++) {
        char *text;
        size_t len;
        if (completion_text(m, &r->chains[c], &text, &len, err) != 0) return -1;
        int ok = passk_task_judge(task, text, len);
        correct[t] += ok;
        write_line(samples, task, &r->chains[c], text, len, ok);
        free(text);
    }
    for (int32_t c = 0; c < r->n_chains; c++) {
        int64_t at_c = (int64_t)t * n_chains + c;
        kept[at_c] = r->chains[c];
        first[at_c] = r->chains[c].n_tokens > 0 ? r->chains[c].tokens[0] : -1;
        kept[at_c].tokens = &first[at_c];
        kept[at_c].logp = NULL;
        kept[at_c].n_tokens = r->chains[c].n_tokens > 0;
    }
    return 0;
}

static int run_each_task(const cli_sweep_plan *plan, const sweep_point *p, psamp_engine *e,
                         const psamp_sampler_config *sampler, int32_t per_call, const psamp_sampler_hooks *hooks,
                         FILE *samples, const char *what, run_sums *sums_out, psamp_chain_result *kept,
                         int32_t *first, int64_t *correct, psamp_err *err) {
    const sweep_config *cfg = &plan->cfg;
    const int32_t n_tasks = cfg->tasks.n;
    run_sums sums = *sums_out;
    progress_share share = {hooks, 0, (n_tasks + per_call - 1) / per_call};
    psamp_sampler_hooks own = {NULL, hooks && hooks->on_progress ? on_share : NULL, &share, hooks ? hooks->stop : NULL};
    psamp_prompt *prompts = malloc((size_t)per_call * sizeof *prompts);
    psamp_run_result *res = calloc((size_t)per_call, sizeof *res);
    int rc = prompts && res ? 0 : psamp_fail(err, "out of memory");
    for (int32_t t0 = 0; t0 < n_tasks && rc == 0; t0 += per_call, share.i++) {
        const int32_t n = n_tasks - t0 < per_call ? n_tasks - t0 : per_call;
        for (int32_t i = 0; i < n; i++) {
            const int32_t at = p->model * plan->n_texts + t0 + i;
            prompts[i] = (psamp_prompt){plan->prompt_ids[at], plan->prompt_lens[at],
                                        cli_sweep_task_seed(sampler->seed, t0 + i)};
        }
        double start = psamp_now_seconds();
        rc = psamp_sample_prompts(e, sampler, prompts, n, hooks ? &own : NULL, res, err);
        if (rc == PSAMP_SAMPLE_STOPPED)
            for (int32_t i = 0; i < n; i++) psamp_run_result_free(&res[i]);
        if (rc != 0) {
            rc = n == 1 ? psamp_fail_context(err, "task '%s'", cfg->tasks.items[t0].id)
                        : psamp_fail_context(err, "tasks '%s' .. '%s'", cfg->tasks.items[t0].id,
                                             cfg->tasks.items[t0 + n - 1].id);
            break;
        }
        const double wall = psamp_now_seconds() - start;
        for (int32_t i = 0; i < n; i++) {
            add_run(&sums, &res[i], i == 0 ? wall : 0.0); /* the call's steps and times are in res[0] */
            if (rc == 0) rc = take_task(plan, p, t0 + i, &res[i], sampler->n_chains, samples, kept, first, correct, err);
            psamp_run_result_free(&res[i]);
        }
        *sums_out = sums;
        if (rc == 0 && ferror(samples)) rc = psamp_fail(err, "%s: write failed", what);
    }
    free(prompts);
    free(res);
    return rc;
}

int cli_sweep_run_tasks(const cli_sweep_plan *plan, const sweep_point *p, psamp_engine *e,
                        const psamp_sampler_config *sampler, int32_t per_call, const psamp_sampler_hooks *hooks,
                        FILE *samples, const char *what, cli_run_stats *stats, psamp_mixing *mixing,
                        int64_t *correct, psamp_err *err) {
    const sweep_config *cfg = &plan->cfg;
    run_sums sums;
    memset(&sums, 0, sizeof sums);
    /* What the mixing statistics read of every chain, kept across the tasks' runs: the
     * result without its arrays, and its first token. */
    int64_t n_all = (int64_t)cfg->tasks.n * sampler->n_chains;
    if (n_all > INT32_MAX) return psamp_fail(err, "%s: %lld samples in one point: at most %d", what, (long long)n_all, INT32_MAX);
    psamp_chain_result *kept = calloc((size_t)n_all, sizeof *kept);
    int32_t *first = calloc((size_t)n_all, sizeof *first);
    if (!kept || !first) {
        free(kept);
        free(first);
        return psamp_fail(err, "out of memory for the mixing statistics");
    }
    int rc = run_each_task(plan, p, e, sampler, per_call, hooks, samples, what, &sums, kept, first, correct, err);
    if (rc == 0)
        rc = psamp_run_mixing(kept, (int32_t)n_all, sampler->n_chains, sampler->probe_steps, sampler->seed, mixing, err);
    free(kept);
    free(first);
    if (rc != 0) return -1;
    double sum_rates = 0;
    for (int32_t t = 0; t < cfg->tasks.n; t++) sum_rates += (double)correct[t] / (double)sampler->n_chains;
    sums_to_stats(&sums, sum_rates / cfg->tasks.n, stats);
    return 0;
}
