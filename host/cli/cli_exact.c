/* psamp exact: the exact answers of a toy world, p^alpha beside temperature 1/alpha, by
 * dynamic programming (toy_exact.h). What the chains of `psamp generate` on that world
 * should reproduce. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "toy_exact.h"

typedef struct {
    const char *model;
    double alpha;
    int max_new_tokens;
    int top;
    int json;
} exact_args;

/* The text of a sequence, allocated to fit. */
static char *sequence_text(const toy_world *w, const toy_ranked *r) {
    size_t cap = 1;
    for (int32_t i = 0; i < r->n; i++) cap += strlen(w->tokens[r->tokens[i]]);
    char *buf = malloc(cap);
    return buf ? toy_world_text(w, r->tokens, r->n, buf, cap) : NULL;
}

static void print_top(const toy_world *w, const toy_exact_summary *s, const char *under) {
    printf("\nthe %d most likely sequences under %s:\n", s->n_top, under);
    for (int32_t i = 0; i < s->n_top; i++) {
        char *text = sequence_text(w, &s->top[i]);
        printf("  %2d  %.6g  %s\n", i + 1, s->top[i].prob, text ? text : "(out of memory)");
        free(text);
    }
}

static void print_mass(const char *label, double power, double temperature) {
    if (isnan(power))
        printf("%-22s %-18s %s\n", label, "(no correct set)", "(no correct set)");
    else
        printf("%-22s %-18.6g %.6g\n", label, power, temperature);
}

static void print_text(const exact_args *a, const toy_world *w, double count, const toy_exact_summary *p,
                       const toy_exact_summary *q) {
    printf("toy world %s (%s): %d tokens, %d states, length %d\n", w->name, a->model, w->n_tokens, w->n_states,
           w->length);
    printf("max new tokens %d, alpha %g (temperature %g), %.17g complete sequences\n\n", a->max_new_tokens, a->alpha,
           1.0 / a->alpha, count);
    printf("%-22s %-18s %s\n", "", "power p^alpha", "temperature 1/alpha");
    print_mass("correct-set mass", p->correct_mass, q->correct_mass);
    printf("%-22s %-18.6g %.6g\n", "entropy (nats)", p->entropy, q->entropy);
    printf("%-22s %-18.9g %s\n", "log Z_alpha", p->log_z, "0 (normalised per token)");
    print_top(w, p, "p^alpha");
    print_top(w, q, "temperature 1/alpha");
}

/* Adds a number, or null when it is NaN (no correct set). */
static int add_number(cJSON *obj, const char *key, double v) {
    return (isnan(v) ? cJSON_AddNullToObject(obj, key) : cJSON_AddNumberToObject(obj, key, v)) != NULL;
}

static int add_top(cJSON *obj, const char *key, const toy_world *w, const toy_exact_summary *s) {
    cJSON *list = cJSON_AddArrayToObject(obj, key);
    if (!list) return 0;
    for (int32_t i = 0; i < s->n_top; i++) {
        cJSON *item = cJSON_CreateObject();
        char *text = sequence_text(w, &s->top[i]);
        int ok = item && text && cJSON_AddItemToArray(list, item);
        if (!ok) cJSON_Delete(item);
        ok = ok && cJSON_AddStringToObject(item, "text", text) && cJSON_AddNumberToObject(item, "prob", s->top[i].prob);
        free(text);
        if (!ok) return 0;
    }
    return 1;
}

static int print_json(const exact_args *a, const toy_world *w, double count, const toy_exact_summary *p,
                      const toy_exact_summary *q) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "model", a->model) && cJSON_AddStringToObject(o, "name", w->name) &&
             cJSON_AddNumberToObject(o, "alpha", a->alpha) &&
             cJSON_AddNumberToObject(o, "temperature", 1.0 / a->alpha) &&
             cJSON_AddNumberToObject(o, "max_new_tokens", a->max_new_tokens) &&
             cJSON_AddNumberToObject(o, "n_sequences", count) && add_number(o, "power_correct_mass", p->correct_mass) &&
             add_number(o, "power_entropy", p->entropy) && cJSON_AddNumberToObject(o, "log_z", p->log_z) &&
             add_top(o, "top", w, p) && add_number(o, "temperature_correct_mass", q->correct_mass) &&
             add_number(o, "temperature_entropy", q->entropy) && add_top(o, "temperature_top", w, q);
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text) {
        fprintf(stderr, "psamp exact: out of memory writing JSON\n");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

static int run_exact(exact_args *a, int max_tokens_given) {
    toy_world *w = NULL;
    toy_exact_summary p = {0}, q = {0};
    psamp_err err = {{0}};
    double count, tokens;
    int rc = 1;
    if (toy_world_load(a->model, &w, &err) != 0) goto fail;
    if (!max_tokens_given) a->max_new_tokens = w->length;
    if (toy_exact_count(w, a->max_new_tokens, &count, &tokens, &err) != 0 ||
        toy_exact_power(w, a->max_new_tokens, a->alpha, a->top, &p, &err) != 0 ||
        toy_exact_temperature(w, a->max_new_tokens, 1.0 / a->alpha, a->top, &q, &err) != 0)
        goto fail;
    if (a->json) {
        rc = print_json(a, w, count, &p, &q);
    } else {
        print_text(a, w, count, &p, &q);
        rc = 0;
    }
    toy_exact_summary_free(&p);
    toy_exact_summary_free(&q);
    toy_world_free(w);
    return rc;
fail:
    fprintf(stderr, "psamp exact: %s\n", err.msg);
    toy_exact_summary_free(&p);
    toy_exact_summary_free(&q);
    toy_world_free(w);
    return 1;
}

int cli_cmd_exact(int argc, char **argv) {
    exact_args a = {NULL, 0.0, 0, 10, 0};
    cli_option options[] = {
        {"model", CLI_STRING, &a.model, "SPEC.json", "the toy world (docs/formats.md)", 0},
        {"alpha", CLI_DOUBLE, &a.alpha, "A", "power alpha > 0; the temperature baseline is 1/alpha", 0},
        {"max-new-tokens", CLI_INT, &a.max_new_tokens, "T", "complete sequences have at most T tokens "
                                                            "(default: the world's length)", 0},
        {"top", CLI_INT, &a.top, "N", "how many most likely sequences to list (default 10)", 0},
        {"json", CLI_FLAG, &a.json, NULL, "print one JSON object instead of the table", 0},
    };
    cli_command cmd = {"exact", "exact answers of a toy world: p^alpha beside temperature 1/alpha",
                       "--model SPEC.json --alpha A [--max-new-tokens T] [--json]",
                       "Computed by dynamic programming over (position, state), not by sampling.", options,
                       (int)(sizeof options / sizeof options[0])};
    psamp_err err = {{0}};
    int parsed = cli_parse(&cmd, argc, argv, &err);
    if (parsed == 1) return 0;
    if (parsed != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    if (!cli_given(&cmd, "model")) {
        fprintf(stderr, "psamp exact: --model is required (see psamp exact --help)\n");
        return 1;
    }
    if (!cli_given(&cmd, "alpha")) {
        fprintf(stderr, "psamp exact: --alpha is required (see psamp exact --help)\n");
        return 1;
    }
    if (!(a.alpha > 0.0)) {
        fprintf(stderr, "psamp exact: --alpha: %g is not > 0\n", a.alpha);
        return 1;
    }
    if (a.top < 0) {
        fprintf(stderr, "psamp exact: --top: %d is negative\n", a.top);
        return 1;
    }
    return run_exact(&a, cli_given(&cmd, "max-new-tokens"));
}
