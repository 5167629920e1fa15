/* Loading a sweep config: a table of grid keys with their kind and default, one checker per
 * kind, and the fixed settings. Every message names the file and the key (and the list
 * index when the key holds a list). */
#include "sweep_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exp_config.h"
#include "file_read.h"
#include "prompt_template.h"
#include "sampler.h"

typedef enum {
    KIND_PATH,     /* model: an existing file or folder */
    KIND_TEXT,     /* prompt: any string */
    KIND_METHOD,   /* a sampler method name */
    KIND_POSITIVE, /* a finite number > 0 */
    KIND_COUNT,    /* an integer >= 1 */
    KIND_STEPS,    /* an integer >= 0 */
    KIND_SEED      /* an integer in [0, 2^53] (JSON numbers are doubles) */
} value_kind;

typedef struct {
    const char *name;
    value_kind kind;
    double def;          /* numeric default (0: derived later) */
    const char *def_str; /* string default; NULL: the key is required */
    double max;          /* integers: the largest value accepted (0: INT32_MAX) */
} axis_spec;

/* Far beyond any machine's memory for KV caches, and small enough that a typo fails here
 * rather than as an allocation the kernel kills us for. */
#define MAX_CHAINS (1 << 20)

static const axis_spec AXES[SWEEP_N_AXES] = {
    [SWEEP_MODEL] = {"model", KIND_PATH, 0, NULL, 0},
    [SWEEP_PROMPT] = {"prompt", KIND_TEXT, 0, "", 0},
    [SWEEP_METHOD] = {"method", KIND_METHOD, 0, "power", 0},
    [SWEEP_MAX_NEW_TOKENS] = {"max_new_tokens", KIND_COUNT, 0, NULL, 0},
    [SWEEP_BLOCK_SIZE] = {"block_size", KIND_COUNT, 0, NULL, 0},
    [SWEEP_BLOCKS] = {"blocks", KIND_COUNT, 4, NULL, 0},
    [SWEEP_MCMC_STEPS] = {"mcmc_steps", KIND_STEPS, 10, NULL, 0},
    [SWEEP_ALPHA] = {"alpha", KIND_POSITIVE, 4, NULL, 0},
    [SWEEP_PROPOSAL_TEMP] = {"proposal_temp", KIND_POSITIVE, 0, NULL, 0},
    [SWEEP_TEMPERATURE] = {"temperature", KIND_POSITIVE, 1, NULL, 0},
    [SWEEP_BEST_OF] = {"best_of", KIND_COUNT, 8, NULL, 1 << 16},
    [SWEEP_CHAINS] = {"chains", KIND_COUNT, 1, NULL, MAX_CHAINS},
    [SWEEP_SEED] = {"seed", KIND_SEED, 0, NULL, 0},
};

static int is_string_kind(value_kind k) { return k == KIND_PATH || k == KIND_TEXT || k == KIND_METHOD; }

const char *sweep_axis_name(sweep_axis_id a) {
    return (int)a >= 0 && a < SWEEP_N_AXES ? AXES[a].name : "?";
}

uint64_t sweep_hash_text(const char *text, size_t len) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* "alpha[2]" when the key holds a list, "alpha" when it holds one value. */
static void item_label(char *buf, size_t cap, const char *key, int is_list, int i) {
    if (is_list) snprintf(buf, cap, "%s[%d]", key, i);
    else snprintf(buf, cap, "%s", key);
}

/* With tasks, the chains axis is given as samples_per_task: messages use the config's word. */
#define SAMPLES_PER_TASK "samples_per_task"

void sweep_axis_label(const sweep_config *cfg, sweep_axis_id a, int i, char *buf, size_t cap) {
    const char *name = a == SWEEP_CHAINS && cfg->tasks_path ? SAMPLES_PER_TASK : sweep_axis_name(a);
    item_label(buf, cap, name, cfg->axes[a].listed, i);
}

static int check_number(const cJSON *v, value_kind kind, double max, const char *where,
                        const char *label, double *out, psamp_err *err) {
    if (!cJSON_IsNumber(v)) return psamp_fail(err, "%s: %s: expected a number", where, label);
    double x = v->valuedouble;
    int integral = kind != KIND_POSITIVE;
    if (max <= 0) max = INT32_MAX;
    if (!isfinite(x)) return psamp_fail(err, "%s: %s: must be finite", where, label);
    if (integral && x != floor(x))
        return psamp_fail(err, "%s: %s: must be an integer (got %g)", where, label, x);
    switch (kind) {
    case KIND_POSITIVE:
        if (!(x > 0)) return psamp_fail(err, "%s: %s: must be > 0 (got %g)", where, label, x);
        break;
    case KIND_COUNT:
        if (x < 1 || x > max)
            return psamp_fail(err, "%s: %s: must be an integer from 1 to %.0f (got %g)", where, label,
                              max, x);
        break;
    case KIND_STEPS:
        if (x < 0 || x > max)
            return psamp_fail(err, "%s: %s: must be an integer from 0 to %.0f (got %g)", where, label,
                              max, x);
        break;
    case KIND_SEED:
        if (x < 0 || x > 9007199254740992.0)
            return psamp_fail(err, "%s: %s: must be an integer from 0 to 2^53 (got %g)", where, label, x);
        break;
    default: break;
    }
    *out = x;
    return 0;
}

static int check_string(const cJSON *v, value_kind kind, const char *where, const char *label,
                        psamp_err *err) {
    if (!cJSON_IsString(v)) return psamp_fail(err, "%s: %s: expected a string", where, label);
    const char *s = v->valuestring;
    if (kind == KIND_PATH && s[0] == '\0') return psamp_fail(err, "%s: %s: empty path", where, label);
    if (kind == KIND_METHOD) {
        psamp_method m;
        psamp_err inner;
        if (psamp_method_parse(s, &m, &inner) != 0)
            return psamp_fail(err, "%s: %s: unknown method '%s' (greedy, temp, power, maxswap, bestofn)",
                              where, label, s);
    }
    return 0;
}

static int set_default(sweep_axis *ax, const axis_spec *spec, psamp_err *err) {
    ax->n = 1;
    if (is_string_kind(spec->kind)) {
        ax->str = calloc(1, sizeof *ax->str);
        if (ax->str) ax->str[0] = strdup(spec->def_str);
        if (!ax->str || !ax->str[0]) return psamp_fail(err, "out of memory");
    } else {
        ax->num = malloc(sizeof *ax->num);
        if (!ax->num) return psamp_fail(err, "out of memory");
        ax->num[0] = spec->def;
    }
    return 0;
}

static int parse_axis(const cJSON *v, const axis_spec *spec, const char *where, sweep_axis *ax,
                      psamp_err *err) {
    int is_list = cJSON_IsArray(v);
    int n = is_list ? cJSON_GetArraySize(v) : 1;
    char label[96];
    ax->given = 1;
    ax->listed = is_list;
    if (n == 0) return psamp_fail(err, "%s: %s: empty list (the grid would be empty)", where, spec->name);
    if (is_string_kind(spec->kind)) ax->str = calloc((size_t)n, sizeof *ax->str);
    else ax->num = calloc((size_t)n, sizeof *ax->num);
    if (!ax->str && !ax->num) return psamp_fail(err, "out of memory");
    for (int i = 0; i < n; i++) {
        const cJSON *item = is_list ? cJSON_GetArrayItem(v, i) : v;
        item_label(label, sizeof label, spec->name, is_list, i);
        if (is_string_kind(spec->kind)) {
            if (check_string(item, spec->kind, where, label, err) != 0) return -1;
            ax->str[i] = strdup(item->valuestring);
            if (!ax->str[i]) return psamp_fail(err, "out of memory");
        } else if (check_number(item, spec->kind, spec->max, where, label, &ax->num[i], err) != 0) {
            return -1;
        }
        ax->n = i + 1;
    }
    return 0;
}

static int parse_fixed_string(const cJSON *v, const char *where, const char *key,
                              const char *const *allowed, char **out, psamp_err *err) {
    if (!cJSON_IsString(v))
        return psamp_fail(err, "%s: %s: a fixed setting takes one string", where, key);
    int ok = allowed == NULL;
    for (int i = 0; allowed && allowed[i]; i++) ok |= strcmp(v->valuestring, allowed[i]) == 0;
    if (!ok) return psamp_fail(err, "%s: %s: unknown value '%s'", where, key, v->valuestring);
    free(*out);
    *out = strdup(v->valuestring);
    return *out ? 0 : psamp_fail(err, "out of memory");
}

static int parse_fixed(const cJSON *item, const char *where, sweep_config *cfg, int *handled,
                       psamp_err *err) {
    static const char *const backends[] = {"auto", "cpu", "cuda", NULL};
    static const char *const dtypes[] = {"fp16", "bf16", NULL};
    static const char *const kv_caches[] = {"dtype", "fp8", NULL};
    const char *key = item->string;
    *handled = 1;
    if (strcmp(key, "name") == 0) return parse_fixed_string(item, where, key, NULL, &cfg->name, err);
    if (strcmp(key, "backend") == 0) return parse_fixed_string(item, where, key, backends, &cfg->backend, err);
    if (strcmp(key, "dtype") == 0) return parse_fixed_string(item, where, key, dtypes, &cfg->dtype, err);
    if (strcmp(key, "kv_cache") == 0) return parse_fixed_string(item, where, key, kv_caches, &cfg->kv_cache, err);
    if (strcmp(key, "tasks") == 0) return parse_fixed_string(item, where, key, NULL, &cfg->tasks_path, err);
    if (strcmp(key, "prompt_template") == 0)
        return parse_fixed_string(item, where, key, NULL, &cfg->prompt_template_path, err);
    if (strcmp(key, "max_tasks") == 0) {
        double t;
        if (cJSON_IsArray(item)) return psamp_fail(err, "%s: %s: a fixed setting takes one value", where, key);
        if (check_number(item, KIND_COUNT, 0, where, key, &t, err) != 0) return -1;
        cfg->max_tasks = (int32_t)t;
        return 0;
    }
    if (strcmp(key, "k") == 0) {
        int listed = cJSON_IsArray(item), n = listed ? cJSON_GetArraySize(item) : 1;
        if (n == 0) return psamp_fail(err, "%s: k: empty list", where);
        cfg->ks = calloc((size_t)n, sizeof *cfg->ks);
        if (!cfg->ks) return psamp_fail(err, "out of memory");
        for (int i = 0; i < n; i++) {
            char label[32];
            double k;
            item_label(label, sizeof label, "k", listed, i);
            if (check_number(listed ? cJSON_GetArrayItem(item, i) : item, KIND_COUNT, MAX_CHAINS, where, label, &k,
                             err) != 0)
                return -1;
            cfg->ks[i] = (int32_t)k;
            cfg->n_ks = i + 1;
        }
        return 0;
    }
    if (strcmp(key, "batch_chains") == 0) {
        double t;
        if (cJSON_IsArray(item)) return psamp_fail(err, "%s: %s: a fixed setting takes one value", where, key);
        if (check_number(item, KIND_STEPS, INT32_MAX, where, key, &t, err) != 0) return -1;
        cfg->batch_chains = (int32_t)t;
        return 0;
    }
    if (strcmp(key, "threads") == 0 || strcmp(key, "max_active") == 0 || strcmp(key, "mixing_probe") == 0) {
        int is_threads = strcmp(key, "threads") == 0, is_probe = strcmp(key, "mixing_probe") == 0;
        double t;
        if (cJSON_IsArray(item)) return psamp_fail(err, "%s: %s: a fixed setting takes one value", where, key);
        if (check_number(item, KIND_STEPS, is_threads ? 4096 : MAX_CHAINS, where, key, &t, err) != 0) return -1;
        *(is_threads ? &cfg->threads : is_probe ? &cfg->mixing_probe : &cfg->max_active) = (int)t;
        return 0;
    }
    *handled = 0;
    return 0;
}

static const char *const FIXED_KEYS[] = {"name", "backend", "dtype", "kv_cache", "threads", "max_active",
                                         "mixing_probe", "batch_chains", "tasks", "max_tasks", "prompt_template",
                                         "k", SAMPLES_PER_TASK};

/* What a config with tasks must not hold, and what only such a config may. */
static int check_task_keys(const sweep_config *cfg, int samples_key, psamp_err *err) {
    const char *where = cfg->path;
    if (!cfg->tasks_path) {
        if (samples_key)
            return psamp_fail(err, "%s: %s: needs \"tasks\" (without a task file, give chains)", where,
                              SAMPLES_PER_TASK);
        if (cfg->max_tasks) return psamp_fail(err, "%s: max_tasks: needs \"tasks\"", where);
        if (cfg->batch_chains >= 0)
            return psamp_fail(err, "%s: batch_chains: needs \"tasks\" (it pools their prompts)", where);
        if (cfg->prompt_template_path) return psamp_fail(err, "%s: prompt_template: needs \"tasks\"", where);
        return 0;
    }
    if (!cfg->tasks_path[0]) return psamp_fail(err, "%s: tasks: empty path", where);
    if (cfg->axes[SWEEP_PROMPT].given)
        return psamp_fail(err, "%s: prompt, tasks: give one of them (the task file holds the prompts)", where);
    if (cfg->axes[SWEEP_CHAINS].given && !samples_key)
        return psamp_fail(err, "%s: chains: with \"tasks\", give %s (chains per task prompt)", where,
                          SAMPLES_PER_TASK);
    return 0;
}

static int parse_root(const exp_config *ec, sweep_config *cfg, psamp_err *err) {
    const char *where = ec->path;
    const char *allowed[SWEEP_N_AXES + sizeof FIXED_KEYS / sizeof FIXED_KEYS[0] + 1];
    size_t n_allowed = 0;
    int samples_key = 0;
    for (int a = 0; a < SWEEP_N_AXES; a++) allowed[n_allowed++] = AXES[a].name;
    for (size_t k = 0; k < sizeof FIXED_KEYS / sizeof FIXED_KEYS[0]; k++) allowed[n_allowed++] = FIXED_KEYS[k];
    allowed[n_allowed] = NULL;
    if (exp_config_check_keys(ec, ec->root, "", allowed, err) != 0) return -1;
    for (const cJSON *item = ec->root->child; item; item = item->next) {
        int handled;
        if (parse_fixed(item, where, cfg, &handled, err) != 0) return -1;
        if (handled) continue;
        if (strcmp(item->string, SAMPLES_PER_TASK) == 0) {
            axis_spec spec = AXES[SWEEP_CHAINS];
            spec.name = SAMPLES_PER_TASK;
            if (cfg->axes[SWEEP_CHAINS].given)
                return psamp_fail(err, "%s: chains, %s: give one of them", where, SAMPLES_PER_TASK);
            samples_key = 1;
            if (parse_axis(item, &spec, where, &cfg->axes[SWEEP_CHAINS], err) != 0) return -1;
            continue;
        }
        if (strcmp(item->string, "chains") == 0 && samples_key)
            return psamp_fail(err, "%s: chains, %s: give one of them", where, SAMPLES_PER_TASK);
        int a = 0;
        while (strcmp(item->string, AXES[a].name) != 0) a++; /* known: checked above */
        if (parse_axis(item, &AXES[a], where, &cfg->axes[a], err) != 0) return -1;
    }
    if (cfg->axes[SWEEP_BLOCK_SIZE].given && cfg->axes[SWEEP_BLOCKS].given)
        return psamp_fail(err, "%s: block_size, blocks: give one of them, not both", where);
    if (check_task_keys(cfg, samples_key, err) != 0) return -1;
    if (cfg->batch_chains < 0) cfg->batch_chains = SWEEP_BATCH_CHAINS;
    if (strcmp(cfg->kv_cache, "fp8") == 0 && strcmp(cfg->backend, "cpu") == 0)
        return psamp_fail(err, "%s: kv_cache: fp8 is the CUDA engine's (backend cuda or auto), not the CPU's", where);
    for (int a = 0; a < SWEEP_N_AXES; a++) {
        if (cfg->axes[a].given) continue;
        if (is_string_kind(AXES[a].kind) && !AXES[a].def_str)
            return psamp_fail(err, "%s: %s: missing (required)", where, AXES[a].name);
        if (set_default(&cfg->axes[a], &AXES[a], err) != 0) return -1;
    }
    return 0;
}

static int resolve_models(sweep_config *cfg, const char *dir, psamp_err *err) {
    const sweep_axis *m = &cfg->axes[SWEEP_MODEL];
    cfg->model_paths = calloc((size_t)m->n, sizeof *cfg->model_paths);
    if (!cfg->model_paths) return psamp_fail(err, "out of memory");
    for (int i = 0; i < m->n; i++) {
        char label[96];
        struct stat st;
        sweep_axis_label(cfg, SWEEP_MODEL, i, label, sizeof label);
        cfg->model_paths[i] = exp_config_resolve(dir, m->str[i]);
        if (!cfg->model_paths[i]) return psamp_fail(err, "out of memory");
        if (stat(cfg->model_paths[i], &st) != 0)
            return psamp_fail(err, "%s: %s: '%s' does not exist (%s)", cfg->path, label,
                              cfg->model_paths[i], strerror(errno));
    }
    return 0;
}

/* Puts every task's prompt into the config's prompt template; the template's bytes join the
 * task file's hash. */
static int apply_template(sweep_config *cfg, const char *dir, uint64_t *hash, psamp_err *err) {
    char *resolved = exp_config_resolve(dir, cfg->prompt_template_path), *tmpl = NULL;
    if (!resolved) return psamp_fail(err, "out of memory");
    free(cfg->prompt_template_path);
    cfg->prompt_template_path = resolved;
    if (prompt_template_load(resolved, &tmpl, err) != 0 || prompt_template_apply_tasks(tmpl, &cfg->tasks, err) != 0) {
        free(tmpl);
        return psamp_fail_context(err, "%s: prompt_template", cfg->path);
    }
    *hash ^= sweep_hash_text(tmpl, strlen(tmpl)) * 0x9E3779B97F4A7C15ull;
    free(tmpl);
    return 0;
}

/* Reads the task file (every line checked, each task needing an answer or regex), keeps its
 * first max_tasks tasks, and folds the file's bytes into the config hash: a sweep folder
 * resumes only over the same tasks. */
static int load_tasks(sweep_config *cfg, const char *dir, psamp_err *err) {
    char *resolved = exp_config_resolve(dir, cfg->tasks_path), *text = NULL;
    size_t len = 0;
    if (!resolved) return psamp_fail(err, "out of memory");
    free(cfg->tasks_path);
    cfg->tasks_path = resolved;
    if (psamp_read_file(resolved, 16u << 20, "task file", &text, &len, err) != 0 ||
        passk_tasks_parse(text, len, resolved, 1, &cfg->tasks, err) != 0) {
        free(text);
        return psamp_fail_context(err, "%s: tasks", cfg->path);
    }
    uint64_t file_hash = sweep_hash_text(text, len);
    free(text);
    if (cfg->prompt_template_path && apply_template(cfg, dir, &file_hash, err) != 0) return -1;
    if (cfg->max_tasks > 0) passk_tasks_truncate(&cfg->tasks, cfg->max_tasks);
    size_t n = strlen(cfg->canonical) + 40;
    char *keyed = malloc(n);
    if (!keyed) return psamp_fail(err, "out of memory");
    int k = snprintf(keyed, n, "%s\ntasks=%016llx", cfg->canonical, (unsigned long long)file_hash);
    cfg->hash = sweep_hash_text(keyed, (size_t)k);
    free(keyed);
    return 0;
}

/* Fills cfg from a loaded config (ec is left to the caller). */
static int from_exp_config(const exp_config *ec, sweep_config *cfg, psamp_err *err) {
    cfg->path = strdup(ec->path);
    cfg->name = strdup("");
    cfg->backend = strdup("auto");
    cfg->dtype = strdup("fp16");
    cfg->kv_cache = strdup("dtype");
    cfg->batch_chains = -1; /* not given; SWEEP_BATCH_CHAINS once the task keys are checked */
    if (!cfg->path || !cfg->name || !cfg->backend || !cfg->dtype || !cfg->kv_cache) return psamp_fail(err, "out of memory");
    if (parse_root(ec, cfg, err) != 0) return -1;
    cfg->canonical = cJSON_PrintUnformatted(ec->root);
    if (!cfg->canonical) return psamp_fail(err, "out of memory");
    cfg->hash = sweep_hash_text(cfg->canonical, strlen(cfg->canonical));
    if (cfg->tasks_path && load_tasks(cfg, ec->dir, err) != 0) return -1;
    return resolve_models(cfg, ec->dir, err);
}

int sweep_config_parse(const char *json, const char *path, sweep_config *cfg, psamp_err *err) {
    exp_config ec;
    memset(cfg, 0, sizeof *cfg);
    if (exp_config_parse(&ec, json, path, err) != 0) return -1;
    int rc = from_exp_config(&ec, cfg, err);
    exp_config_free(&ec);
    if (rc != 0) sweep_config_free(cfg);
    return rc;
}

int sweep_config_load(const char *path, sweep_config *cfg, psamp_err *err) {
    exp_config ec;
    memset(cfg, 0, sizeof *cfg);
    if (exp_config_load(&ec, path, err) != 0) return psamp_fail_context(err, "--config");
    int rc = from_exp_config(&ec, cfg, err);
    exp_config_free(&ec);
    if (rc != 0) sweep_config_free(cfg);
    return rc;
}

void sweep_config_free(sweep_config *cfg) {
    if (!cfg) return;
    for (int i = 0; cfg->model_paths && i < cfg->axes[SWEEP_MODEL].n; i++) free(cfg->model_paths[i]);
    free(cfg->model_paths);
    for (int a = 0; a < SWEEP_N_AXES; a++) {
        sweep_axis *ax = &cfg->axes[a];
        for (int i = 0; ax->str && i < ax->n; i++) free(ax->str[i]);
        free(ax->str);
        free(ax->num);
    }
    free(cfg->tasks_path);
    free(cfg->prompt_template_path);
    passk_tasks_free(&cfg->tasks);
    free(cfg->ks);
    free(cfg->path);
    free(cfg->name);
    free(cfg->canonical);
    free(cfg->backend);
    free(cfg->dtype);
    free(cfg->kv_cache);
    memset(cfg, 0, sizeof *cfg);
}
