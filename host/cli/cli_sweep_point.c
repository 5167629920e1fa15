/* Running one sweep point: an engine sized for it, the sampler, and its two files, samples
 * first and the point record last, so that a record always has its samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "cli_sweep.h"
#include "cli_sweep_tasks.h"
#include "clock.h"
#include "sampler_mixing.h"
#include "sweep_accuracy.h"
#include "sweep_dir.h"

static void hash_hex(uint64_t h, char out[24]) { snprintf(out, 24, "%016llx", (unsigned long long)h); }

/* A number, or null where it does not exist (NaN, or methods without MH steps). */
static int add_or_null(cJSON *o, const char *key, int have, double v) {
    return have && !isnan(v) ? cJSON_AddNumberToObject(o, key, v) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

/* What the point ran on, for figure titles: a CUDA engine names its GPU; the CPU and toy
 * engines, the processor's model name (Linux) and the cores online. */
static void hardware(const psamp_engine *e, char *buf, size_t cap) {
    if (strcmp(e->info.backend, "cuda") == 0) {
        snprintf(buf, cap, "%s", e->info.detail);
        return;
    }
    char line[256], name[160] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) continue;
        snprintf(name, sizeof name, "%s", colon + 1 + (colon[1] == ' '));
        name[strcspn(name, "\n")] = '\0';
        break;
    }
    if (f) fclose(f);
    snprintf(buf, cap, "%s, %ld cores", name, sysconf(_SC_NPROCESSORS_ONLN));
}

/* The point's record: its settings, where it ran, the run's summary and its accuracy
 * (correct: per problem, NULL when nothing judges the samples). */
static cJSON *point_record(const cli_sweep_plan *plan, const sweep_point *p, const psamp_engine *e,
                           const cli_run_stats *s, const psamp_mixing *mx, const int64_t *correct,
                           const char *samples_rel) {
    char hash[24], hw[256];
    double chains = p->sampler.n_chains;
    cJSON *o = sweep_point_settings(&plan->cfg, p);
    hash_hex(plan->cfg.hash, hash);
    hardware(e, hw, sizeof hw);
    int ok = o && cJSON_AddStringToObject(o, "config_hash", hash) &&
             cJSON_AddStringToObject(o, "backend", e->info.backend) &&
             cJSON_AddStringToObject(o, "engine", e->info.detail) &&
             cJSON_AddStringToObject(o, "hardware", hw) &&
             cJSON_AddNumberToObject(o, "max_active", s->active_chains) &&
             cJSON_AddNumberToObject(o, "accept_rate", s->accept_rate) &&
             cJSON_AddNumberToObject(o, "mean_logp", s->mean_logp) &&
             cJSON_AddNumberToObject(o, "mean_logp_per_token",
                                     s->mean_length > 0 ? s->mean_logp / s->mean_length : NAN) &&
             cJSON_AddNumberToObject(o, "mean_length", s->mean_length) &&
             cJSON_AddNumberToObject(o, "correct_rate", s->correct_rate) &&
             cJSON_AddNumberToObject(o, "tokens_decoded", (double)s->tokens_decoded) &&
             cJSON_AddNumberToObject(o, "proposal_tokens", (double)s->proposal_tokens) &&
             cJSON_AddNumberToObject(o, "proposals", (double)s->proposals) &&
             cJSON_AddNumberToObject(o, "wall_seconds", s->wall_seconds) &&
             cJSON_AddNumberToObject(o, "tokens_per_second", s->tokens_per_second) &&
             cJSON_AddNumberToObject(o, "tokens_per_second_per_chain", s->tokens_per_second / chains) &&
             cJSON_AddNumberToObject(o, "proposals_per_second_per_chain", s->proposals_per_second / chains) &&
             cJSON_AddNumberToObject(o, "mean_batch_rows", s->mean_batch_rows) &&
             cJSON_AddNumberToObject(o, "host_fraction", s->host_fraction) &&
             cJSON_AddNumberToObject(o, "tokens_per_problem", (double)s->tokens_decoded / p->n_problems) &&
             sweep_accuracy_add(o, p->sampler.n_chains, correct, p->n_problems,
                                p->sampler.method == PSAMP_METHOD_GREEDY, plan->cfg.ks, plan->cfg.n_ks) == 0 &&
             cJSON_AddStringToObject(o, "samples", samples_rel);
    /* The mixing diagnostic (sampler_mixing.h) of power/maxswap points: one group of chains
     * per prompt (per task with a task file). */
    int mh = p->sampler.method == PSAMP_METHOD_POWER || p->sampler.method == PSAMP_METHOD_MAXSWAP;
    ok = ok && add_or_null(o, "mixing_start_dependence", mh, mx->start_dependence) &&
         add_or_null(o, "mixing_start_null", mh, mx->start_dependence_null) &&
         add_or_null(o, "mixing_probe_steps", mh, mx->probe_steps) &&
         add_or_null(o, "mixing_probe_shift", mh, mx->probe_shift) &&
         add_or_null(o, "mixing_turnover", mh, mx->first_token_turnover) &&
         add_or_null(o, "mixing_score", mh, mx->score);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* A toy world's verdicts: chains in its `correct` set. 0 when the world has none. */
static int toy_correct(const psamp_model *m, const psamp_run_result *r, int64_t *correct) {
    const toy_world *w = psamp_model_toy(m);
    if (!w || w->n_correct == 0) return 0;
    *correct = 0;
    for (int32_t c = 0; c < r->n_chains; c++) *correct += toy_world_is_correct(w, r->chains[c].tokens, r->chains[c].n_tokens);
    return 1;
}

/* The run itself: engine, sampler (once, or once per task), samples file. *judged: correct[]
 * holds verdicts. */
static int sample_point(const cli_sweep_plan *plan, const sweep_point *p, psamp_atomic_file *samples,
                        const psamp_sampler_hooks *hooks, psamp_engine **e, cli_run_stats *stats,
                        psamp_mixing *mixing, int64_t *correct, int *judged, psamp_err *err) {
    const sweep_config *cfg = &plan->cfg;
    psamp_model *m = plan->models[p->model];
    const int32_t *prompt = plan->prompt_ids[p->model * plan->n_texts + p->prompt];
    psamp_backend_options bo;
    psamp_run_result res = {0, 0, NULL, 0, 0.0, 0.0, 0, 0};
    psamp_sampler_config sampler = p->sampler;
    sampler.max_active = cfg->max_active; /* how the point runs, not what it is: not in its key */
    int32_t room, per_call = 1, max_len = p->n_prompt + sampler.max_new_tokens;
    if (cli_backend_options(cfg->backend, cfg->dtype, cfg->threads, &bo, err) != 0 ||
        cli_kv_cache_option(cfg->kv_cache, &bo, err) != 0 ||
        cli_engine_room(m, NULL, &bo, max_len, &room, err) != 0)
        return -1;
    /* Tasks pooled per sampler call as far as the room allows; one task that does not fit
     * queues its chains. */
    if (cfg->tasks_path) {
        const int32_t decoded = psamp_sampler_decoded_chains(&sampler); /* greedy: 1 */
        const int32_t most = cfg->batch_chains > 0 ? cfg->batch_chains / decoded : 1;
        per_call = cli_prompts_per_call(&sampler, most < cfg->tasks.n ? most : cfg->tasks.n, room);
    }
    if (cli_fit_chains(room, max_len, per_call, &sampler, "psamp sweep", err) != 0 ||
        psamp_model_engine(m, &bo, psamp_sampler_slots_needed_prompts(&sampler, per_call), max_len, e, err) != 0)
        return -1;
    if (cfg->tasks_path) {
        *judged = 1;
        if (cli_sweep_run_tasks(plan, p, *e, &sampler, per_call, hooks, samples->f, samples->path, stats, mixing,
                                correct, err) != 0)
            return -1;
        return psamp_atomic_commit(samples, err);
    }
    double t0 = psamp_now_seconds();
    int rc = psamp_sample(*e, &sampler, prompt, p->n_prompt, hooks, &res, err);
    if (rc == PSAMP_SAMPLE_STOPPED) psamp_run_result_free(&res); /* a stopped point is dropped */
    if (rc != 0) return -1;
    cli_run_summarise(m, &res, psamp_now_seconds() - t0, stats);
    *judged = toy_correct(m, &res, correct);
    rc = psamp_run_mixing(res.chains, res.n_chains, res.n_chains, sampler.probe_steps, sampler.seed, mixing, err);
    if (rc == 0) rc = cli_run_write_samples(samples->f, m, &res, samples->path, err);
    psamp_run_result_free(&res);
    if (rc == 0) rc = psamp_atomic_commit(samples, err);
    return rc;
}

int cli_sweep_run_point(const cli_sweep_plan *plan, int32_t i, const char *out,
                        const psamp_sampler_hooks *hooks, cJSON **row, psamp_err *err) {
    const sweep_point *p = &plan->points[i];
    char file[96], failed[96];
    psamp_atomic_file samples = {0};
    psamp_engine *e = NULL;
    cli_run_stats stats;
    psamp_mixing mixing;
    memset(&mixing, 0, sizeof mixing);
    *row = NULL;
    snprintf(file, sizeof file, "%s.jsonl", p->name);
    char *samples_path = sweep_dir_file(out, "samples", file);
    if (!samples_path) return psamp_fail(err, "out of memory");
    /* Opened before the run: its temporary marks the point as in progress. */
    int rc = psamp_atomic_open(&samples, samples_path, "samples", err);
    free(samples_path);
    int64_t *correct = calloc((size_t)p->n_problems, sizeof *correct);
    int judged = 0;
    if (rc == 0 && !correct) rc = psamp_fail(err, "out of memory");
    if (rc == 0) rc = sample_point(plan, p, &samples, hooks, &e, &stats, &mixing, correct, &judged, err);
    psamp_atomic_abort(&samples);
    if (rc == 0) {
        char rel[128];
        snprintf(rel, sizeof rel, "samples/%s", file);
        *row = point_record(plan, p, e, &stats, &mixing, judged ? correct : NULL, rel);
        if (!*row) rc = psamp_fail(err, "out of memory");
    }
    free(correct);
    psamp_engine_destroy(e);
    snprintf(file, sizeof file, "%s.json", p->name);
    if (rc == 0) rc = sweep_dir_write_json(out, "points", file, cJSON_Duplicate(*row, 1), err);
    if (rc != 0) {
        cJSON_Delete(*row);
        *row = NULL;
        return -1;
    }
    /* A success replaces an earlier failure. */
    snprintf(failed, sizeof failed, "%s.failed.json", p->name);
    char *failed_path = sweep_dir_file(out, "points", failed);
    if (failed_path) remove(failed_path);
    free(failed_path);
    return 0;
}

int cli_sweep_mark_failed(const cli_sweep_plan *plan, int32_t i, const char *out, const char *why,
                          psamp_err *err) {
    const sweep_point *p = &plan->points[i];
    char hash[24], id[24], file[96];
    hash_hex(plan->cfg.hash, hash);
    hash_hex(p->id, id);
    snprintf(file, sizeof file, "%s.failed.json", p->name);
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "name", p->name) && cJSON_AddStringToObject(o, "id", id) &&
             cJSON_AddStringToObject(o, "config_hash", hash) && cJSON_AddStringToObject(o, "error", why);
    if (!ok) {
        cJSON_Delete(o);
        return psamp_fail(err, "out of memory");
    }
    return sweep_dir_write_json(out, "points", file, o, err);
}
