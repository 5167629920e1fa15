/* Loading and validating toy-world specs (docs/formats.md). Every rule of the format
 * is checked here, once, so the engine and the dynamic programs can trust the tables. */
#include "toy_world.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "json_check.h"

/* Probabilities of a state must sum to 1 within this (the format's tolerance). */
#define TOY_SUM_TOLERANCE 1e-6
/* Bounds that keep the dense tables and the dynamic programs' rows reasonable. */
#define TOY_MAX_LENGTH 1000000
#define TOY_MAX_CELLS (1 << 24)
/* Only stops a wrong path (a checkpoint) from being read whole: a spec at TOY_MAX_CELLS is large. */
#define TOY_WORLD_MAX_BYTES ((size_t)1 << 30)

static const char *const KNOWN_FIELDS[] = {"name", "tokens", "length", "start", "states", "correct"};

void toy_world_free(toy_world *w) {
    if (!w) return;
    free(w->name);
    if (w->tokens)
        for (int32_t i = 0; i < w->n_tokens; i++) free(w->tokens[i]);
    free(w->tokens);
    if (w->state_names)
        for (int32_t i = 0; i < w->n_states; i++) free(w->state_names[i]);
    free(w->state_names);
    free(w->prob);
    free(w->logp);
    free(w->next);
    free(w->correct_offset);
    free(w->correct_tokens);
    free(w);
}

int32_t toy_world_token_id(const toy_world *w, const char *token) {
    for (int32_t i = 0; i < w->n_tokens; i++)
        if (strcmp(w->tokens[i], token) == 0) return i;
    return -1;
}

static int32_t state_index(const toy_world *w, const char *name) {
    for (int32_t i = 0; i < w->n_states; i++)
        if (strcmp(w->state_names[i], name) == 0) return i;
    return -1;
}

static int32_t count_children(const cJSON *node) {
    int32_t n = 0;
    for (const cJSON *c = node->child; c; c = c->next) n++;
    return n;
}

/* cJSON keeps every copy of a repeated key; the format forbids them. Names the first
 * repeat in `what` (e.g. "states.good"). */
static int check_unique_keys(const cJSON *obj, const char *label, const char *what, psamp_err *err) {
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0) {
                char q[PSAMP_QUOTE_MAX];
                return psamp_fail(err, "%s: %s%s%s: listed twice", label, what, *what ? "." : "",
                                  psamp_escape(q, sizeof q, a->string));
            }
    return 0;
}

static int check_top_fields(const cJSON *root, const char *label, psamp_err *err) {
    for (const cJSON *c = root->child; c; c = c->next) {
        int known = 0;
        for (size_t k = 0; k < sizeof KNOWN_FIELDS / sizeof KNOWN_FIELDS[0]; k++)
            if (strcmp(c->string, KNOWN_FIELDS[k]) == 0) known = 1;
        char q[PSAMP_QUOTE_MAX];
        if (!known)
            return psamp_fail(err, "%s: %s: unknown field (expected name, tokens, length, start, "
                                   "states, correct)", label, psamp_escape(q, sizeof q, c->string));
    }
    return check_unique_keys(root, label, "", err);
}

static int parse_tokens(toy_world *w, const cJSON *root, const char *label, psamp_err *err) {
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(root, "tokens");
    if (!tokens) return psamp_fail(err, "%s: tokens: missing", label);
    if (!cJSON_IsArray(tokens)) return psamp_fail(err, "%s: tokens: expected an array of strings", label);
    int32_t n = count_children(tokens);
    if (n == 0) return psamp_fail(err, "%s: tokens: no tokens", label);
    w->tokens = calloc((size_t)n, sizeof *w->tokens);
    if (!w->tokens) return psamp_fail(err, "%s: tokens: out of memory", label);
    for (const cJSON *t = tokens->child; t; t = t->next) {
        int32_t i = w->n_tokens;
        if (!cJSON_IsString(t)) return psamp_fail(err, "%s: tokens[%d]: expected a string", label, i);
        int32_t earlier = toy_world_token_id(w, t->valuestring);
        char q[PSAMP_QUOTE_MAX];
        if (earlier >= 0)
            return psamp_fail(err, "%s: tokens[%d]: \"%s\" repeats tokens[%d]", label, i,
                              psamp_escape(q, sizeof q, t->valuestring), earlier);
        w->tokens[i] = strdup(t->valuestring);
        if (!w->tokens[i]) return psamp_fail(err, "%s: tokens: out of memory", label);
        w->n_tokens++;
    }
    return 0;
}

static int parse_length(toy_world *w, const cJSON *root, const char *label, psamp_err *err) {
    const cJSON *length = cJSON_GetObjectItemCaseSensitive(root, "length");
    if (!length) return psamp_fail(err, "%s: length: missing", label);
    if (!cJSON_IsNumber(length))
        return psamp_fail(err, "%s: length: expected an integer", label);
    double v = length->valuedouble;
    if (v != floor(v)) return psamp_fail(err, "%s: length: expected an integer, got %g", label, v);
    if (v < 1) return psamp_fail(err, "%s: length: %g is less than 1", label, v);
    if (v > TOY_MAX_LENGTH)
        return psamp_fail(err, "%s: length: %g exceeds the toy limit %d", label, v, TOY_MAX_LENGTH);
    w->length = (int32_t)v;
    return 0;
}

/* First pass over "states": names, so transitions can refer to states defined later. */
static int parse_state_names(toy_world *w, const cJSON *states, const char *label, psamp_err *err) {
    if (!states) return psamp_fail(err, "%s: states: missing", label);
    if (!cJSON_IsObject(states))
        return psamp_fail(err, "%s: states: expected an object of state -> transitions", label);
    int32_t n = count_children(states);
    if (n == 0) return psamp_fail(err, "%s: states: no states", label);
    if (check_unique_keys(states, label, "states", err) != 0) return -1;
    if ((size_t)n * (size_t)w->n_tokens > TOY_MAX_CELLS)
        return psamp_fail(err, "%s: states: %d states x %d tokens exceed the toy limit of %d cells",
                          label, n, w->n_tokens, TOY_MAX_CELLS);
    w->state_names = calloc((size_t)n, sizeof *w->state_names);
    if (!w->state_names) return psamp_fail(err, "%s: states: out of memory", label);
    for (const cJSON *s = states->child; s; s = s->next) {
        w->state_names[w->n_states] = strdup(s->string);
        if (!w->state_names[w->n_states]) return psamp_fail(err, "%s: states: out of memory", label);
        w->n_states++;
    }
    return 0;
}

/* One transition "TOKEN": [probability, next state or null] of state s. */
static int parse_transition(toy_world *w, int32_t s, const cJSON *tr, const char *label, psamp_err *err) {
    char qs[PSAMP_QUOTE_MAX], qt[PSAMP_QUOTE_MAX], qn[PSAMP_QUOTE_MAX];
    /* Escaped for messages; the lookups use the raw names. */
    const char *sname = psamp_escape(qs, sizeof qs, w->state_names[s]),
               *tname = psamp_escape(qt, sizeof qt, tr->string);
    int32_t tok = toy_world_token_id(w, tr->string);
    if (tok < 0) return psamp_fail(err, "%s: states.%s.%s: unknown token", label, sname, tname);
    size_t cell = (size_t)s * (size_t)w->n_tokens + (size_t)tok;
    if (w->next[cell] != TOY_IMPOSSIBLE)
        return psamp_fail(err, "%s: states.%s.%s: token listed twice", label, sname, tname);
    if (!cJSON_IsArray(tr) || count_children(tr) != 2)
        return psamp_fail(err, "%s: states.%s.%s: expected [probability, next state or null]",
                          label, sname, tname);
    const cJSON *p = tr->child, *nx = tr->child->next;
    if (!cJSON_IsNumber(p))
        return psamp_fail(err, "%s: states.%s.%s: probability is not a number", label, sname, tname);
    if (!(p->valuedouble > 0.0))
        return psamp_fail(err, "%s: states.%s.%s: probability %g is not positive", label, sname,
                          tname, p->valuedouble);
    int32_t to;
    if (cJSON_IsNull(nx)) {
        to = TOY_END;
    } else if (cJSON_IsString(nx)) {
        to = state_index(w, nx->valuestring);
        if (to < 0)
            return psamp_fail(err, "%s: states.%s.%s: unknown next state \"%s\"", label, sname,
                              tname, psamp_escape(qn, sizeof qn, nx->valuestring));
    } else {
        return psamp_fail(err, "%s: states.%s.%s: next state is neither a state name nor null",
                          label, sname, tname);
    }
    w->prob[cell] = p->valuedouble;
    w->next[cell] = to;
    return 0;
}

static int parse_states(toy_world *w, const cJSON *states, const char *label, psamp_err *err) {
    size_t cells = (size_t)w->n_states * (size_t)w->n_tokens;
    w->prob = calloc(cells, sizeof *w->prob);
    w->logp = malloc(cells * sizeof *w->logp);
    w->next = malloc(cells * sizeof *w->next);
    if (!w->prob || !w->logp || !w->next) return psamp_fail(err, "%s: states: out of memory", label);
    for (size_t c = 0; c < cells; c++) w->next[c] = TOY_IMPOSSIBLE;
    int32_t s = 0;
    for (const cJSON *st = states->child; st; st = st->next, s++) {
        char q[PSAMP_QUOTE_MAX];
        if (!cJSON_IsObject(st))
            return psamp_fail(err, "%s: states.%s: expected an object of token -> [probability, next state]",
                              label, psamp_escape(q, sizeof q, st->string));
        for (const cJSON *tr = st->child; tr; tr = tr->next)
            if (parse_transition(w, s, tr, label, err) != 0) return -1;
        double *row = w->prob + (size_t)s * (size_t)w->n_tokens, sum = 0.0;
        for (int32_t t = 0; t < w->n_tokens; t++) sum += row[t];
        if (fabs(sum - 1.0) > TOY_SUM_TOLERANCE)
            return psamp_fail(err, "%s: states.%s: probabilities sum to %.9g, not 1 (tolerance %g)",
                              label, psamp_escape(q, sizeof q, st->string), sum, TOY_SUM_TOLERANCE);
        for (int32_t t = 0; t < w->n_tokens; t++) {
            row[t] /= sum;
            w->logp[(size_t)s * (size_t)w->n_tokens + (size_t)t] = row[t] > 0.0 ? log(row[t]) : -INFINITY;
        }
    }
    return 0;
}

static int parse_start(toy_world *w, const cJSON *root, const char *label, psamp_err *err) {
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(root, "start");
    if (!start) return psamp_fail(err, "%s: start: missing", label);
    if (!cJSON_IsString(start)) return psamp_fail(err, "%s: start: expected a state name", label);
    w->start = state_index(w, start->valuestring);
    char q[PSAMP_QUOTE_MAX];
    if (w->start < 0)
        return psamp_fail(err, "%s: start: unknown state \"%s\"", label, psamp_escape(q, sizeof q, start->valuestring));
    return 0;
}

static int same_sequence(const int32_t *a, int32_t na, const int32_t *b, int32_t nb) {
    return na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0;
}

/* One entry of "correct": appends its ids to the flat arrays; c is its index. */
static int parse_correct_entry(toy_world *w, const cJSON *seq, int32_t c, int32_t at, const char *label,
                               psamp_err *err) {
    if (!cJSON_IsArray(seq))
        return psamp_fail(err, "%s: correct[%d]: expected an array of token strings", label, c);
    int32_t n = count_children(seq), k = 0;
    if (n == 0) return psamp_fail(err, "%s: correct[%d]: empty sequence", label, c);
    if (n > w->length)
        return psamp_fail(err, "%s: correct[%d]: %d tokens, longer than length %d", label, c, n, w->length);
    for (const cJSON *t = seq->child; t; t = t->next, k++) {
        if (!cJSON_IsString(t)) return psamp_fail(err, "%s: correct[%d][%d]: expected a token string", label, c, k);
        int32_t id = toy_world_token_id(w, t->valuestring);
        char q[PSAMP_QUOTE_MAX];
        if (id < 0)
            return psamp_fail(err, "%s: correct[%d][%d]: unknown token \"%s\"", label, c, k,
                              psamp_escape(q, sizeof q, t->valuestring));
        w->correct_tokens[at + k] = id;
    }
    for (int32_t e = 0; e < c; e++) {
        const int32_t *prev = w->correct_tokens + w->correct_offset[e];
        if (same_sequence(prev, w->correct_offset[e + 1] - w->correct_offset[e], w->correct_tokens + at, n))
            return psamp_fail(err, "%s: correct[%d]: repeats correct[%d]", label, c, e);
    }
    return n;
}

static int parse_correct(toy_world *w, const cJSON *root, const char *label, psamp_err *err) {
    const cJSON *correct = cJSON_GetObjectItemCaseSensitive(root, "correct");
    if (!correct) return 0;
    if (!cJSON_IsArray(correct))
        return psamp_fail(err, "%s: correct: expected an array of token sequences", label);
    int32_t n = count_children(correct);
    size_t total = 0;
    for (const cJSON *seq = correct->child; seq; seq = seq->next)
        if (cJSON_IsArray(seq)) total += (size_t)count_children(seq);
    w->correct_offset = calloc((size_t)n + 1, sizeof *w->correct_offset);
    w->correct_tokens = malloc((total ? total : 1) * sizeof *w->correct_tokens);
    if (!w->correct_offset || !w->correct_tokens) return psamp_fail(err, "%s: correct: out of memory", label);
    int32_t c = 0, at = 0;
    for (const cJSON *seq = correct->child; seq; seq = seq->next, c++) {
        int len = parse_correct_entry(w, seq, c, at, label, err);
        if (len < 0) return -1;
        at += len;
        w->correct_offset[c + 1] = at;
    }
    w->n_correct = n;
    return 0;
}

static int parse_root(toy_world *w, const cJSON *root, const char *label, psamp_err *err) {
    if (!cJSON_IsObject(root)) return psamp_fail(err, "%s: the spec is not a JSON object", label);
    if (check_top_fields(root, label, err) != 0) return -1;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (name && !cJSON_IsString(name)) return psamp_fail(err, "%s: name: expected a string", label);
    w->name = strdup(name ? name->valuestring : label);
    if (!w->name) return psamp_fail(err, "%s: out of memory", label);
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states");
    if (parse_tokens(w, root, label, err) != 0 || parse_length(w, root, label, err) != 0 ||
        parse_state_names(w, states, label, err) != 0 || parse_start(w, root, label, err) != 0 ||
        parse_states(w, states, label, err) != 0 || parse_correct(w, root, label, err) != 0)
        return -1;
    return 0;
}

/* Line and column (1-based) of byte `at` in text, for JSON syntax errors. */
static void line_column(const char *text, size_t at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int toy_world_parse(const char *json, size_t len, const char *label, toy_world **out, psamp_err *err) {
    *out = NULL;
    const char *end = NULL;
    if (psamp_json_refuse_nul(json, len, label, err) != 0) return -1;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        int line, col;
        size_t at = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        line_column(json, at, &line, &col);
        return psamp_fail(err, "%s: not valid JSON (line %d, column %d)", label, line, col);
    }
    /* Anything but whitespace after the value is a broken file, not a spec plus noise. */
    for (const char *p = end; p && p < json + len && *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            int line, col;
            line_column(json, (size_t)(p - json), &line, &col);
            cJSON_Delete(root);
            return psamp_fail(err, "%s: unexpected text after the JSON object (line %d, column %d)",
                              label, line, col);
        }
    toy_world *w = calloc(1, sizeof *w);
    if (!w) {
        cJSON_Delete(root);
        return psamp_fail(err, "%s: out of memory", label);
    }
    int rc = parse_root(w, root, label, err);
    cJSON_Delete(root);
    if (rc != 0) {
        toy_world_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int toy_world_load(const char *path, toy_world **out, psamp_err *err) {
    char *buf;
    size_t len;
    *out = NULL;
    if (psamp_read_file(path, TOY_WORLD_MAX_BYTES, NULL, &buf, &len, err) != 0) return -1;
    int rc = toy_world_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

int toy_world_walk(const toy_world *w, const int32_t *tokens, int32_t n, double *logp, int32_t *end_state,
                   psamp_err *err) {
    int32_t s = w->start;
    double sum = 0.0;
    char qw[PSAMP_QUOTE_MAX], qt[PSAMP_QUOTE_MAX], qs[PSAMP_QUOTE_MAX];
    const char *wname = psamp_escape(qw, sizeof qw, w->name);
    if (n > w->length)
        return psamp_fail(err, "toy world %s: %d tokens exceed its length %d", wname, n, w->length);
    for (int32_t i = 0; i < n; i++) {
        int32_t t = tokens[i];
        if (t < 0 || t >= w->n_tokens)
            return psamp_fail(err, "toy world %s: position %d: token id %d is outside the vocabulary [0, %d)",
                              wname, i, t, w->n_tokens);
        if (s == TOY_END)
            return psamp_fail(err, "toy world %s: position %d: token %s follows the end of the sequence",
                              wname, i, psamp_escape(qt, sizeof qt, w->tokens[t]));
        size_t cell = (size_t)s * (size_t)w->n_tokens + (size_t)t;
        if (w->next[cell] == TOY_IMPOSSIBLE)
            return psamp_fail(err, "toy world %s: position %d: token %s is impossible in state %s",
                              wname, i, psamp_escape(qt, sizeof qt, w->tokens[t]),
                              psamp_escape(qs, sizeof qs, w->state_names[s]));
        sum += w->logp[cell];
        s = w->next[cell];
    }
    *logp = sum;
    *end_state = s;
    return 0;
}

char *toy_world_text(const toy_world *w, const int32_t *tokens, int32_t n, char *buf, size_t cap) {
    size_t at = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    for (int32_t i = 0; i < n; i++) {
        const char *s = (tokens[i] >= 0 && tokens[i] < w->n_tokens) ? w->tokens[tokens[i]] : "?";
        size_t len = strlen(s);
        if (at + len + 1 > cap) {
            /* Mark the cut so a truncated text is never mistaken for a whole one. */
            if (cap >= 4) memcpy(buf + (at + 4 <= cap ? at : cap - 4), "...", 4);
            return buf;
        }
        memcpy(buf + at, s, len + 1);
        at += len;
    }
    return buf;
}

int toy_world_is_correct(const toy_world *w, const int32_t *tokens, int32_t n) {
    for (int32_t c = 0; c < w->n_correct; c++) {
        int32_t from = w->correct_offset[c], len = w->correct_offset[c + 1] - from;
        if (len == n && memcmp(w->correct_tokens + from, tokens, (size_t)n * sizeof *tokens) == 0) return 1;
    }
    return 0;
}
