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
    "mixing_start_null", "mixing_probe_steps", "mixing_probe_shift", "mixing_turnover", "mixing_score", "tasks", "problems",
    "samples_per_problem", "correct_total", "pass_at_1", "pass_at_1_lo", "pass_at_1_hi",
    "tokens_per_problem", "hardware", "samples", NULL};

const char *const *sweep_results_columns(void) { return COLUMNS; }

static int by_value(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The k values above 1 any row reports, ascending and distinct: the CSV's pass_at_K columns. */
static int32_t collect_ks(cJSON *const *rows, int32_t n_rows, int32_t **out) {
    int32_t n = 0, cap = 0, *ks = NULL;
    for (int32_t r = 0; r < n_rows; r++) {
        const cJSON *k;
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(rows[r], "k")) {
            if (!cJSON_IsNumber(k)) continue;
            if (n == cap) {
                int32_t *grown = realloc(ks, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *ks);
                if (!grown) {
                    free(ks);
                    return -1;
                }
                ks = grown;
            }
            ks[n++] = (int32_t)k->valuedouble;
        }
    }
    if (n) qsort(ks, (size_t)n, sizeof *ks, by_value);
    int32_t m = 0; /* pass_at_1 has its own column */
    for (int32_t i = 0; i < n; i++)
        if (ks[i] != 1 && (m == 0 || ks[i] != ks[m - 1])) ks[m++] = ks[i];
    *out = ks;
    return m;
}

/* Row r's pass@k at k, or NULL when it has none. */
static const cJSON *pass_at(const cJSON *row, int32_t k) {
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(row, "k");
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(row, "pass_at_k");
    for (int i = 0; i < cJSON_GetArraySize(ks); i++)
        if (cJSON_GetArrayItem(ks, i)->valuedouble == k) return cJSON_GetArrayItem(vs, i);
    return NULL;
}

static void write_cell(FILE *f, const cJSON *v) {
    if (cJSON_IsNumber(v)) psamp_csv_number_exact(f, v->valuedouble);
    else if (cJSON_IsString(v)) psamp_csv_field(f, v->valuestring);
    else if (cJSON_IsBool(v)) fputs(cJSON_IsTrue(v) ? "true" : "false", f);
}

static int write_csv(const char *out, cJSON *const *rows, int32_t n_rows, psamp_err *err) {
    char *path = sweep_dir_file(out, NULL, "results.csv");
    psamp_atomic_file a;
    int32_t *ks = NULL, n_ks;
    if (!path) return psamp_fail(err, "out of memory");
    if ((n_ks = collect_ks(rows, n_rows, &ks)) < 0) {
        free(path);
        return psamp_fail(err, "out of memory");
    }
    int rc = psamp_atomic_open(&a, path, "--out", err);
    free(path);
    if (rc != 0) {
        free(ks);
        return -1;
    }
    for (int c = 0; COLUMNS[c]; c++) fprintf(a.f, "%s%s", c ? "," : "", COLUMNS[c]);
    for (int32_t i = 0; i < n_ks; i++) fprintf(a.f, ",pass_at_%d", (int)ks[i]);
    fputc('\n', a.f);
    for (int32_t r = 0; r < n_rows; r++) {
        for (int c = 0; COLUMNS[c]; c++) {
            if (c) fputc(',', a.f);
            write_cell(a.f, cJSON_GetObjectItemCaseSensitive(rows[r], COLUMNS[c]));
        }
        for (int32_t i = 0; i < n_ks; i++) {
            fputc(',', a.f);
            write_cell(a.f, pass_at(rows[r], ks[i]));
        }
        fputc('\n', a.f);
    }
    free(ks);
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
    /* The CSV from the rows as results.json stores them (printed, then read back): a whole
     * run holds its numbers exactly, a merge reads them from the point files, and cJSON
     * prints a number to 15 digits when that reads back within an ulp; from the stored
     * values both write the same digits. */
    char *printed = cJSON_PrintUnformatted(arr);
    cJSON *stored = printed ? cJSON_Parse(printed) : NULL;
    free(printed);
    cJSON **stored_rows = stored ? malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *stored_rows) : NULL;
    if (!stored_rows || cJSON_GetArraySize(stored) != n_rows) {
        free(stored_rows);
        cJSON_Delete(stored);
        cJSON_Delete(doc);
        return psamp_fail(err, "out of memory");
    }
    int32_t n_stored = 0;
    cJSON *row;
    cJSON_ArrayForEach(row, stored) stored_rows[n_stored++] = row;
    /* The JSON last: a reader that sees results.json finds the CSV of the same rows. */
    const int csv_rc = write_csv(out, stored_rows, n_rows, err);
    free(stored_rows);
    cJSON_Delete(stored);
    if (csv_rc != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    return sweep_dir_write_json(out, NULL, "results.json", doc, err);
}
