/* Opening a sweep: its config, every model once, every prompt under every model, and the
 * grid's points, so that nothing is wrong by the time points start running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sweep.h"

void cli_sweep_plan_close(cli_sweep_plan *plan) {
    int n_models = plan->cfg.axes[SWEEP_MODEL].n;
    for (int i = 0; plan->prompt_ids && i < n_models * plan->n_texts; i++) free(plan->prompt_ids[i]);
    free(plan->prompt_lens);
    for (int i = 0; plan->infos && i < n_models; i++) free(plan->infos[i].n_prompt);
    for (int i = 0; plan->models && i < n_models; i++) psamp_model_close(plan->models[i]);
    free(plan->prompt_ids);
    free(plan->infos);
    free(plan->models);
    free(plan->points);
    sweep_config_free(&plan->cfg);
    memset(plan, 0, sizeof *plan);
}

/* Text j of the config: prompt j, or with tasks task j's prompt. */
static const char *plan_text(const sweep_config *cfg, int j) {
    return cfg->tasks_path ? cfg->tasks.items[j].prompt : cfg->axes[SWEEP_PROMPT].str[j];
}

static int open_model(cli_sweep_plan *plan, int i, psamp_err *err) {
    sweep_config *cfg = &plan->cfg;
    int n_texts = plan->n_texts;
    char label[64];
    sweep_axis_label(cfg, SWEEP_MODEL, i, label, sizeof label);
    if (psamp_model_open(&plan->models[i], cfg->model_paths[i], err) != 0)
        return psamp_fail_context(err, "%s: %s", cfg->path, label);
    sweep_model_info *info = &plan->infos[i];
    info->max_len = psamp_model_max_len(plan->models[i]);
    info->is_toy = psamp_model_toy(plan->models[i]) != NULL;
    if (info->is_toy && strcmp(cfg->kv_cache, "fp8") == 0)
        return psamp_fail(err, "%s: kv_cache: fp8, but %s is a toy world, which has no KV cache", cfg->path, label);
    info->n_prompt = calloc((size_t)cfg->axes[SWEEP_PROMPT].n, sizeof *info->n_prompt);
    if (!info->n_prompt) return psamp_fail(err, "out of memory");
    for (int j = 0; j < n_texts; j++) {
        int32_t **ids = &plan->prompt_ids[i * n_texts + j], *len = &plan->prompt_lens[i * n_texts + j];
        char prompt[160];
        if (cfg->tasks_path) snprintf(prompt, sizeof prompt, "tasks: '%.100s'", cfg->tasks.items[j].id);
        else sweep_axis_label(cfg, SWEEP_PROMPT, j, prompt, sizeof prompt);
        if (psamp_model_encode(plan->models[i], plan_text(cfg, j), ids, len, err) != 0) {
            /* The model layer speaks of --prompt; here the config's key is at fault. */
            char why[sizeof err->msg];
            const char *msg = strncmp(err->msg, "--prompt: ", 10) == 0 ? err->msg + 10 : err->msg;
            snprintf(why, sizeof why, "%s", msg);
            return psamp_fail(err, "%s: %s (%s): %s", cfg->path, prompt, label, why);
        }
        /* With tasks the grid sees one prompt: the longest, which must fit with T tokens. */
        if (!cfg->tasks_path) info->n_prompt[j] = *len;
        else if (*len > info->n_prompt[0]) info->n_prompt[0] = *len;
        info->task_prompt_tokens += *len;
    }
    return 0;
}

int cli_sweep_plan_open(const char *config_path, cli_sweep_plan *plan, psamp_err *err) {
    memset(plan, 0, sizeof *plan);
    if (sweep_config_load(config_path, &plan->cfg, err) != 0) return -1;
    size_t n_models = (size_t)plan->cfg.axes[SWEEP_MODEL].n;
    plan->n_texts = plan->cfg.tasks_path ? plan->cfg.tasks.n : plan->cfg.axes[SWEEP_PROMPT].n;
    plan->models = calloc(n_models, sizeof *plan->models);
    plan->infos = calloc(n_models, sizeof *plan->infos);
    plan->prompt_ids = calloc(n_models * (size_t)plan->n_texts, sizeof *plan->prompt_ids);
    plan->prompt_lens = calloc(n_models * (size_t)plan->n_texts, sizeof *plan->prompt_lens);
    int rc = plan->models && plan->infos && plan->prompt_ids && plan->prompt_lens ? 0 : psamp_fail(err, "out of memory");
    for (size_t i = 0; rc == 0 && i < n_models; i++) rc = open_model(plan, (int)i, err);
    if (rc == 0)
        rc = sweep_points_plan(&plan->cfg, plan->infos, &plan->points, &plan->n_points, &plan->n_dropped, err);
    if (rc != 0) cli_sweep_plan_close(plan);
    return rc;
}
