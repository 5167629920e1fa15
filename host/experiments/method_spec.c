#include "method_spec.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"
#include "method_grid.h"


typedef enum { KEY_METHOD, KEY_LABEL, KEY_DOUBLE, KEY_INT } key_kind;

typedef struct {
    const char *name; /* with underscores; command-line specs may write dashes */
    key_kind kind;
} spec_key;

static const spec_key KEYS[] = {
    {"method", KEY_METHOD},       {"label", KEY_LABEL},     {"alpha", KEY_DOUBLE},
    {"temperature", KEY_DOUBLE},  {"proposal_temp", KEY_DOUBLE}, {"block_size", KEY_INT},
    {"blocks", KEY_INT},          {"mcmc_steps", KEY_INT},  {"best_of", KEY_INT},
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])
#define KEY_LIST "method, label, alpha, temperature, proposal_temp, block_size, blocks, mcmc_steps, best_of"

static void spec_defaults(method_spec *m) {
    memset(m, 0, sizeof *m);
    m->cfg = psamp_sampler_defaults();
    m->cfg.n_blocks = 4; /* as psamp generate */
}

/* Finds a key, reading dashes as underscores. */
static const spec_key *find_key(const char *name, size_t len) {
    for (size_t k = 0; k < N_KEYS; k++) {
        if (strlen(KEYS[k].name) != len) continue;
        size_t i = 0;
        while (i < len && (name[i] == KEYS[k].name[i] || (name[i] == '-' && KEYS[k].name[i] == '_'))) i++;
        if (i == len) return &KEYS[k];
    }
    return NULL;
}

static int set_label(method_spec *m, const char *label, const char *where, psamp_err *err) {
    size_t n = strlen(label);
    if (n == 0 || n >= METHOD_LABEL_MAX)
        return psamp_fail(err, "%s: label must have 1 to %d characters", where, METHOD_LABEL_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20) return psamp_fail(err, "%s: label has a control character", where);
    memcpy(m->label, label, n + 1);
    return 0;
}

/* The setting a numeric key names. */
static double *double_field(psamp_sampler_config *c, const char *name) {
    if (strcmp(name, "alpha") == 0) return &c->alpha;
    if (strcmp(name, "temperature") == 0) return &c->temperature;
    return &c->proposal_temp;
}

static int32_t *int_field(psamp_sampler_config *c, const char *name) {
    if (strcmp(name, "block_size") == 0) return &c->block_size;
    if (strcmp(name, "blocks") == 0) return &c->n_blocks;
    if (strcmp(name, "mcmc_steps") == 0) return &c->mcmc_steps;
    return &c->best_of;
}

/* Stores a numeric value (already checked finite); ints must be whole and in range. */
static int set_number(method_spec *m, const spec_key *k, double v, const char *where, psamp_err *err) {
    if (k->kind == KEY_DOUBLE) {
        *double_field(&m->cfg, k->name) = v;
        return 0;
    }
    if (v != floor(v) || v < -2147483648.0 || v > 2147483647.0)
        return psamp_fail(err, "%s: %s must be an integer (got %g)", where, k->name, v);
    /* 0 is the config's "not set" for block_size (T / blocks instead): a spec must not say it. */
    if (strcmp(k->name, "mcmc_steps") != 0 && v < 1)
        return psamp_fail(err, "%s: %s must be positive (got %g)", where, k->name, v);
    *int_field(&m->cfg, k->name) = (int32_t)v;
    if (strcmp(k->name, "blocks") == 0) m->blocks_given = 1;
    return 0;
}

int method_spec_from_json(const cJSON *obj, const char *where, method_spec *out, psamp_err *err) {
    spec_defaults(out);
    if (!cJSON_IsObject(obj)) return psamp_fail(err, "%s: expected an object like {\"method\": \"power\", ...}", where);
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(obj, "method");
    if (!cJSON_IsString(method)) return psamp_fail(err, "%s: \"method\" (a string) is required", where);
    for (const cJSON *c = obj->child; c; c = c->next) {
        const spec_key *k = find_key(c->string, strlen(c->string));
        if (!k || strchr(c->string, '-')) return psamp_fail(err, "%s: unknown key \"%s\" (%s)", where, c->string, KEY_LIST);
        for (const cJSON *d = c->next; d; d = d->next)
            if (strcmp(c->string, d->string) == 0) return psamp_fail(err, "%s: \"%s\" given twice", where, c->string);
        if (k->kind == KEY_METHOD || k->kind == KEY_LABEL) {
            if (!cJSON_IsString(c)) return psamp_fail(err, "%s: \"%s\" must be a string", where, k->name);
            if (k->kind == KEY_LABEL && set_label(out, c->valuestring, where, err) != 0) return -1;
            if (k->kind == KEY_METHOD && psamp_method_parse(c->valuestring, &out->cfg.method, err) != 0)
                return psamp_fail_context(err, "%s", where);
        } else {
            if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
                return psamp_fail(err, "%s: \"%s\" must be a number", where, k->name);
            if (set_number(out, k, c->valuedouble, where, err) != 0) return -1;
        }
    }
    if (!out->label[0]) memcpy(out->label, method->valuestring, strlen(method->valuestring) + 1);
    return 0;
}

int method_spec_from_text(const char *text, method_spec *out, psamp_err *err) {
    char where[METHOD_LABEL_MAX + 32];
    spec_defaults(out);
    snprintf(where, sizeof where, "method '%s'", text);
    size_t name_len = strcspn(text, ":");
    char name[32];
    if (name_len == 0 || name_len >= sizeof name) return psamp_fail(err, "%s: expected METHOD[:key=value,...]", where);
    memcpy(name, text, name_len);
    name[name_len] = '\0';
    if (psamp_method_parse(name, &out->cfg.method, err) != 0) return psamp_fail_context(err, "%s", where);
    if (set_label(out, text, where, err) != 0) return -1;
    const char *at = text + name_len;
    int seen[N_KEYS] = {0};
    while (*at) {
        at++; /* ':' first, then ',' */
        size_t item_len = strcspn(at, ","), key_len = strcspn(at, "=,");
        if (key_len >= item_len) return psamp_fail(err, "%s: '%.*s' is not key=value", where, (int)item_len, at);
        const spec_key *k = find_key(at, key_len);
        if (!k || k->kind == KEY_METHOD)
            return psamp_fail(err, "%s: unknown key '%.*s' (%s)", where, (int)key_len, at, KEY_LIST);
        if (seen[k - KEYS]++) return psamp_fail(err, "%s: %s given twice", where, k->name);
        char value[METHOD_LABEL_MAX];
        size_t value_len = item_len - key_len - 1;
        if (value_len >= sizeof value) return psamp_fail(err, "%s: value of %s is too long", where, k->name);
        memcpy(value, at + key_len + 1, value_len);
        value[value_len] = '\0';
        if (k->kind == KEY_LABEL) {
            if (set_label(out, value, where, err) != 0) return -1;
        } else {
            char *end;
            double v = strtod(value, &end);
            if (!value[0] || *end || !isfinite(v))
                return psamp_fail(err, "%s: %s: expected a number, got '%s'", where, k->name, value);
            if (set_number(out, k, v, where, err) != 0) return -1;
        }
        at += item_len;
    }
    return 0;
}

void method_list_free(method_list *l) {
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int check_unique_labels(const method_list *l, const char *what, psamp_err *err) {
    for (int32_t i = 0; i < l->n; i++)
        for (int32_t j = i + 1; j < l->n; j++)
            if (strcmp(l->items[i].label, l->items[j].label) == 0)
                return psamp_fail(err, "%s: label '%s' is used by two methods; give each its own label", what,
                                  l->items[i].label);
    return 0;
}

int method_list_from_text(const char *text, const char *what, method_list *out, psamp_err *err) {
    method_list l = {NULL, 0};
    for (const char *at = text; *at;) {
        at += strspn(at, " \t\n");
        size_t len = strcspn(at, " \t\n");
        if (len == 0) break;
        char spec[2048];
        if (len >= sizeof spec) {
            method_list_free(&l);
            return psamp_fail(err, "%s: spec '%.40s...' is too long", what, at);
        }
        memcpy(spec, at, len);
        spec[len] = '\0';
        if (method_grid_from_text(spec, &l, err) != 0) {
            method_list_free(&l);
            return psamp_fail_context(err, "%s", what);
        }
        at += len;
    }
    if (l.n == 0) {
        method_list_free(&l);
        return psamp_fail(err, "%s: no methods given", what);
    }
    if (check_unique_labels(&l, what, err) != 0) {
        method_list_free(&l);
        return -1;
    }
    method_list_free(out);
    *out = l;
    return 0;
}

int method_list_from_json(const cJSON *array, const char *where, method_list *out, psamp_err *err) {
    if (!cJSON_IsArray(array)) return psamp_fail(err, "%s: expected an array of method objects", where);
    if (cJSON_GetArraySize(array) == 0) return psamp_fail(err, "%s: the list of methods is empty", where);
    method_list l = {NULL, 0};
    int i = 0;
    for (const cJSON *c = array->child; c; c = c->next, i++) {
        char item[256];
        snprintf(item, sizeof item, "%s[%d]", where, i);
        if (method_grid_from_json(c, item, &l, err) != 0) {
            method_list_free(&l);
            return -1;
        }
    }
    if (check_unique_labels(&l, where, err) != 0) {
        method_list_free(&l);
        return -1;
    }
    method_list_free(out);
    *out = l;
    return 0;
}

int method_spec_config(const method_spec *m, int32_t max_new_tokens, int32_t n_chains, uint64_t seed,
                       psamp_sampler_config *out, psamp_err *err) {
    *out = m->cfg;
    out->max_new_tokens = max_new_tokens;
    out->n_chains = n_chains;
    out->seed = seed;
    out->first_chain = 0;
    /* As psamp generate: the default 4 blocks shrink to fit a short T; blocks given are kept. */
    if (out->block_size == 0 && out->n_blocks > max_new_tokens && !m->blocks_given) out->n_blocks = max_new_tokens;
    if (psamp_sampler_validate(out, err) != 0) return psamp_fail_context(err, "method '%s'", m->label);
    return 0;
}

void method_spec_write_json(FILE *f, const method_spec *m, const psamp_sampler_config *run) {
    psamp_method k = run->method;
    fputs("\"label\":", f);
    psamp_json_string(f, m->label, strlen(m->label));
    fprintf(f, ",\"method\":\"%s\"", psamp_method_name(k));
    if (k == PSAMP_METHOD_POWER) {
        fputs(",\"alpha\":", f);
        psamp_json_number(f, run->alpha);
    }
    if (k == PSAMP_METHOD_TEMP || k == PSAMP_METHOD_BESTOFN) {
        fputs(",\"temperature\":", f);
        psamp_json_number(f, run->temperature);
    }
    if (k == PSAMP_METHOD_BESTOFN) fprintf(f, ",\"best_of\":%d", run->best_of);
    if (k == PSAMP_METHOD_POWER || k == PSAMP_METHOD_MAXSWAP) {
        double tau = run->proposal_temp > 0 ? run->proposal_temp : k == PSAMP_METHOD_POWER ? 1.0 / run->alpha : 1.0;
        fputs(",\"proposal_temp\":", f);
        psamp_json_number(f, tau);
        fprintf(f, ",\"block_size\":%d,\"mcmc_steps\":%d", psamp_sampler_block_size(run), run->mcmc_steps);
    }
}
