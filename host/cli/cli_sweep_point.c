/* Running one sweep point: an engine sized for it, the sampler, and its two files, samples
 * first and the point record last, so that a record always has its samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "cli_sweep.h"
#include "clock.h"
#include "sampler_mixing.h"
#include "sweep_dir.h"

static void hash_hex(uint64_t h, char out[24]) { snprintf(out, 24, "%016llx", (unsigned long long)h); }

/* The point's record: its settings, where it ran, and the run's summary. */
/* A number, or null where it does not exist (NaN, or methods without MH steps). */
static int add_or_null(cJSON *o, const char *key, int have, double v) {
    return have && !isnan(v) ? cJSON_AddNumberToObject(o, key, v) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

static cJSON *point_record(const cli_sweep_plan *plan, const sweep_point *p, const psamp_engine *e,
                           const cli_run_stats *s, const psamp_mixing *mx, const char *samples_rel) {
    char hash[24];
    double chains = p->sampler.n_chains;
    cJSON *o = sweep_point_settings(&plan->cfg, p);
    hash_hex(plan->cfg.hash, hash);
    int ok = o && cJSON_AddStringToObject(o, "config_hash", hash) &&
             cJSON_AddStringToObject(o, "backend", e->info.backend) &&
             cJSON_AddStringToObject(o, "engine", e->info.detail) &&
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
             cJSON_AddNumberToObject(o, "host_fraction", s->host_fraction);
    /* The mixing diagnostic (sampler_mixing.h) of power/maxswap points; the point's chains
     * are one prompt's. */
    int mh = p->sampler.method == PSAMP_METHOD_POWER || p->sampler.method == PSAMP_METHOD_MAXSWAP;
    ok = ok && add_or_null(o, "mixing_start_dependence", mh, mx->start_dependence) &&
         add_or_null(o, "mixing_start_null", mh, mx->start_dependence_null) &&
         add_or_null(o, "mixing_probe_steps", mh, mx->probe_steps) &&
         add_or_null(o, "mixing_probe_shift", mh, mx->probe_shift) &&
         add_or_null(o, "mixing_turnover", mh, mx->first_token_turnover) &&
         add_or_null(o, "mixing_score", mh, mx->score) &&
         cJSON_AddStringToObject(o, "samples", samples_rel);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The run itself: engine, sampler, samples file. */
static int sample_point(const cli_sweep_plan *plan, const sweep_point *p, psamp_atomic_file *samples,
                        const psamp_sampler_hooks *hooks, psamp_engine **e, cli_run_stats *stats,
                        psamp_mixing *mixing, psamp_err *err) {
    const sweep_config *cfg = &plan->cfg;
    psamp_model *m = plan->models[p->model];
    const int32_t *prompt = plan->prompt_ids[p->model * cfg->axes[SWEEP_PROMPT].n + p->prompt];
    psamp_backend_options bo;
    psamp_run_result res = {0, 0, NULL, 0, 0.0, 0.0};
    psamp_sampler_config sampler = p->sampler;
    sampler.max_active = cfg->max_active; /* how the point runs, not what it is: not in its key */
    int32_t room, max_len = p->n_prompt + sampler.max_new_tokens;
    if (cli_backend_options(cfg->backend, cfg->dtype, cfg->threads, &bo, err) != 0 ||
        cli_engine_room(m, NULL, &bo, max_len, &room, err) != 0 ||
        cli_fit_chains(room, max_len, &sampler, "psamp sweep", err) != 0 ||
        psamp_model_engine(m, &bo, psamp_sampler_slots_needed(&sampler), max_len, e, err) != 0)
        return -1;
    double t0 = psamp_now_seconds();
    if (psamp_sample(*e, &sampler, prompt, p->n_prompt, hooks, &res, err) != 0) return -1;
    cli_run_summarise(m, &res, psamp_now_seconds() - t0, stats);
    int rc = psamp_run_mixing(res.chains, res.n_chains, res.n_chains, sampler.probe_steps, sampler.seed, mixing, err);
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
    if (rc == 0) rc = sample_point(plan, p, &samples, hooks, &e, &stats, &mixing, err);
    psamp_atomic_abort(&samples);
    if (rc == 0) {
        char rel[128];
        snprintf(rel, sizeof rel, "samples/%s", file);
        *row = point_record(plan, p, e, &stats, &mixing, rel);
        if (!*row) rc = psamp_fail(err, "out of memory");
    }
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
