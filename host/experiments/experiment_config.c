#include "experiment_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exp_config.h"
#include "passk_estimator.h"

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
    c->batch_chains = EXPERIMENT_BATCH_CHAINS;
    if (experiment_set_string(&c->backend, "auto", err) || experiment_set_string(&c->dtype, "fp16", err) ||
        experiment_set_string(&c->kv_cache, "dtype", err)) {
        experiment_config_free(c);
        return -1;
    }
    return 0;
}

static void free_worlds(experiment_config *c) {
    exp_config_free_paths(c->worlds, c->n_worlds);
    c->worlds = NULL;
    c->n_worlds = 0;
}

void experiment_config_free(experiment_config *c) {
    if (!c) return;
    free(c->model);
    free_worlds(c);
    free(c->tasks);
    free(c->prompt_template);
    free(c->ks);
    free(c->backend);
    free(c->dtype);
    free(c->kv_cache);
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

/* A string setting from the config, copied over the current one; empty strings are refused. */
static int read_string(const exp_config *ec, const char *key, char **field, psamp_err *err) {
    const char *v = NULL;
    if (exp_config_string(ec, ec->root, "", key, 0, &v, err) != 0) return -1;
    if (!v) return 0;
    if (!v[0]) return psamp_fail(err, "%s: %s is empty", ec->path, key);
    return experiment_set_string(field, v, err);
}

/* A path from the config (read from the config's folder), over the current one. */
static int read_path(const exp_config *ec, const char *key, char **field, psamp_err *err) {
    char *p = NULL;
    if (exp_config_path(ec, ec->root, "", key, 0, &p, err) != 0) return -1;
    if (!p) return 0;
    free(*field);
    *field = p;
    return 0;
}

static int read_methods(const exp_config *ec, method_list *out, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ec->root, "methods");
    if (!v) return 0;
    char where[600];
    snprintf(where, sizeof where, "%s: methods", ec->path);
    return method_list_from_json(v, where, out, err);
}

static int read_config(experiment_config *c, const exp_config *ec, psamp_err *err) {
    static const char *const PASSK_KEYS[] = {"model", "worlds", "tasks", "max_tasks", "prompt_template", "samples", "k", "max_new_tokens", "seed",
                                             "backend", "dtype", "kv_cache", "threads", "max_active", "batch_chains", "methods", NULL};
    static const char *const H3_KEYS[] = {"model", "worlds", "prompts", "max_tasks", "prompt_template", "samples", "max_new_tokens", "seed",
                                          "backend", "dtype", "kv_cache", "threads", "max_active", "batch_chains", "methods", NULL};
    const int passk = c->kind == EXPERIMENT_PASSK;
    const cJSON *r = ec->root;
    if (exp_config_check_keys(ec, r, "", passk ? PASSK_KEYS : H3_KEYS, err) ||
        read_path(ec, "model", &c->model, err) ||
        exp_config_path_list(ec, r, "", "worlds", 0, &c->worlds, &c->n_worlds, err) ||
        read_path(ec, passk ? "tasks" : "prompts", &c->tasks, err) ||
        read_path(ec, "prompt_template", &c->prompt_template, err) ||
        exp_config_int(ec, r, "", "samples", 0, 1, INT32_MAX, &c->samples, err) ||
        exp_config_int(ec, r, "", "max_tasks", 0, 1, INT32_MAX, &c->max_tasks, err) ||
        (passk && exp_config_int_list(ec, r, "", "k", 0, 1, INT32_MAX, &c->ks, &c->n_ks, err)) ||
        exp_config_int(ec, r, "", "max_new_tokens", 0, 1, INT32_MAX, &c->max_new_tokens, err) ||
        exp_config_u64(ec, r, "", "seed", &c->seed, err) ||
        read_string(ec, "backend", &c->backend, err) ||
        read_string(ec, "dtype", &c->dtype, err) ||
        read_string(ec, "kv_cache", &c->kv_cache, err) ||
        exp_config_int(ec, r, "", "threads", 0, 0, 4096, &c->threads, err) ||
        exp_config_int(ec, r, "", "max_active", 0, 0, INT32_MAX, &c->max_active, err) ||
        exp_config_int(ec, r, "", "batch_chains", 0, 0, INT32_MAX, &c->batch_chains, err))
        return -1;
    return read_methods(ec, &c->methods, err);
}

int experiment_config_load(experiment_config *c, const char *path, psamp_err *err) {
    exp_config ec;
    if (exp_config_load(&ec, path, err) != 0) return psamp_fail_context(err, "--config");
    int rc = read_config(c, &ec, err);
    exp_config_free(&ec);
    return rc;
}

int experiment_config_check(experiment_config *c, psamp_err *err) {
    const char *tasks_opt = c->kind == EXPERIMENT_PASSK ? "--tasks" : "--prompts";
    if (c->n_worlds > 0 && (c->model || c->tasks))
        return psamp_fail(err, "--worlds: give toy worlds or --model (with %s), not both", tasks_opt);
    if (c->n_worlds == 0 && !c->model)
        return psamp_fail(err, "no problems: give --model (a toy world, or a checkpoint with %s) or --worlds", tasks_opt);
    if (c->samples <= 0) return psamp_fail(err, "--samples must be positive (got %d)", c->samples);
    if (c->max_tasks < 0) return psamp_fail(err, "--max-tasks must be positive (got %d)", c->max_tasks);
    if (c->max_tasks > 0 && (c->n_worlds > 0 || !c->tasks))
        return psamp_fail(err, "--max-tasks: needs %s (it keeps the file's first problems)", tasks_opt);
    /* Every sample is a chain and a pass@k term; far beyond any real run, and it keeps the
     * default k list (1..samples) and the per-problem counts a sane size. */
    if (c->samples > EXPERIMENT_MAX_SAMPLES)
        return psamp_fail(err, "--samples %d is more than %d per problem", c->samples, EXPERIMENT_MAX_SAMPLES);
    if (c->methods.n == 0) return psamp_fail(err, "--methods: no methods given");
    if (strcmp(c->kv_cache, "dtype") != 0 && strcmp(c->kv_cache, "fp8") != 0)
        return psamp_fail(err, "--kv-cache (kv_cache): unknown cache '%s' (dtype, fp8)", c->kv_cache);
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
