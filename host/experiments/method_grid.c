#include "method_grid.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 16
#define MAX_VALUES 256 /* per key of a text spec */

static int append(method_list *l, const method_spec *m, psamp_err *err) {
    method_spec *grown = realloc(l->items, (size_t)(l->n + 1) * sizeof *grown);
    if (!grown) return psamp_fail(err, "out of memory");
    l->items = grown;
    l->items[l->n++] = *m;
    return 0;
}

/* label + suffix as the method's label; errors name `where`. */
static int set_grid_label(method_spec *m, const char *base, const char *suffix, const char *where, psamp_err *err) {
    int n = snprintf(m->label, sizeof m->label, "%s%s", base, suffix);
    if (n < 0 || (size_t)n >= sizeof m->label)
        return psamp_fail(err, "%s: the label '%s%s' is longer than %d characters", where, base, suffix,
                          METHOD_LABEL_MAX - 1);
    return 0;
}

/* Steps the odometer idx over sizes[0..n) (the last turns fastest); 0 when it wrapped. */
static int next_combination(int *idx, const int *sizes, int n) {
    for (int i = n - 1; i >= 0; i--) {
        if (++idx[i] < sizes[i]) return 1;
        idx[i] = 0;
    }
    return 0;
}

static int grid_size(const int *sizes, int n, const char *where, psamp_err *err) {
    long total = 1;
    for (int i = 0; i < n; i++)
        if ((total *= sizes[i]) > METHOD_GRID_MAX)
            return psamp_fail(err, "%s: the grid has more than %d methods", where, METHOD_GRID_MAX);
    return 0;
}

int method_grid_from_json(const cJSON *obj, const char *where, method_list *l, psamp_err *err) {
    const cJSON *listed[MAX_LISTED];
    int sizes[MAX_LISTED], idx[MAX_LISTED] = {0}, n = 0;
    method_spec m;
    for (const cJSON *c = cJSON_IsObject(obj) ? obj->child : NULL; c; c = c->next) {
        if (!cJSON_IsArray(c)) continue;
        if (n == MAX_LISTED) return psamp_fail(err, "%s: more than %d keys hold lists", where, MAX_LISTED);
        if ((sizes[n] = cJSON_GetArraySize(c)) == 0) return psamp_fail(err, "%s: \"%s\": empty list", where, c->string);
        listed[n++] = c;
    }
    if (n == 0) return method_spec_from_json(obj, where, &m, err) != 0 ? -1 : append(l, &m, err);
    if (grid_size(sizes, n, where, err) != 0) return -1;
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(obj, "label");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(obj, "method");
    if (!cJSON_IsString(method)) return psamp_fail(err, "%s: \"method\" (a string) is required", where);
    const char *base = cJSON_IsString(label) ? label->valuestring : method->valuestring;
    do {
        cJSON *one = cJSON_Duplicate(obj, 1);
        char suffix[METHOD_LABEL_MAX * 2] = "", item[512];
        size_t at = 0;
        if (!one) return psamp_fail(err, "out of memory");
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_GetArrayItem(listed[i], idx[i]);
            if (!cJSON_IsNumber(v)) {
                cJSON_Delete(one);
                return psamp_fail(err, "%s: \"%s\"[%d]: only numeric settings take lists", where, listed[i]->string,
                                  idx[i]);
            }
            cJSON_ReplaceItemInObjectCaseSensitive(one, listed[i]->string, cJSON_CreateNumber(v->valuedouble));
            int k = snprintf(suffix + at, sizeof suffix - at, " %s=%g", listed[i]->string, v->valuedouble);
            if (k > 0 && at + (size_t)k < sizeof suffix) at += (size_t)k;
        }
        snprintf(item, sizeof item, "%.300s (%.190s)", where, suffix + 1);
        int rc = method_spec_from_json(one, item, &m, err);
        cJSON_Delete(one);
        if (rc != 0 || set_grid_label(&m, base, suffix, where, err) != 0 || append(l, &m, err) != 0) return -1;
    } while (next_combination(idx, sizes, n));
    return 0;
}

/* One item of a text spec: "key=v1|v2|v3" split into its key and values. */
typedef struct {
    char text[256];       /* the item, '|' turned into NULs */
    const char *key;      /* "alpha" (as written) */
    const char *values[MAX_VALUES];
    int n;
} spec_item;

int method_grid_from_text(const char *spec, method_list *l, psamp_err *err) {
    char where[300];
    method_spec m;
    snprintf(where, sizeof where, "method '%s'", spec);
    if (!strchr(spec, '|')) return method_spec_from_text(spec, &m, err) != 0 ? -1 : append(l, &m, err);
    size_t name_len = strcspn(spec, ":");
    if (spec[name_len] != ':') return psamp_fail(err, "%s: expected METHOD[:key=value,...]", where);
    spec_item *items = calloc(MAX_LISTED * 2, sizeof *items);
    int n_items = 0, sizes[MAX_LISTED * 2], idx[MAX_LISTED * 2] = {0}, rc = 0;
    const char *label = NULL;
    if (!items) return psamp_fail(err, "out of memory");
    for (const char *at = spec + name_len + 1; rc == 0 && *at;) {
        size_t len = strcspn(at, ",");
        if (n_items == MAX_LISTED * 2 || len >= sizeof items[0].text) {
            rc = psamp_fail(err, "%s: too many or too long settings", where);
            break;
        }
        spec_item *it = &items[n_items++];
        memcpy(it->text, at, len);
        it->text[len] = '\0';
        char *eq = strchr(it->text, '=');
        it->key = it->text;
        if (eq) *eq = '\0';
        for (char *v = eq ? eq + 1 : NULL; v; it->n++) {
            if (it->n == MAX_VALUES) {
                rc = psamp_fail(err, "%s: more than %d values for one key", where, MAX_VALUES);
                break;
            }
            it->values[it->n] = v;
            if ((v = strchr(v, '|')) != NULL) *v++ = '\0';
        }
        if (rc != 0) break;
        if (!eq || it->n == 0) rc = psamp_fail(err, "%s: '%.*s' is not key=value", where, (int)len, at);
        else if (strcmp(it->key, "label") == 0 && it->n > 1) rc = psamp_fail(err, "%s: label takes one value", where);
        else if (strcmp(it->key, "label") == 0) label = it->values[0];
        sizes[n_items - 1] = it->n;
        at += len + (at[len] == ',');
    }
    if (rc == 0) rc = grid_size(sizes, n_items, where, err);
    while (rc == 0) {
        char one[1024], suffix[METHOD_LABEL_MAX * 2] = "";
        size_t at = (size_t)snprintf(one, sizeof one, "%.*s:", (int)name_len, spec), s_at = 0;
        /* A method name alone can fill `one` (specs are up to 2 KB): then it is too long. */
        for (int i = 0; i < n_items && at < sizeof one; i++) {
            const spec_item *it = &items[i];
            at += (size_t)snprintf(one + at, sizeof one - at, "%s%s=%s", i ? "," : "", it->key, it->values[idx[i]]);
            int k = it->n > 1 ? snprintf(suffix + s_at, sizeof suffix - s_at, " %s=%s", it->key, it->values[idx[i]]) : 0;
            if (k > 0 && s_at + (size_t)k < sizeof suffix) s_at += (size_t)k;
            if (at >= sizeof one) break;
        }
        char base[64];
        snprintf(base, sizeof base, "%.*s", (int)name_len, spec);
        rc = at >= sizeof one ? psamp_fail(err, "%s: too long", where) : method_spec_from_text(one, &m, err);
        if (rc == 0) rc = set_grid_label(&m, label ? label : base, suffix, where, err);
        if (rc == 0) rc = append(l, &m, err);
        if (!next_combination(idx, sizes, n_items)) break;
    }
    free(items);
    return rc;
}
