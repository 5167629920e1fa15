/* psamp sweep --merge DIR: joins the points that shards finished into results.csv/.json,
 * in plan order, and lists what is missing or failed. Anything in DIR from another config
 * (a shard state or point record with another config hash) is an error, not a row. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sweep.h"
#include "sweep_dir.h"
#include "sweep_lock.h"
#include "sweep_results.h"

static const char *json_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

typedef struct {
    uint64_t config_hash;
    const char **names; /* the plan's point names, by index */
    int32_t n_points;
} merge_plan;

/* Every JSON file (not a temporary) in DIR/SUB: check(path, json) on each. */
static int each_json(const char *out, const char *sub, const merge_plan *mp,
                     int (*check)(const char *, const cJSON *, const merge_plan *, psamp_err *),
                     psamp_err *err) {
    char *dir = sweep_dir_file(out, NULL, sub);
    if (!dir) return psamp_fail(err, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e == ENOENT ? 0 : psamp_fail(err, "cannot list '%s/%s': %s", out, sub, strerror(e));
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (strstr(e->d_name, ".tmp.") || n < 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        char *path = sweep_dir_file(dir, NULL, e->d_name);
        cJSON *j = NULL;
        if (!path) rc = psamp_fail(err, "out of memory");
        else if ((rc = sweep_read_json(path, 1, &j, err)) == 0 && j)
            rc = check(path, j, mp, err);
        cJSON_Delete(j);
        free(path);
    }
    closedir(d);
    free(dir);
    return rc;
}

static int same_config(const char *path, const cJSON *j, uint64_t config_hash, psamp_err *err) {
    const char *h = json_str(j, "config_hash");
    char want[24];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)config_hash);
    if (!h) return psamp_fail(err, "%s: no config_hash (not written by psamp sweep?)", path);
    if (strcmp(h, want) != 0)
        return psamp_fail(err, "%s: config hash %s, but the plan's is %s: shards of different configs "
                          "cannot be merged", path, h, want);
    return 0;
}

static int check_shard(const char *path, const cJSON *j, const merge_plan *mp, psamp_err *err) {
    return same_config(path, j, mp->config_hash, err);
}

/* A point record must be of this config and of a point in the plan. */
static int check_point(const char *path, const cJSON *j, const merge_plan *mp, psamp_err *err) {
    if (same_config(path, j, mp->config_hash, err) != 0) return -1;
    const char *name = json_str(j, "name");
    long i = name && name[0] == 'p' ? strtol(name + 1, NULL, 10) : -1;
    if (i >= 0 && i < mp->n_points && mp->names[i] && strcmp(mp->names[i], name) == 0) return 0;
    return psamp_fail(err, "%s: not a point of this sweep's plan", path);
}

/* "power model=w.json alpha=4 ..." from a plan entry, for the missing list. */
static void describe(const cJSON *p, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (const cJSON *v = p->child; v && n < cap; v = v->next) {
        int k = 0;
        if (!strcmp(v->string, "index") || !strcmp(v->string, "name") || !strcmp(v->string, "id")) continue;
        if (cJSON_IsString(v)) k = snprintf(buf + n, cap - n, "%s%s=%s", n ? " " : "", v->string, v->valuestring);
        else if (cJSON_IsNumber(v)) k = snprintf(buf + n, cap - n, "%s%s=%g", n ? " " : "", v->string, v->valuedouble);
        if (k > 0) n += (size_t)k;
    }
}

int cli_sweep_merge(const char *out, int quiet) {
    psamp_err err = {{0}};
    cJSON *plan = NULL, **rows = NULL;
    const char **names = NULL;
    uint64_t hash = 0;
    int32_t n_points = 0, n_rows = 0, missing = 0, failed = 0;
    int status = 1;
    sweep_lock lock;
    sweep_lock_init(&lock);
    /* The plan first (it says whether `out` is a sweep folder at all), then the lock: a
     * merge writes results.*, as a whole run does, so not beside one (sweep_lock.h). */
    if (sweep_dir_read_plan(out, &plan, &hash, &err) != 0 || sweep_lock_take(out, SWEEP_LOCK_MERGE, 0, 0, "--merge", &lock, &err) != 0)
        goto done;
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(plan, "points");
    n_points = cJSON_GetArraySize(points);
    rows = calloc((size_t)(n_points > 0 ? n_points : 1), sizeof *rows);
    names = calloc((size_t)(n_points > 0 ? n_points : 1), sizeof *names);
    if (!rows || !names) {
        psamp_fail(&err, "out of memory");
        goto done;
    }
    int32_t k = 0;
    for (const cJSON *p = points->child; p; p = p->next) names[k++] = json_str(p, "name");
    merge_plan mp = {hash, names, n_points};
    if (each_json(out, "shards", &mp, check_shard, &err) != 0 || each_json(out, "points", &mp, check_point, &err) != 0)
        goto done;
    for (const cJSON *p = points->child; p; p = p->next) {
        const char *name = json_str(p, "name"), *id = json_str(p, "id");
        sweep_point_state state;
        char *why = NULL, desc[256];
        if (!name || !id) {
            psamp_fail(&err, "%s/plan.json: a point without name or id", out);
            goto done;
        }
        if (sweep_dir_point_state(out, name, id, hash, &state, &rows[n_rows], &why, &err) != 0) goto done;
        if (state == SWEEP_POINT_DONE) n_rows++;
        describe(p, desc, sizeof desc);
        if (state == SWEEP_POINT_MISSING) {
            missing++;
            if (!quiet) fprintf(stderr, "psamp sweep: missing %s (%s)\n", name, desc);
        } else if (state == SWEEP_POINT_FAILED) {
            failed++;
            if (!quiet) fprintf(stderr, "psamp sweep: failed %s (%s): %s\n", name, desc, why);
        }
        free(why);
    }
    const char *name = json_str(plan, "name");
    if (sweep_results_write(out, name ? name : "", hash, n_points, rows, n_rows, &err) != 0) goto done;
    printf("merged %d of %d points into %s/results.csv and results.json: %d missing, %d failed\n",
           (int)n_rows, (int)n_points, out, (int)missing, (int)failed);
    if (missing || failed)
        fprintf(stderr, "psamp sweep: --merge %s: %d points missing, %d failed (rerun their shards: "
                        "finished points are skipped)\n", out, (int)missing, (int)failed);
    status = missing || failed ? 1 : 0;
done:
    if (err.msg[0]) fprintf(stderr, "psamp sweep: %s\n", err.msg);
    for (int32_t i = 0; rows && i < n_rows; i++) cJSON_Delete(rows[i]);
    free(rows);
    free(names);
    cJSON_Delete(plan);
    sweep_lock_release(&lock);
    return status;
}
