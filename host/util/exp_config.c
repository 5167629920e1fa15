#include "exp_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "json_check.h"

/* Configs are a few kilobytes; this bounds what a wrong path (a checkpoint) makes us read. */
#define EXP_CONFIG_MAX_BYTES (16 << 20)

void exp_config_free(exp_config *c) {
    if (!c) return;
    free(c->path);
    free(c->dir);
    cJSON_Delete(c->root);
    memset(c, 0, sizeof *c);
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

char *exp_config_resolve(const char *dir, const char *rel) {
    if (rel[0] == '/' || strcmp(dir, ".") == 0) return strdup(rel);
    size_t d = strlen(dir), n = d + strlen(rel) + 2;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s%s%s", dir, d && dir[d - 1] == '/' ? "" : "/", rel);
    return out;
}

int exp_config_parse(exp_config *c, const char *text, const char *label, psamp_err *err) {
    memset(c, 0, sizeof *c);
    c->path = strdup(label);
    c->dir = dir_of(label);
    if (!c->path || !c->dir) {
        exp_config_free(c);
        return psamp_fail(err, "out of memory");
    }
    if (psamp_json_refuse_nul(text, strlen(text), label, err) != 0) {
        exp_config_free(c);
        return -1;
    }
    c->root = cJSON_Parse(text);
    if (!c->root) {
        const char *at = cJSON_GetErrorPtr();
        psamp_fail(err, "%s: not valid JSON near byte %ld", label, at ? (long)(at - text) : -1L);
        exp_config_free(c);
        return -1;
    }
    if (!cJSON_IsObject(c->root)) {
        psamp_fail(err, "%s: the top level must be a JSON object", label);
        exp_config_free(c);
        return -1;
    }
    return 0;
}

int exp_config_load(exp_config *c, const char *path, psamp_err *err) {
    char *buf;
    size_t len;
    memset(c, 0, sizeof *c);
    if (psamp_read_file(path, EXP_CONFIG_MAX_BYTES, NULL, &buf, &len, err) != 0) return -1;
    int rc = exp_config_parse(c, buf, path, err);
    free(buf);
    return rc;
}

/* "where.key" (or "key" at the top level) for messages. */
static void field_name(char *buf, size_t cap, const char *where, const char *key) {
    snprintf(buf, cap, "%s%s%s", where, where[0] ? "." : "", key);
}

int exp_config_check_keys(const exp_config *c, const cJSON *obj, const char *where,
                          const char *const *allowed, psamp_err *err) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++) known |= strcmp(*a, it->string) == 0;
        char name[256], q[PSAMP_QUOTE_MAX];
        field_name(name, sizeof name, where, psamp_escape(q, sizeof q, it->string));
        if (!known) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", *a);
            }
            return psamp_fail(err, "%s: unknown key '%s' (known: %s)", c->path, name, list);
        }
        for (const cJSON *b = it->next; b; b = b->next)
            if (strcmp(b->string, it->string) == 0)
                return psamp_fail(err, "%s: %s is given twice", c->path, name);
    }
    return 0;
}

/* The value at key, or NULL; fails when required and absent. */
static int lookup(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                  int required, const cJSON **out, psamp_err *err) {
    *out = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*out && required) {
        char name[256];
        field_name(name, sizeof name, where, key);
        return psamp_fail(err, "%s: %s is required", c->path, name);
    }
    return 0;
}

int exp_config_section(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                       const cJSON **out, psamp_err *err) {
    if (lookup(c, obj, where, key, 0, out, err) != 0) return -1;
    if (*out && !cJSON_IsObject(*out)) {
        char name[256];
        field_name(name, sizeof name, where, key);
        return psamp_fail(err, "%s: %s must be an object", c->path, name);
    }
    return 0;
}

static int number_in_range(const exp_config *c, const cJSON *v, const char *name, double lo,
                           int lo_open, double hi, double *out, psamp_err *err) {
    if (!cJSON_IsNumber(v)) return psamp_fail(err, "%s: %s must be a number", c->path, name);
    double x = v->valuedouble;
    if (!isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo)))
        return psamp_fail(err, "%s: %s: %g must be %s %g", c->path, name, x, lo_open ? ">" : ">=", lo);
    if (!(x <= hi)) return psamp_fail(err, "%s: %s: %g must be <= %g", c->path, name, x, hi);
    *out = x;
    return 0;
}

static int int_in_range(const exp_config *c, const cJSON *v, const char *name, int lo, int hi,
                        int32_t *out, psamp_err *err) {
    double x = 0.0;
    if (number_in_range(c, v, name, lo, 0, hi, &x, err) != 0) return -1;
    if (x != floor(x)) return psamp_fail(err, "%s: %s: %g is not an integer", c->path, name, x);
    *out = (int32_t)x;
    return 0;
}

int exp_config_int(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                   int required, int lo, int hi, int32_t *out, psamp_err *err) {
    const cJSON *v;
    char name[256];
    if (lookup(c, obj, where, key, required, &v, err) != 0) return -1;
    if (!v) return 0;
    field_name(name, sizeof name, where, key);
    return int_in_range(c, v, name, lo, hi, out, err);
}

int exp_config_u64(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                   uint64_t *out, psamp_err *err) {
    const cJSON *v;
    double x = 0.0;
    char name[256];
    if (lookup(c, obj, where, key, 0, &v, err) != 0) return -1;
    if (!v) return 0;
    field_name(name, sizeof name, where, key);
    /* JSON numbers are doubles: seeds above 2^53 would not round-trip. */
    if (number_in_range(c, v, name, 0, 0, 9007199254740992.0, &x, err) != 0) return -1;
    if (x != floor(x)) return psamp_fail(err, "%s: %s: %g is not an integer", c->path, name, x);
    *out = (uint64_t)x;
    return 0;
}

int exp_config_double(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                      int required, double lo, int lo_open, double hi, double *out, psamp_err *err) {
    const cJSON *v;
    char name[256];
    if (lookup(c, obj, where, key, required, &v, err) != 0) return -1;
    if (!v) return 0;
    field_name(name, sizeof name, where, key);
    return number_in_range(c, v, name, lo, lo_open, hi, out, err);
}

int exp_config_string(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                      int required, const char **out, psamp_err *err) {
    const cJSON *v;
    if (lookup(c, obj, where, key, required, &v, err) != 0) return -1;
    if (!v) return 0;
    if (!cJSON_IsString(v)) {
        char name[256];
        field_name(name, sizeof name, where, key);
        return psamp_fail(err, "%s: %s must be a string", c->path, name);
    }
    *out = v->valuestring;
    return 0;
}

int exp_config_path(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                    int required, char **out, psamp_err *err) {
    const char *rel = NULL;
    if (exp_config_string(c, obj, where, key, required, &rel, err) != 0) return -1;
    if (!rel) return 0;
    if (!rel[0]) return psamp_fail(err, "%s: %s%s%s is empty", c->path, where, where[0] ? "." : "", key);
    char *p = exp_config_resolve(c->dir, rel);
    if (!p) return psamp_fail(err, "out of memory");
    *out = p;
    return 0;
}

/* The array at key: absent (not required) -> *arr = NULL; present -> non-empty array. */
static int lookup_list(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                       int required, const cJSON **arr, int32_t *n, psamp_err *err) {
    char name[256];
    if (lookup(c, obj, where, key, required, arr, err) != 0) return -1;
    if (!*arr) return 0;
    field_name(name, sizeof name, where, key);
    if (!cJSON_IsArray(*arr)) return psamp_fail(err, "%s: %s must be a list", c->path, name);
    *n = cJSON_GetArraySize(*arr);
    if (*n == 0) return psamp_fail(err, "%s: %s is empty", c->path, name);
    return 0;
}

int exp_config_int_list(const exp_config *c, const cJSON *obj, const char *where,
                        const char *key, int required, int lo, int hi, int32_t **out,
                        int32_t *n, psamp_err *err) {
    const cJSON *arr;
    int32_t count = 0, i = 0;
    if (lookup_list(c, obj, where, key, required, &arr, &count, err) != 0) return -1;
    if (!arr) return 0;
    int32_t *v = malloc((size_t)count * sizeof *v);
    if (!v) return psamp_fail(err, "out of memory");
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        char name[288];
        snprintf(name, sizeof name, "%s%s%s[%d]", where, where[0] ? "." : "", key, i);
        if (int_in_range(c, it, name, lo, hi, &v[i], err) != 0) {
            free(v);
            return -1;
        }
    }
    free(*out);
    *out = v;
    *n = count;
    return 0;
}

int exp_config_double_list(const exp_config *c, const cJSON *obj, const char *where,
                           const char *key, int required, double lo, int lo_open, double hi,
                           double **out, int32_t *n, psamp_err *err) {
    const cJSON *arr;
    int32_t count = 0, i = 0;
    if (lookup_list(c, obj, where, key, required, &arr, &count, err) != 0) return -1;
    if (!arr) return 0;
    double *v = malloc((size_t)count * sizeof *v);
    if (!v) return psamp_fail(err, "out of memory");
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        char name[288];
        snprintf(name, sizeof name, "%s%s%s[%d]", where, where[0] ? "." : "", key, i);
        if (number_in_range(c, it, name, lo, lo_open, hi, &v[i], err) != 0) {
            free(v);
            return -1;
        }
    }
    free(*out);
    *out = v;
    *n = count;
    return 0;
}

int exp_config_string_list(const exp_config *c, const cJSON *obj, const char *where,
                           const char *key, int required, const char ***out, int32_t *n,
                           psamp_err *err) {
    const cJSON *arr;
    int32_t count = 0, i = 0;
    if (lookup_list(c, obj, where, key, required, &arr, &count, err) != 0) return -1;
    if (!arr) return 0;
    const char **v = malloc((size_t)count * sizeof *v);
    if (!v) return psamp_fail(err, "out of memory");
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        if (!cJSON_IsString(it)) {
            free(v);
            return psamp_fail(err, "%s: %s%s%s[%d] must be a string", c->path, where, where[0] ? "." : "",
                              key, i);
        }
        v[i] = it->valuestring;
    }
    free((void *)*out);
    *out = v;
    *n = count;
    return 0;
}

void exp_config_free_paths(char **paths, int32_t n) {
    for (int32_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

int exp_config_path_list(const exp_config *c, const cJSON *obj, const char *where,
                         const char *key, int required, char ***out, int32_t *n, psamp_err *err) {
    const char **names = NULL;
    int32_t count = 0;
    if (exp_config_string_list(c, obj, where, key, required, &names, &count, err) != 0) return -1;
    if (!names) return 0;
    char **paths = calloc((size_t)count, sizeof *paths);
    int rc = paths ? 0 : psamp_fail(err, "out of memory");
    for (int32_t i = 0; rc == 0 && i < count; i++) {
        if (!names[i][0])
            rc = psamp_fail(err, "%s: %s%s%s[%d] is empty", c->path, where, where[0] ? "." : "", key, i);
        else if (!(paths[i] = exp_config_resolve(c->dir, names[i])))
            rc = psamp_fail(err, "out of memory");
    }
    free((void *)names);
    if (rc != 0) {
        exp_config_free_paths(paths, count);
        return -1;
    }
    exp_config_free_paths(*out, *n);
    *out = paths;
    *n = count;
    return 0;
}
