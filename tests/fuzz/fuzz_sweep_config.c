/* Sweep configs (host/sweep/sweep_config.c over host/util/exp_config.c) and their grids
 * (host/sweep/sweep_points.c): the input is the config. Its folder holds a toy world
 * "w.json" and a task file "t.jsonl" (written once), so configs can name real files. A
 * config that loads is expanded as if every model had 16 positions and every prompt 2
 * tokens (grids of at most 4096 points, to keep each input fast). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sweep_config.h"
#include "sweep_points.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char WORLD[] =
    "{\"tokens\": [\"a\", \"b\"], \"length\": 4, \"start\": \"s\",\n"
    " \"states\": {\"s\": {\"a\": [0.5, \"s\"], \"b\": [0.5, null]}}}\n";
static const char TASKS[] =
    "{\"id\": \"one\", \"prompt\": \"a\", \"answer\": \"b\"}\n"
    "{\"id\": \"two\", \"prompt\": \"a a\", \"regex\": \"^b\"}\n";

static void plan(const sweep_config *cfg) {
    double n_points = 1;
    for (int a = 0; a < SWEEP_N_AXES; a++) n_points *= cfg->axes[a].n;
    if (n_points > 4096) return;
    int n_models = cfg->axes[SWEEP_MODEL].n, n_prompts = cfg->axes[SWEEP_PROMPT].n;
    sweep_model_info *infos = calloc((size_t)n_models, sizeof *infos);
    int32_t *lens = malloc(((size_t)n_prompts + 1) * sizeof *lens);
    if (!infos || !lens) abort();
    for (int j = 0; j <= n_prompts; j++) lens[j] = 2;
    for (int i = 0; i < n_models; i++) infos[i] = (sweep_model_info){16, 1, lens, cfg->tasks_path ? 2.0 * cfg->tasks.n : 0};
    sweep_point *points = NULL;
    int32_t n = 0, dropped = 0;
    psamp_err err = {{0}};
    if (sweep_points_plan(cfg, infos, &points, &n, &dropped, &err) != 0) {
        fuzz_check_error(&err, "sweep_config (plan)");
    } else {
        for (int32_t p = 0; p < n; p++) {
            char line[512];
            sweep_point_describe(cfg, &points[p], line, sizeof line);
            cJSON *settings = sweep_point_settings(cfg, &points[p]);
            if (!settings) fuzz_fail("sweep_config", "point settings out of memory");
            cJSON_Delete(settings);
        }
    }
    free(points);
    free(lens);
    free(infos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char *config_path;
    if (!config_path) {
        free(fuzz_write_file("w.json", WORLD, sizeof WORLD - 1));
        free(fuzz_write_file("t.jsonl", TASKS, sizeof TASKS - 1));
        config_path = fuzz_path("sweep.json");
    }
    char *json = malloc(size + 1);
    if (!json) abort();
    memcpy(json, data, size);
    json[size] = '\0';
    sweep_config cfg;
    psamp_err err = {{0}};
    if (sweep_config_parse(json, config_path, &cfg, &err) != 0) {
        fuzz_check_error(&err, "sweep_config");
    } else {
        char label[64];
        for (int a = 0; a < SWEEP_N_AXES; a++) {
            if (cfg.axes[a].n < 1) fuzz_fail("sweep_config", "an axis without values");
            sweep_axis_label(&cfg, (sweep_axis_id)a, cfg.axes[a].n - 1, label, sizeof label);
        }
        /* Without tasks the hash is the canonical text's (with tasks it folds in the file). */
        if (!cfg.tasks_path && sweep_hash_text(cfg.canonical, strlen(cfg.canonical)) != cfg.hash)
            fuzz_fail("sweep_config", "the hash is not the canonical text's");
        plan(&cfg);
    }
    sweep_config_free(&cfg);
    free(json);
    return 0;
}
