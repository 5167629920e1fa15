/* The sweep folder: creating it, the plan file that ties it to one config, point states,
 * and removing what killed runs left behind. */
#include "sweep_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "file_read.h"
#include "json_check.h"

static const char *const SUBDIRS[] = {"points", "samples", "shards"};

char *sweep_dir_file(const char *out, const char *sub, const char *name) {
    size_t n = strlen(out) + (sub ? strlen(sub) : 0) + strlen(name) + 3;
    char *p = malloc(n);
    if (!p) return NULL;
    if (sub) snprintf(p, n, "%s/%s/%s", out, sub, name);
    else snprintf(p, n, "%s/%s", out, name);
    return p;
}

/* mkdir -p: each prefix of the path in turn. */
static int make_dirs(const char *path, psamp_err *err) {
    char *p = strdup(path);
    if (!p) return psamp_fail(err, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            psamp_fail(err, "--out: cannot create '%s': %s", p, strerror(e));
            free(p);
            return -1;
        }
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            psamp_fail(err, "--out: '%s' is not a directory", p);
            free(p);
            return -1;
        }
        *s = c;
        if (c == '\0') break;
    }
    free(p);
    return 0;
}

int sweep_dir_prepare(const char *out, psamp_err *err) {
    if (out[0] == '\0') return psamp_fail(err, "--out: empty path");
    if (make_dirs(out, err) != 0) return -1;
    for (size_t i = 0; i < sizeof SUBDIRS / sizeof SUBDIRS[0]; i++) {
        char *d = sweep_dir_file(out, NULL, SUBDIRS[i]);
        if (!d) return psamp_fail(err, "out of memory");
        int rc = make_dirs(d, err);
        free(d);
        if (rc != 0) return -1;
    }
    /* Directories can exist and still refuse files (permissions, read-only mounts). */
    psamp_atomic_file probe;
    char *p = sweep_dir_file(out, "points", ".write-probe");
    if (!p) return psamp_fail(err, "out of memory");
    int rc = psamp_atomic_open(&probe, p, "--out", err);
    free(p);
    if (rc != 0) return -1;
    psamp_atomic_abort(&probe);
    return 0;
}

int sweep_read_json(const char *path, int missing_ok, cJSON **json, psamp_err *err) {
    struct stat st;
    char *text;
    size_t len;
    *json = NULL;
    if (missing_ok && stat(path, &st) != 0 && errno == ENOENT) return 0;
    if (psamp_read_file(path, (size_t)1 << 30, NULL, &text, &len, err) != 0) return -1;
    if (psamp_json_refuse_nul(text, len, path, err) != 0) {
        free(text);
        return -1;
    }
    *json = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*json) return psamp_fail(err, "'%s' is not valid JSON (a damaged sweep folder?)", path);
    return 0;
}

int sweep_dir_write_json(const char *out, const char *sub, const char *name, cJSON *json,
                         psamp_err *err) {
    char *path = sweep_dir_file(out, sub, name);
    char *text = json ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    psamp_atomic_file f;
    int rc = -1;
    if (!path || !text) psamp_fail(err, "out of memory");
    else if (psamp_atomic_open(&f, path, "--out", err) == 0) {
        fputs(text, f.f);
        fputc('\n', f.f);
        rc = psamp_atomic_commit(&f, err);
    }
    free(text);
    free(path);
    return rc;
}

static int parse_hash(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsString(v)) return -1;
    char *end;
    errno = 0;
    unsigned long long h = strtoull(v->valuestring, &end, 16);
    if (*end != '\0' || errno != 0 || strlen(v->valuestring) != 16) return -1;
    *out = (uint64_t)h;
    return 0;
}

int sweep_dir_read_plan(const char *out, cJSON **plan, uint64_t *config_hash, psamp_err *err) {
    char *path = sweep_dir_file(out, NULL, "plan.json");
    if (!path) return psamp_fail(err, "out of memory");
    int rc = sweep_read_json(path, 1, plan, err);
    if (rc == 0 && !*plan) rc = psamp_fail(err, "'%s' holds no sweep (no plan.json)", out);
    if (rc == 0 && (parse_hash(cJSON_GetObjectItemCaseSensitive(*plan, "config_hash"), config_hash) != 0 ||
                    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*plan, "points"))))
        rc = psamp_fail(err, "%s: not a psamp sweep plan (config_hash or points missing)", path);
    if (rc != 0) {
        cJSON_Delete(*plan);
        *plan = NULL;
    }
    free(path);
    return rc;
}

int sweep_dir_claim(const char *out, const sweep_config *cfg, const sweep_point *pts, int32_t n,
                    psamp_err *err) {
    char *path = sweep_dir_file(out, NULL, "plan.json");
    if (!path) return psamp_fail(err, "out of memory");
    cJSON *old = NULL;
    int rc = sweep_read_json(path, 1, &old, err);
    free(path);
    if (rc != 0) return -1;
    if (old) {
        uint64_t h = 0;
        int bad = parse_hash(cJSON_GetObjectItemCaseSensitive(old, "config_hash"), &h) != 0;
        cJSON_Delete(old);
        if (bad) return psamp_fail(err, "--out %s: plan.json is not a psamp sweep plan", out);
        if (h != cfg->hash)
            return psamp_fail(err, "--out %s: holds a sweep of another config (config hash %016llx there, "
                              "%016llx in %s); use a new --out or remove the folder",
                              out, (unsigned long long)h, (unsigned long long)cfg->hash, cfg->path);
        return 0;
    }
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)cfg->hash);
    cJSON *plan = cJSON_CreateObject(), *points = NULL;
    int ok = plan && cJSON_AddStringToObject(plan, "format", "psamp-sweep-plan/1") &&
             cJSON_AddStringToObject(plan, "name", cfg->name) &&
             cJSON_AddStringToObject(plan, "config_hash", hash) &&
             cJSON_AddStringToObject(plan, "config_file", cfg->path) &&
             cJSON_AddItemToObject(plan, "config", cJSON_Parse(cfg->canonical)) &&
             cJSON_AddNumberToObject(plan, "n_points", n) &&
             (points = cJSON_AddArrayToObject(plan, "points")) != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        cJSON *s = sweep_point_settings(cfg, &pts[i]);
        ok = s && cJSON_AddItemToArray(points, s);
    }
    if (!ok) {
        cJSON_Delete(plan);
        return psamp_fail(err, "out of memory");
    }
    return sweep_dir_write_json(out, NULL, "plan.json", plan, err);
}

/* The point an entry like "p00042-0123456789abcdef.json.tmp.77" belongs to, or -1. */
static int32_t point_of_entry(const char *entry, const sweep_point *pts, int32_t n) {
    char *end;
    if (entry[0] != 'p') return -1;
    long i = strtol(entry + 1, &end, 10);
    if (end == entry + 1 || i < 0 || i >= n) return -1;
    size_t len = strlen(pts[i].name);
    if (strncmp(entry, pts[i].name, len) != 0 || entry[len] != '.') return -1;
    return (int32_t)i;
}

static int remove_in(const char *out, const char *sub, const sweep_point *pts, int32_t n,
                     const char *mine, psamp_err *err) {
    char *dir = sub ? sweep_dir_file(out, NULL, sub) : strdup(out);
    if (!dir) return psamp_fail(err, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        psamp_fail(err, "--out: cannot list '%s': %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (!strstr(e->d_name, ".tmp.")) continue;
        int32_t p = mine ? point_of_entry(e->d_name, pts, n) : 0;
        if (p < 0 || (mine && !mine[p])) continue;
        char *path = sweep_dir_file(dir, NULL, e->d_name);
        if (!path) rc = psamp_fail(err, "out of memory");
        else if (remove(path) != 0 && errno != ENOENT)
            rc = psamp_fail(err, "--out: cannot remove the stale temporary '%s': %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    free(dir);
    return rc;
}

int sweep_dir_remove_stale(const char *out, const sweep_point *pts, int32_t n, const char *mine,
                           psamp_err *err) {
    if (remove_in(out, "points", pts, n, mine, err) != 0 || remove_in(out, "samples", pts, n, mine, err) != 0)
        return -1;
    if (mine) return 0;
    return remove_in(out, NULL, pts, n, NULL, err) != 0 || remove_in(out, "shards", pts, n, NULL, err) != 0 ? -1 : 0;
}

static int check_owner(const cJSON *j, const char *path, const char *id_hex, uint64_t config_hash,
                       psamp_err *err) {
    uint64_t h;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (parse_hash(cJSON_GetObjectItemCaseSensitive(j, "config_hash"), &h) != 0 || !cJSON_IsString(id))
        return psamp_fail(err, "%s: not a psamp sweep point (config_hash or id missing)", path);
    if (h != config_hash)
        return psamp_fail(err, "%s: a point of another config (config hash %016llx, this sweep's is "
                          "%016llx): shards of different configs in one folder",
                          path, (unsigned long long)h, (unsigned long long)config_hash);
    if (strcmp(id->valuestring, id_hex) != 0)
        return psamp_fail(err, "%s: point id %s, expected %s", path, id->valuestring, id_hex);
    return 0;
}

int sweep_dir_point_state(const char *out, const char *name, const char *id_hex, uint64_t config_hash,
                          sweep_point_state *state, cJSON **row, char **why, psamp_err *err) {
    char file[96];
    cJSON *j = NULL;
    *state = SWEEP_POINT_MISSING;
    *row = NULL;
    *why = NULL;
    for (int failed = 0; failed < 2; failed++) {
        snprintf(file, sizeof file, "%s%s", name, failed ? ".failed.json" : ".json");
        char *path = sweep_dir_file(out, "points", file);
        if (!path) return psamp_fail(err, "out of memory");
        int rc = sweep_read_json(path, 1, &j, err);
        if (rc == 0 && j) rc = check_owner(j, path, id_hex, config_hash, err);
        free(path);
        if (rc != 0) {
            cJSON_Delete(j);
            return -1;
        }
        if (!j) continue;
        if (!failed) {
            *state = SWEEP_POINT_DONE;
            *row = j;
            return 0;
        }
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        *why = strdup(cJSON_IsString(e) ? e->valuestring : "(no message)");
        cJSON_Delete(j);
        if (!*why) return psamp_fail(err, "out of memory");
        *state = SWEEP_POINT_FAILED;
        return 0;
    }
    return 0;
}
