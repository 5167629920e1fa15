#include "experiment_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passk_estimator.h"
#include "file_read.h"

#define CONFIG_MAX_BYTES (1u << 20)

int experiment_set_string(char **field, const char *v, psamp_err *err) {
    char *copy = strdup(v);
    if (!copy) return psamp_fail(err, "out of memory");
    free(*field);
    *field = copy;
    return 0;
}

int experiment_config_init(experiment_config *c, experiment_kind kind, psamp_err *err) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->samples = 16;
    if (experiment_set_string(&c->backend, "auto", err) || experiment_set_string(&c->dtype, "fp16", err)) {
        experiment_config_free(c);
        return -1;
    }
    return 0;
}

static void free_worlds(experiment_config *c) {
    for (int32_t i = 0; i < c->n_worlds; i++) free(c->worlds[i]);
    free(c->worlds);
    c->worlds = NULL;
    c->n_worlds = 0;
}

void experiment_config_free(experiment_config *c) {
    if (!c) return;
    free(c->model);
    free_worlds(c);
    free(c->tasks);
    free(c->ks);
    free(c->backend);
    free(c->dtype);
    method_list_free(&c->methods);
    memset(c, 0, sizeof *c);
}

int experiment_parse_int_list(const char *list, const char *what, int32_t **out, int32_t *n, psamp_err *err) {
    size_t cap = 1;
    for (const char *p = list; *p; p++) cap += *p == ',';
    int32_t *v = malloc(cap * sizeof *v), count = 0;
    if (!v) return psamp_fail(err, "%s: out of memory", what);
    for (const char *at = list;; at++) {
        char *end;
        errno = 0;
        long x = strtol(at, &end, 10);
        if (end == at || (*end != ',' && *end != '\0') || errno == ERANGE || x <= 0 || x > INT32_MAX) {
            free(v);
            return psamp_fail(err, "%s: expected a comma list of positive integers, got '%s'", what, list);
        }
        v[count++] = (int32_t)x;
        at = end;
        if (*at == '\0') break;
    }
    *out = v;
    *n = count;
    return 0;
}

int experiment_set_ks(experiment_config *c, const char *list, psamp_err *err) {
    int32_t *ks, n;
    if (experiment_parse_int_list(list, "--k", &ks, &n, err) != 0) return -1;
    free(c->ks);
    c->ks = ks;
    c->n_ks = n;
    return 0;
}

int experiment_set_worlds(experiment_config *c, const char *list, psamp_err *err) {
    free_worlds(c);
    for (const char *at = list;;) {
        size_t len = strcspn(at, ",");
        if (len == 0) return psamp_fail(err, "--worlds: empty path in '%s'", list);
        char **grown = realloc(c->worlds, (size_t)(c->n_worlds + 1) * sizeof *grown);
        if (!grown) return psamp_fail(err, "--worlds: out of memory");
        c->worlds = grown;
        c->worlds[c->n_worlds] = strndup(at, len);
        if (!c->worlds[c->n_worlds]) return psamp_fail(err, "--worlds: out of memory");
        c->n_worlds++;
        at += len;
        if (*at == '\0') break;
        at++;
    }
    return 0;
}

/* A path from the config file, read relative to the config's folder. */
static int config_path(const char *config_path, const char *value, char **out, psamp_err *err) {
    const char *slash = strrchr(config_path, '/');
    if (value[0] == '/' || !slash) return experiment_set_string(out, value, err);
    size_t dir = (size_t)(slash - config_path) + 1, n = strlen(value);
    char *joined = malloc(dir + n + 1);
    if (!joined) return psamp_fail(err, "out of memory");
    memcpy(joined, config_path, dir);
    memcpy(joined + dir, value, n + 1);
    free(*out);
    *out = joined;
    return 0;
}

static int want_string(const cJSON *v, const char *path, psamp_err *err) {
    if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
        return psamp_fail(err, "%s: \"%s\" must be a non-empty string", path, v->string);
    return 0;
}

/* A whole number in [lo, hi]. */
static int want_int(const cJSON *v, const char *path, double lo, double hi, int64_t *out, psamp_err *err) {
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return psamp_fail(err, "%s: \"%s\" must be an integer in [%.0f, %.0f]", path, v->string, lo, hi);
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int read_worlds(experiment_config *c, const cJSON *v, const char *path, psamp_err *err) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return psamp_fail(err, "%s: \"worlds\" must be a non-empty array of paths", path);
    free_worlds(c);
    c->worlds = calloc((size_t)cJSON_GetArraySize(v), sizeof *c->worlds);
    if (!c->worlds) return psamp_fail(err, "%s: out of memory", path);
    for (const cJSON *w = v->child; w; w = w->next) {
        if (!cJSON_IsString(w) || !w->valuestring[0])
            return psamp_fail(err, "%s: worlds[%d] must be a non-empty string", path, c->n_worlds);
        if (config_path(path, w->valuestring, &c->worlds[c->n_worlds++], err) != 0) return -1;
    }
    return 0;
}

static int read_ks(experiment_config *c, const cJSON *v, const char *path, psamp_err *err) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return psamp_fail(err, "%s: \"k\" must be a non-empty array of integers", path);
    int32_t *ks = malloc((size_t)cJSON_GetArraySize(v) * sizeof *ks), n = 0;
    if (!ks) return psamp_fail(err, "%s: out of memory", path);
    for (const cJSON *k = v->child; k; k = k->next) {
        if (!cJSON_IsNumber(k) || k->valuedouble != floor(k->valuedouble) || k->valuedouble < 1 ||
            k->valuedouble > INT32_MAX) {
            free(ks);
            return psamp_fail(err, "%s: k[%d] must be a positive integer", path, n);
        }
        ks[n++] = (int32_t)k->valuedouble;
    }
    free(c->ks);
    c->ks = ks;
    c->n_ks = n;
    return 0;
}

/* One top-level key. */
static int read_key(experiment_config *c, const cJSON *v, const char *path, psamp_err *err) {
    const char *key = v->string, *tasks_key = c->kind == EXPERIMENT_PASSK ? "tasks" : "prompts";
    int64_t x = 0;
    if (strcmp(key, "model") == 0 || strcmp(key, tasks_key) == 0) {
        if (want_string(v, path, err) != 0) return -1;
        return config_path(path, v->valuestring, strcmp(key, "model") == 0 ? &c->model : &c->tasks, err);
    }
    if (strcmp(key, "backend") == 0 || strcmp(key, "dtype") == 0) {
        if (want_string(v, path, err) != 0) return -1;
        return experiment_set_string(strcmp(key, "backend") == 0 ? &c->backend : &c->dtype, v->valuestring, err);
    }
    if (strcmp(key, "worlds") == 0) return read_worlds(c, v, path, err);
    if (strcmp(key, "k") == 0 && c->kind == EXPERIMENT_PASSK) return read_ks(c, v, path, err);
    if (strcmp(key, "methods") == 0) {
        char where[600];
        snprintf(where, sizeof where, "%s: methods", path);
        return method_list_from_json(v, where, &c->methods, err);
    }
    if (strcmp(key, "samples") == 0) {
        if (want_int(v, path, 1, INT32_MAX, &x, err) != 0) return -1;
        c->samples = (int32_t)x;
        return 0;
    }
    if (strcmp(key, "max_new_tokens") == 0) {
        if (want_int(v, path, 1, INT32_MAX, &x, err) != 0) return -1;
        c->max_new_tokens = (int32_t)x;
        return 0;
    }
    if (strcmp(key, "threads") == 0) {
        if (want_int(v, path, 0, 4096, &x, err) != 0) return -1;
        c->threads = (int32_t)x;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        if (want_int(v, path, 0, 9007199254740992.0, &x, err) != 0) return -1;
        c->seed = (uint64_t)x;
        return 0;
    }
    return psamp_fail(err, "%s: unknown key \"%s\" (model, worlds, %s, samples,%s max_new_tokens, seed, backend, "
                           "dtype, threads, methods)", path, key, tasks_key, c->kind == EXPERIMENT_PASSK ? " k," : "");
}

int experiment_config_load(experiment_config *c, const char *path, psamp_err *err) {
    char *text;
    size_t len;
    if (psamp_read_file(path, CONFIG_MAX_BYTES, "--config", &text, &len, err) != 0) return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc = 0;
    if (!root) {
        rc = psamp_fail(err, "%s: not valid JSON (near byte %td)", path,
                        cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : (ptrdiff_t)0);
    } else if (!cJSON_IsObject(root)) {
        rc = psamp_fail(err, "%s: expected a JSON object", path);
    } else {
        for (const cJSON *v = root->child; v && rc == 0; v = v->next) {
            for (const cJSON *d = v->next; d && rc == 0; d = d->next)
                if (strcmp(v->string, d->string) == 0) rc = psamp_fail(err, "%s: \"%s\" given twice", path, v->string);
            if (rc == 0) rc = read_key(c, v, path, err);
        }
    }
    cJSON_Delete(root);
    free(text);
    return rc;
}

int experiment_config_check(experiment_config *c, psamp_err *err) {
    const char *tasks_opt = c->kind == EXPERIMENT_PASSK ? "--tasks" : "--prompts";
    if (c->n_worlds > 0 && (c->model || c->tasks))
        return psamp_fail(err, "--worlds: give toy worlds or --model (with %s), not both", tasks_opt);
    if (c->n_worlds == 0 && !c->model)
        return psamp_fail(err, "no problems: give --model (a toy world, or a checkpoint with %s) or --worlds", tasks_opt);
    if (c->samples <= 0) return psamp_fail(err, "--samples must be positive (got %d)", c->samples);
    if (c->methods.n == 0) return psamp_fail(err, "--methods: no methods given");
    if (c->kind == EXPERIMENT_PASSK) {
        if (!c->ks) {
            c->ks = malloc((size_t)c->samples * sizeof *c->ks);
            if (!c->ks) return psamp_fail(err, "--k: out of memory for %d values", c->samples);
            for (int32_t k = 0; k < c->samples; k++) c->ks[k] = k + 1;
            c->n_ks = c->samples;
        }
        if (passk_check_ks(c->ks, c->n_ks, c->samples, "--k", err) != 0) return -1;
    }
    return 0;
}
