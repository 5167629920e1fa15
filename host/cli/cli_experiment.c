#include "cli_experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "json_write.h"
#include "prompt_template.h"

void expt_close(expt_set *s) {
    if (!s) return;
    for (int32_t i = 0; i < s->n_problems; i++) free(s->problems[i].prompt);
    free(s->problems);
    for (int32_t i = 0; i < s->n_models; i++) {
        if (s->engines) psamp_engine_destroy(s->engines[i]);
        psamp_model_close(s->models[i]);
    }
    free(s->engines);
    free(s->rooms);
    free(s->batch_problems);
    free(s->models);
    free(s->model_paths);
    passk_tasks_free(&s->tasks);
    memset(s, 0, sizeof *s);
}

int32_t expt_chains_for(const method_spec *m, int32_t n_samples) {
    return m->cfg.method == PSAMP_METHOD_GREEDY ? 1 : n_samples;
}

static int open_models(const experiment_config *c, expt_set *s, psamp_err *err) {
    int32_t n = c->n_worlds > 0 ? c->n_worlds : 1;
    s->models = calloc((size_t)n, sizeof *s->models);
    s->engines = calloc((size_t)n, sizeof *s->engines);
    s->rooms = calloc((size_t)n, sizeof *s->rooms);
    s->batch_problems = calloc((size_t)n, sizeof *s->batch_problems);
    s->model_paths = calloc((size_t)n, sizeof *s->model_paths);
    if (!s->models || !s->engines || !s->rooms || !s->batch_problems || !s->model_paths) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        s->model_paths[i] = c->n_worlds > 0 ? c->worlds[i] : c->model;
        if (psamp_model_open(&s->models[i], s->model_paths[i], err) != 0) return -1;
        s->n_models = i + 1;
        if (c->n_worlds > 0 && !psamp_model_toy(s->models[i]))
            return psamp_fail(err, "--worlds: '%s' is not a toy-world spec", s->model_paths[i]);
    }
    return 0;
}

/* Fills the problem list: one per world, or one per task on the single model. */
static int make_problems(const experiment_config *c, int require_check, int32_t default_opt_tokens, expt_set *s,
                         psamp_err *err) {
    const char *tasks_opt = c->kind == EXPERIMENT_PASSK ? "--tasks" : "--prompts";
    int with_tasks = c->n_worlds == 0 && c->tasks;
    if (with_tasks && passk_tasks_load(c->tasks, require_check, &s->tasks, err) != 0) return -1;
    if (with_tasks && c->max_tasks > 0) passk_tasks_truncate(&s->tasks, c->max_tasks);
    if (c->prompt_template) {
        char *tmpl;
        if (!with_tasks) return psamp_fail(err, "--prompt-template: needs %s (the problems to put in it)", tasks_opt);
        if (prompt_template_load(c->prompt_template, &tmpl, err) != 0) return -1;
        int rc = prompt_template_apply_tasks(tmpl, &s->tasks, err);
        free(tmpl);
        if (rc != 0) return -1;
    }
    if (!with_tasks && c->n_worlds == 0 && !psamp_model_toy(s->models[0]))
        return psamp_fail(err, "--model '%s' is an OPT checkpoint: give %s FILE.jsonl", c->model, tasks_opt);
    int32_t n = with_tasks ? s->tasks.n : s->n_models;
    s->problems = calloc((size_t)n, sizeof *s->problems);
    if (!s->problems) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        expt_problem *p = &s->problems[i];
        s->n_problems = i + 1;
        p->model = with_tasks ? 0 : i;
        psamp_model *m = s->models[p->model];
        const toy_world *w = psamp_model_toy(m);
        p->task = with_tasks ? &s->tasks.items[i] : NULL;
        p->id = p->task ? p->task->id : w->name;
        p->prompt_text = p->task ? p->task->prompt : "";
        if (!p->task && require_check && w->n_correct == 0)
            return psamp_fail(err, "%s: the toy world has no \"correct\" set to judge samples by",
                              s->model_paths[p->model]);
        if (psamp_model_encode(m, p->prompt_text, &p->prompt, &p->n_prompt, err) != 0)
            return psamp_fail_context(err, "problem '%s'", p->id);
        int32_t room = psamp_model_max_len(m) - p->n_prompt;
        p->max_new_tokens = c->max_new_tokens > 0 ? c->max_new_tokens : w ? room : default_opt_tokens;
        if (p->max_new_tokens > room)
            return psamp_fail(err, "problem '%s': prompt (%d tokens) + %d new tokens exceeds the model's %d positions",
                              p->id, p->n_prompt, p->max_new_tokens, psamp_model_max_len(m));
    }
    return 0;
}

/* One engine per model: slots for the hungriest method over the batches of problems it
 * runs at once (cli_experiment_batch.c), room for the longest problem. */
static int make_engines(const experiment_config *c, expt_set *s, psamp_err *err) {
    const char *who = c->kind == EXPERIMENT_PASSK ? "psamp passk" : "psamp h3";
    psamp_backend_options bo;
    if (cli_backend_options(c->backend, c->dtype, c->threads, &bo, err) != 0 ||
        cli_kv_cache_option(c->kv_cache, &bo, err) != 0)
        return -1;
    for (int32_t mi = 0; mi < s->n_models; mi++) {
        int32_t slots = 0, max_len = 0;
        int queued = 0;
        for (int32_t p = 0; p < s->n_problems; p++) {
            const expt_problem *pr = &s->problems[p];
            if (pr->model == mi && pr->n_prompt + pr->max_new_tokens > max_len) max_len = pr->n_prompt + pr->max_new_tokens;
        }
        if (max_len == 0) continue;
        if (cli_engine_room(s->models[mi], NULL, &bo, max_len, &s->rooms[mi], err) != 0 ||
            expt_plan_batches(c, s, mi, &slots, &queued, err) != 0)
            return -1;
        if (queued)
            fprintf(stderr, "%s: %s: the engine has room for %d slots of %d tokens: methods whose chains "
                    "need more run as many at a time as fit (the samples are the same)\n",
                    who, s->model_paths[mi], s->rooms[mi], max_len);
        if (psamp_model_engine(s->models[mi], &bo, slots, max_len, &s->engines[mi], err) != 0) return -1;
    }
    return 0;
}

int expt_open(const experiment_config *c, int require_check, int32_t default_opt_tokens, expt_set *s,
              psamp_err *err) {
    memset(s, 0, sizeof *s);
    s->max_active = c->max_active;
    if (open_models(c, s, err) != 0 || make_problems(c, require_check, default_opt_tokens, s, err) != 0 ||
        make_engines(c, s, err) != 0) {
        expt_close(s);
        return -1;
    }
    return 0;
}

void expt_write_engines(FILE *f, const experiment_config *c, const expt_set *s) {
    fputs(",\"kv_cache\":", f);
    psamp_json_string(f, c->kv_cache, strlen(c->kv_cache));
    fputs(",\"engines\":[", f);
    int first = 1;
    for (int32_t m = 0; m < s->n_models; m++) {
        const psamp_engine *e = s->engines[m];
        if (!e) continue;
        fputs(first ? "{\"model\":" : ",{\"model\":", f);
        psamp_json_string(f, s->model_paths[m], strlen(s->model_paths[m]));
        fputs(",\"backend\":", f);
        psamp_json_string(f, e->info.backend, strlen(e->info.backend));
        fputs(",\"engine\":", f);
        psamp_json_string(f, e->info.detail, strlen(e->info.detail));
        fputc('}', f);
        first = 0;
    }
    fputc(']', f);
}

int expt_completion_text(const expt_set *s, int32_t p, const psamp_chain_result *ch, char **text, size_t *len,
                         psamp_err *err) {
    const psamp_model *m = s->models[s->problems[p].model];
    return psamp_model_completion_text(m, ch->tokens, ch->n_tokens, ch->ended, text, len, err);
}

int expt_judge(const expt_set *s, int32_t p, const psamp_chain_result *ch, int *correct, psamp_err *err) {
    const expt_problem *pr = &s->problems[p];
    if (!pr->task) {
        *correct = toy_world_is_correct(psamp_model_toy(s->models[pr->model]), ch->tokens, ch->n_tokens);
        return 0;
    }
    char *text;
    size_t len;
    if (expt_completion_text(s, p, ch, &text, &len, err) != 0) return -1;
    *correct = passk_task_judge(pr->task, text, len);
    free(text);
    return 0;
}

void expt_common_options(expt_args *a, cli_option *opts, const char *tasks_option, const char *default_tokens) {
    int passk = strcmp(tasks_option, "tasks") == 0;
    snprintf(a->tokens_help, sizeof a->tokens_help, "tokens per sample (default: %s)", default_tokens);
    cli_option common[EXPT_COMMON_OPTIONS] = {
        {"config", CLI_STRING, &a->config, "FILE", "JSON config (experiments/README.md); options below override it", 0},
        {"model", CLI_STRING, &a->model, "PATH", "toy-world spec, or checkpoint dir (OPT, Qwen2, Llama, Phi-3) with a task file", 0},
        {"worlds", CLI_STRING, &a->worlds, "A,B,..", "toy-world specs, one problem each (instead of --model)", 0},
        {tasks_option, CLI_STRING, &a->tasks, "FILE",
         passk ? "task file (JSONL: id, prompt, answer or regex)" : "prompts (JSONL: id, prompt; a task file works)", 0},
        {"max-tasks", CLI_INT, &a->max_tasks, "N", "only the first N problems of the file (default: all)", 0},
        {"prompt-template", CLI_STRING, &a->prompt_template, "FILE",
         "text with {problem} where each prompt goes (experiments/prompts/)", 0},
        {"samples", CLI_INT, &a->samples, "N", "samples per problem per method (default 16)", 0},
        {"methods", CLI_STRING, &a->methods, "SPECS", "space-separated method specs (below)", 0},
        {"max-new-tokens", CLI_INT, &a->max_new_tokens, "T", a->tokens_help, 0},
        {"seed", CLI_U64, &a->seed, "S", "random seed (default 0)", 0},
        {"backend", CLI_STRING, &a->backend, "NAME", "auto | cpu | cuda (default auto)", 0},
        {"dtype", CLI_STRING, &a->dtype, "NAME", "cuda weights: fp16 | bf16 (default fp16)", 0},
        {"kv-cache", CLI_STRING, &a->kv_cache, "NAME", "cuda, OPT: dtype | fp8 (e4m3 KV cache; default dtype)", 0},
        {"threads", CLI_INT, &a->threads, "N", "cpu: threads (default: all cores)", 0},
        {"max-active", CLI_INT, &a->max_active, "K", "chains decoding at once; the rest queue (default: all that fit in memory)", 0},
    };
    memcpy(opts, common, sizeof common);
}

int expt_apply_args(const cli_command *cmd, const expt_args *a, experiment_config *c, const char *default_methods,
                    psamp_err *err) {
    if (a->config && experiment_config_load(c, a->config, err) != 0) return -1;
    if (a->model && experiment_set_string(&c->model, a->model, err) != 0) return -1;
    if (a->worlds && experiment_set_worlds(c, a->worlds, err) != 0) return -1;
    if (a->tasks && experiment_set_string(&c->tasks, a->tasks, err) != 0) return -1;
    if (a->prompt_template && experiment_set_string(&c->prompt_template, a->prompt_template, err) != 0) return -1;
    if (a->ks && experiment_set_ks(c, a->ks, err) != 0) return -1;
    if (a->backend && experiment_set_string(&c->backend, a->backend, err) != 0) return -1;
    if (a->dtype && experiment_set_string(&c->dtype, a->dtype, err) != 0) return -1;
    if (a->kv_cache && experiment_set_string(&c->kv_cache, a->kv_cache, err) != 0) return -1;
    if (cli_given(cmd, "samples")) c->samples = a->samples;
    if (cli_given(cmd, "max-tasks")) {
        if (a->max_tasks <= 0) return psamp_fail(err, "--max-tasks must be positive (got %d)", a->max_tasks);
        c->max_tasks = a->max_tasks;
    }
    if (cli_given(cmd, "seed")) c->seed = a->seed;
    if (cli_given(cmd, "threads")) c->threads = a->threads;
    if (cli_given(cmd, "max-active")) c->max_active = a->max_active;
    if (cli_given(cmd, "batch-chains")) {
        if (a->batch_chains < 0) return psamp_fail(err, "--batch-chains must be >= 0 (got %d)", a->batch_chains);
        c->batch_chains = a->batch_chains;
    }
    if (cli_given(cmd, "max-new-tokens")) {
        if (a->max_new_tokens <= 0) return psamp_fail(err, "--max-new-tokens must be positive (got %d)", a->max_new_tokens);
        c->max_new_tokens = a->max_new_tokens;
    }
    if (c->threads < 0) return psamp_fail(err, "--threads must be >= 0 (got %d)", c->threads);
    if (c->max_active < 0) return psamp_fail(err, "--max-active must be >= 0 (got %d)", c->max_active);
    if (a->methods) return method_list_from_text(a->methods, "--methods", &c->methods, err);
    if (c->methods.n == 0) return method_list_from_text(default_methods, "default methods", &c->methods, err);
    return 0;
}

int expt_prepare(const cli_command *cmd, const expt_args *a, experiment_kind kind, const char *default_methods,
                 experiment_config *c, psamp_err *err) {
    if (experiment_config_init(c, kind, err) != 0) return -1;
    if (expt_apply_args(cmd, a, c, default_methods, err) != 0 || experiment_config_check(c, err) != 0) {
        experiment_config_free(c);
        return -1;
    }
    return 0;
}
