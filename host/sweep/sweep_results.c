/* Results tables: the JSON rows as they are, and a CSV of fixed columns for spreadsheets
 * and pandas. */
#include "sweep_results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "csv_write.h"
#include "sweep_dir.h"

static const char *const COLUMNS[] = {
    "index", "name", "model", "prompt", "method", "max_new_tokens", "block_size", "blocks",
    "mcmc_steps", "alpha", "proposal_temp", "temperature", "best_of", "chains", "seed", "backend",
    "est_tokens", "accept_rate", "mean_logp", "mean_logp_per_token", "mean_length", "correct_rate",
    "tokens_decoded", "proposal_tokens", "proposals", "wall_seconds", "tokens_per_second",
    "tokens_per_second_per_chain", "proposals_per_second_per_chain", "mixing_start_dependence",
    "mixing_start_null", "mixing_probe_steps", "mixing_probe_shift", "mixing_turnover", "mixing_score",
    "samples", NULL};

const char *const *sweep_results_columns(void) { return COLUMNS; }

static int write_csv(const char *out, cJSON *const *rows, int32_t n_rows, psamp_err *err) {
    char *path = sweep_dir_file(out, NULL, "results.csv");
    psamp_atomic_file a;
    if (!path) return psamp_fail(err, "out of memory");
    int rc = psamp_atomic_open(&a, path, "--out", err);
    free(path);
    if (rc != 0) return -1;
    for (int c = 0; COLUMNS[c]; c++) fprintf(a.f, "%s%s", c ? "," : "", COLUMNS[c]);
    fputc('\n', a.f);
    for (int32_t r = 0; r < n_rows; r++) {
        for (int c = 0; COLUMNS[c]; c++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(rows[r], COLUMNS[c]);
            if (c) fputc(',', a.f);
            if (cJSON_IsNumber(v)) psamp_csv_number_exact(a.f, v->valuedouble);
            else if (cJSON_IsString(v)) psamp_csv_field(a.f, v->valuestring);
            else if (cJSON_IsBool(v)) fputs(cJSON_IsTrue(v) ? "true" : "false", a.f);
        }
        fputc('\n', a.f);
    }
    return psamp_atomic_commit(&a, err);
}

int sweep_results_write(const char *out, const char *name, uint64_t config_hash, int32_t n_points,
                        cJSON *const *rows, int32_t n_rows, psamp_err *err) {
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)config_hash);
    cJSON *doc = cJSON_CreateObject(), *arr = NULL;
    int ok = doc && cJSON_AddStringToObject(doc, "name", name) &&
             cJSON_AddStringToObject(doc, "config_hash", hash) &&
             cJSON_AddNumberToObject(doc, "points", n_points) &&
             cJSON_AddNumberToObject(doc, "finished", n_rows) &&
             (arr = cJSON_AddArrayToObject(doc, "rows")) != NULL;
    for (int32_t r = 0; ok && r < n_rows; r++) {
        cJSON *copy = cJSON_Duplicate(rows[r], 1);
        ok = copy && cJSON_AddItemToArray(arr, copy);
        if (!ok) cJSON_Delete(copy);
    }
    if (!ok) {
        cJSON_Delete(doc);
        return psamp_fail(err, "out of memory");
    }
    /* The JSON last: a reader that sees results.json finds the CSV of the same rows. */
    if (write_csv(out, rows, n_rows, err) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    return sweep_dir_write_json(out, NULL, "results.json", doc, err);
}
