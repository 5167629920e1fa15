/* Reading `psamp generate --trace` files (README.md, "Output formats") into a tracker. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h2.h"
#include "json_check.h"

static int get_number(const cJSON *o, const char *key, const char *where, double *out, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return psamp_fail(err, "%s: %s is missing", where, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return psamp_fail(err, "%s: %s must be a finite number", where, key);
    *out = v->valuedouble;
    return 0;
}

static int get_int(const cJSON *o, const char *key, const char *where, int32_t *out, psamp_err *err) {
    double x = 0.0;
    if (get_number(o, key, where, &x, err) != 0) return -1;
    if (x != floor(x) || x < 0 || x > 2147483647.0)
        return psamp_fail(err, "%s: %s must be a non-negative integer (got %g)", where, key, x);
    *out = (int32_t)x;
    return 0;
}

int h2_parse_trace_line(const char *line, const char *where, h2_step *s, psamp_err *err) {
    memset(s, 0, sizeof *s);
    if (psamp_json_refuse_nul(line, strlen(line), where, err) != 0) return -1;
    cJSON *o = cJSON_Parse(line);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return psamp_fail(err, "%s: not a JSON object", where);
    }
    double chain = 0.0;
    int rc = get_number(o, "chain", where, &chain, err);
    /* 2^64 and above would not fit the id (the cast is undefined behaviour). */
    if (rc == 0 && !(chain >= 0 && chain == floor(chain) && chain < 18446744073709551616.0))
        rc = psamp_fail(err, "%s: chain must be a non-negative integer below 2^64", where);
    s->chain = rc == 0 ? (uint64_t)chain : 0;
    if (rc == 0)
        rc = get_int(o, "block", where, &s->block, err) || get_int(o, "step", where, &s->step, err) ||
             get_int(o, "idx", where, &s->idx, err) || get_int(o, "len_current", where, &s->len_current, err) ||
             get_int(o, "len_proposal", where, &s->len_proposal, err) ||
             get_number(o, "logp_current", where, &s->logp_current, err) ||
             get_number(o, "logp_proposal", where, &s->logp_proposal, err);
    if (rc == 0 && !cJSON_GetObjectItemCaseSensitive(o, "logp_prefix"))
        rc = psamp_fail(err, "%s: logp_prefix is missing (a trace from a psamp before the field?)", where);
    if (rc == 0) rc = get_number(o, "logp_prefix", where, &s->logp_prefix, err);
    if (rc == 0) {
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(o, "accepted");
        if (!cJSON_IsBool(acc)) rc = psamp_fail(err, "%s: accepted must be true or false", where);
        else s->accepted = cJSON_IsTrue(acc);
    }
    cJSON_Delete(o);
    return rc ? -1 : 0;
}

static int blank(const char *s) {
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

int h2_read_trace(const char *path, h2_tracker *t, psamp_err *err) {
    FILE *f = fopen(path, "r");
    if (!f) return psamp_fail(err, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL, where[600];
    size_t cap = 0;
    int64_t lineno = 0, records = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        h2_step s;
        lineno++;
        if (blank(line)) continue;
        snprintf(where, sizeof where, "%s:%lld", path, (long long)lineno);
        rc = h2_parse_trace_line(line, where, &s, err);
        if (rc == 0 && h2_tracker_add(t, &s, err) != 0) rc = psamp_fail_context(err, "%s", where);
        records += rc == 0;
    }
    if (rc == 0 && ferror(f)) rc = psamp_fail(err, "%s: read failed", path);
    if (rc == 0 && records == 0) rc = psamp_fail(err, "%s: no MH steps in the trace", path);
    free(line);
    fclose(f);
    return rc;
}
