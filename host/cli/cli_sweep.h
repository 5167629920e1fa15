/* psamp sweep's parts (cli_sweep*.c): the plan (config, open models, points), running one
 * point into the sweep folder, and --merge. */
#ifndef PSAMP_CLI_SWEEP_H
#define PSAMP_CLI_SWEEP_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "sampler.h"
#include "sweep_config.h"
#include "sweep_points.h"

typedef struct {
    sweep_config cfg;
    psamp_model **models;   /* one per config model, open for the whole sweep */
    sweep_model_info *infos;
    int32_t **prompt_ids;   /* [model * n_prompts + prompt] */
    sweep_point *points;
    int32_t n_points, n_dropped;
} cli_sweep_plan;

/* Loads the config, opens every model, encodes every prompt and expands the grid: every
 * check that needs no running happens here. On failure the plan is left closed. */
int cli_sweep_plan_open(const char *config_path, cli_sweep_plan *plan, psamp_err *err);
void cli_sweep_plan_close(cli_sweep_plan *plan);

/* Runs point i and writes DIR/samples/NAME.jsonl, then DIR/points/NAME.json (the point's
 * completion mark). *row = the point's record (caller frees). */
int cli_sweep_run_point(const cli_sweep_plan *plan, int32_t i, const char *out,
                        const psamp_sampler_hooks *hooks, cJSON **row, psamp_err *err);
/* Records a failed point in DIR/points/NAME.failed.json. */
int cli_sweep_mark_failed(const cli_sweep_plan *plan, int32_t i, const char *out, const char *why,
                          psamp_err *err);

/* psamp sweep --merge DIR: the process exit code. */
int cli_sweep_merge(const char *out, int quiet);

#endif
