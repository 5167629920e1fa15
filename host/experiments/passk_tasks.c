#include "passk_tasks.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "math_answer.h"
#include "task_answer.h"
#include "json_check.h"

#define TASK_FILE_MAX_BYTES (16u << 20)

static const char *const TASK_KEYS[] = {"id", "prompt", "answer", "regex", "marker", "numeric", "checker", "source"};

static void free_task(passk_task *t) {
    free(t->id);
    free(t->prompt);
    free(t->answer);
    free(t->regex);
    free(t->marker);
    free(t->source);
    free(t->checker);
    if (t->re) regfree(t->re);
    free(t->re);
}

void passk_tasks_free(passk_task_set *s) {
    if (!s) return;
    for (int32_t i = 0; i < s->n; i++) free_task(&s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

void passk_tasks_truncate(passk_task_set *s, int32_t n) {
    if (n < 0) n = 0;
    for (int32_t i = n; i < s->n; i++) free_task(&s->items[i]);
    if (n < s->n) s->n = n;
}

/* A string field: absent -> *out stays NULL; present but not a string -> error. */
static int string_field(const cJSON *obj, const char *key, const char *where, char **out, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!cJSON_IsString(v) || !v->valuestring) return psamp_fail(err, "%s: \"%s\" must be a string", where, key);
    *out = strdup(v->valuestring);
    if (!*out) return psamp_fail(err, "%s: out of memory", where);
    return 0;
}

static int check_keys(const cJSON *obj, const char *where, psamp_err *err) {
    for (const cJSON *c = obj->child; c; c = c->next) {
        int known = 0;
        for (size_t k = 0; k < sizeof TASK_KEYS / sizeof TASK_KEYS[0]; k++) known |= strcmp(c->string, TASK_KEYS[k]) == 0;
        char q[PSAMP_QUOTE_MAX];
        if (!known)
            return psamp_fail(err, "%s: unknown key \"%s\" (expected id, prompt, answer or regex, marker, numeric, checker, source)", where,
                              psamp_escape(q, sizeof q, c->string));
        for (const cJSON *d = c->next; d; d = d->next)
            if (strcmp(c->string, d->string) == 0)
                return psamp_fail(err, "%s: \"%s\" given twice", where, psamp_escape(q, sizeof q, c->string));
    }
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static int is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Fills t from one parsed line; t is zeroed by the caller and freed by it on failure. */
static int task_from_json(const cJSON *obj, const char *where, int require_check, passk_task *t, psamp_err *err) {
    if (!cJSON_IsObject(obj)) return psamp_fail(err, "%s: expected a JSON object", where);
    if (check_keys(obj, where, err) != 0) return -1;
    if (string_field(obj, "id", where, &t->id, err) || string_field(obj, "prompt", where, &t->prompt, err) ||
        string_field(obj, "answer", where, &t->answer, err) || string_field(obj, "regex", where, &t->regex, err) ||
        string_field(obj, "marker", where, &t->marker, err) || string_field(obj, "source", where, &t->source, err) ||
        string_field(obj, "checker", where, &t->checker, err))
        return -1;
    const cJSON *numeric = cJSON_GetObjectItemCaseSensitive(obj, "numeric");
    if (numeric && !cJSON_IsBool(numeric)) return psamp_fail(err, "%s: \"numeric\" must be true or false", where);
    t->numeric = cJSON_IsTrue(numeric);
    if (!t->id || !*t->id) return psamp_fail(err, "%s: \"id\" is missing or empty", where);
    if (!t->prompt) return psamp_fail(err, "%s: \"prompt\" is missing", where);
    if (t->answer && t->regex) return psamp_fail(err, "%s: give \"answer\" or \"regex\", not both", where);
    if (require_check && !t->answer && !t->regex)
        return psamp_fail(err, "%s: needs an \"answer\" or a \"regex\" to judge completions", where);
    if (t->checker && strcmp(t->checker, "boxed") != 0)
        return psamp_fail(err, "%s: unknown \"checker\" \"%s\" (known: boxed)", where, t->checker);
    t->boxed = t->checker != NULL;
    if (t->boxed && (!t->answer || t->marker))
        return psamp_fail(err, "%s: \"checker\": \"boxed\" needs an \"answer\" and no \"marker\"", where);
    if (t->answer && !t->boxed && (!*t->answer || is_space(*t->answer)))
        return psamp_fail(err, "%s: \"answer\" must be non-empty and not start with whitespace "
                               "(completions are judged after their leading whitespace is stripped)", where);
    if (t->marker && (!*t->marker || !t->answer))
        return psamp_fail(err, "%s: \"marker\" must be non-empty and comes with an \"answer\"", where);
    if (t->numeric && !t->marker)
        return psamp_fail(err, "%s: \"numeric\" needs a \"marker\" to find the answer after", where);
    if (t->numeric && !task_answer_is_decimal(t->answer, strlen(t->answer)))
        return psamp_fail(err, "%s: \"numeric\" answer must be a decimal like -12 or 3.5", where);
    if (t->regex) {
        t->re = malloc(sizeof *t->re);
        if (!t->re) return psamp_fail(err, "%s: out of memory", where);
        int rc = regcomp(t->re, t->regex, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[160], q[PSAMP_QUOTE_MAX];
            regerror(rc, t->re, why, sizeof why);
            free(t->re);
            t->re = NULL;
            return psamp_fail(err, "%s: \"regex\" '%s' does not compile: %s", where,
                              psamp_escape(q, sizeof q, t->regex), why);
        }
    }
    return 0;
}

static int parse_line(const char *line, size_t len, const char *where, int require_check, passk_task *t,
                      psamp_err *err) {
    const char *end = NULL;
    if (psamp_json_refuse_nul(line, len, where, err) != 0) return -1;
    cJSON *obj = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!obj) return psamp_fail(err, "%s: not valid JSON", where);
    while (end && end < line + len && is_space(*end)) end++;
    int rc = end && end < line + len ? psamp_fail(err, "%s: text after the JSON object", where)
                                     : task_from_json(obj, where, require_check, t, err);
    cJSON_Delete(obj);
    return rc;
}

int passk_tasks_parse(const char *text, size_t len, const char *label, int require_check, passk_task_set *out,
                      psamp_err *err) {
    passk_task_set s = {NULL, 0};
    int32_t cap = 0, line_no = 0;
    memset(out, 0, sizeof *out);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t line_len = nl ? (size_t)(nl - (text + at)) : len - at, blank = 1;
        const char *line = text + at;
        at += line_len + (nl ? 1 : 0);
        line_no++;
        for (size_t i = 0; i < line_len; i++) blank &= is_space(line[i]);
        if (blank) continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%d", label, line_no);
        if (s.n == cap) {
            int32_t ncap = cap ? 2 * cap : 32;
            passk_task *grown = realloc(s.items, (size_t)ncap * sizeof *grown);
            if (!grown) {
                passk_tasks_free(&s);
                return psamp_fail(err, "%s: out of memory", where);
            }
            s.items = grown;
            cap = ncap;
        }
        passk_task *t = &s.items[s.n++];
        memset(t, 0, sizeof *t);
        t->line = line_no;
        int rc = parse_line(line, line_len, where, require_check, t, err);
        char q[PSAMP_QUOTE_MAX];
        for (int32_t i = 0; rc == 0 && i < s.n - 1; i++)
            if (strcmp(s.items[i].id, t->id) == 0)
                rc = psamp_fail(err, "%s: id \"%s\" repeats line %d", where, psamp_escape(q, sizeof q, t->id),
                                s.items[i].line);
        if (rc != 0) {
            passk_tasks_free(&s);
            return -1;
        }
    }
    if (s.n == 0) return psamp_fail(err, "%s: no tasks (every line is blank)", label);
    *out = s;
    return 0;
}

int passk_tasks_load(const char *path, int require_check, passk_task_set *out, psamp_err *err) {
    char *text;
    size_t len;
    memset(out, 0, sizeof *out);
    if (psamp_read_file(path, TASK_FILE_MAX_BYTES, "task file", &text, &len, err) != 0) return -1;
    int rc = passk_tasks_parse(text, len, path, require_check, out, err);
    free(text);
    return rc;
}

int passk_task_judge(const passk_task *t, const char *text, size_t len) {
    size_t skip = 0;
    while (skip < len && is_space(text[skip])) skip++;
    const char *s = text + skip;
    size_t n = len - skip;
    if (t->boxed) return math_answer_judge(text, len, t->answer);
    if (t->marker) {
        const char *got;
        size_t n_got, a = strlen(t->answer);
        if (!task_answer_after_marker(text, len, t->marker, &got, &n_got)) return 0;
        return t->numeric ? task_answer_numeric_equal(got, n_got, t->answer, a)
                          : n_got == a && memcmp(got, t->answer, a) == 0;
    }
    if (t->answer) {
        size_t a = strlen(t->answer);
        if (n < a || memcmp(s, t->answer, a) != 0) return 0;
        return !(is_alnum(t->answer[a - 1]) && n > a && is_alnum(s[a]));
    }
    if (t->re) return regexec(t->re, s, 0, NULL, 0) == 0;
    return 0;
}
