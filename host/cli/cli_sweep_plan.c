/* Opening a sweep: its config, every model once, every prompt under every model, and the
 * grid's points, so that nothing is wrong by the time points start running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sweep.h"

void cli_sweep_plan_close(cli_sweep_plan *plan) {
    int n_models = plan->cfg.axes[SWEEP_MODEL].n, n_prompts = plan->cfg.axes[SWEEP_PROMPT].n;
    for (int i = 0; plan->prompt_ids && i < n_models * n_prompts; i++) free(plan->prompt_ids[i]);
    for (int i = 0; plan->infos && i < n_models; i++) free(plan->infos[i].n_prompt);
    for (int i = 0; plan->models && i < n_models; i++) psamp_model_close(plan->models[i]);
    free(plan->prompt_ids);
    free(plan->infos);
    free(plan->models);
    free(plan->points);
    sweep_config_free(&plan->cfg);
    memset(plan, 0, sizeof *plan);
}

static int open_model(cli_sweep_plan *plan, int i, psamp_err *err) {
    sweep_config *cfg = &plan->cfg;
    int n_prompts = cfg->axes[SWEEP_PROMPT].n;
    char label[64];
    sweep_axis_label(cfg, SWEEP_MODEL, i, label, sizeof label);
    if (psamp_model_open(&plan->models[i], cfg->model_paths[i], err) != 0)
        return psamp_fail_context(err, "%s: %s", cfg->path, label);
    sweep_model_info *info = &plan->infos[i];
    info->max_len = psamp_model_max_len(plan->models[i]);
    info->is_toy = psamp_model_toy(plan->models[i]) != NULL;
    info->n_prompt = calloc((size_t)n_prompts, sizeof *info->n_prompt);
    if (!info->n_prompt) return psamp_fail(err, "out of memory");
    for (int j = 0; j < n_prompts; j++) {
        int32_t **ids = &plan->prompt_ids[i * n_prompts + j];
        char prompt[64];
        sweep_axis_label(cfg, SWEEP_PROMPT, j, prompt, sizeof prompt);
        if (psamp_model_encode(plan->models[i], cfg->axes[SWEEP_PROMPT].str[j], ids, &info->n_prompt[j], err) != 0) {
            /* The model layer speaks of --prompt; here the config's key is at fault. */
            char why[sizeof err->msg];
            const char *msg = strncmp(err->msg, "--prompt: ", 10) == 0 ? err->msg + 10 : err->msg;
            snprintf(why, sizeof why, "%s", msg);
            return psamp_fail(err, "%s: %s (%s): %s", cfg->path, prompt, label, why);
        }
    }
    return 0;
}

int cli_sweep_plan_open(const char *config_path, cli_sweep_plan *plan, psamp_err *err) {
    memset(plan, 0, sizeof *plan);
    if (sweep_config_load(config_path, &plan->cfg, err) != 0) return -1;
    size_t n_models = (size_t)plan->cfg.axes[SWEEP_MODEL].n, n_prompts = (size_t)plan->cfg.axes[SWEEP_PROMPT].n;
    plan->models = calloc(n_models, sizeof *plan->models);
    plan->infos = calloc(n_models, sizeof *plan->infos);
    plan->prompt_ids = calloc(n_models * n_prompts, sizeof *plan->prompt_ids);
    int rc = plan->models && plan->infos && plan->prompt_ids ? 0 : psamp_fail(err, "out of memory");
    for (size_t i = 0; rc == 0 && i < n_models; i++) rc = open_model(plan, (int)i, err);
    if (rc == 0)
        rc = sweep_points_plan(&plan->cfg, plan->infos, &plan->points, &plan->n_points, &plan->n_dropped, err);
    if (rc != 0) cli_sweep_plan_close(plan);
    return rc;
}
