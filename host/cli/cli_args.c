#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_int(const char *s, const char *what, int *out, psamp_err *err) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    /* strtol skips leading spaces and takes a '+': an argument is the digits alone. */
    int digits = isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]));
    if (!digits || *end != '\0' || errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
        return psamp_fail(err, "%s: expected an integer, got '%s'", what, s);
    *out = (int)v;
    return 0;
}

int cli_parse_u64(const char *s, const char *what, uint64_t *out, psamp_err *err) {
    char *end;
    unsigned long long v;
    errno = 0;
    /* strtoull skips leading spaces and wraps " -1" around to 2^64 - 1: digits only. */
    if (!isdigit((unsigned char)*s))
        return psamp_fail(err, "%s: expected a non-negative integer, got '%s'", what, s);
    v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return psamp_fail(err, "%s: expected a non-negative integer, got '%s'", what, s);
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *s, const char *what, double *out, psamp_err *err) {
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return psamp_fail(err, "%s: expected a number, got '%s'", what, s);
    *out = v;
    return 0;
}

static cli_option *find_option(cli_command *cmd, const char *name, size_t len) {
    for (int i = 0; i < cmd->n_options; i++)
        if (strlen(cmd->options[i].name) == len && strncmp(cmd->options[i].name, name, len) == 0)
            return &cmd->options[i];
    return NULL;
}

static int store_value(cli_option *o, const char *value, psamp_err *err) {
    char what[96];
    snprintf(what, sizeof what, "--%s", o->name);
    switch (o->kind) {
    case CLI_STRING: *(const char **)o->dest = value; return 0;
    case CLI_INT: return cli_parse_int(value, what, (int *)o->dest, err);
    case CLI_U64: return cli_parse_u64(value, what, (uint64_t *)o->dest, err);
    case CLI_DOUBLE: return cli_parse_double(value, what, (double *)o->dest, err);
    case CLI_FLAG: return psamp_fail(err, "%s takes no value", what);
    }
    return psamp_fail(err, "%s: unknown option kind", what);
}

int cli_parse(cli_command *cmd, int argc, char **argv, psamp_err *err) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(stdout, cmd);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0)
            return psamp_fail(err, "psamp %s: unexpected argument '%s' (see psamp %s --help)",
                              cmd->name, arg, cmd->name);
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_option *o = find_option(cmd, name, len);
        if (!o)
            return psamp_fail(err, "psamp %s: unknown option '%.*s' (see psamp %s --help)",
                              cmd->name, (int)len + 2, arg, cmd->name);
        if (o->seen)
            return psamp_fail(err, "psamp %s: --%s given twice", cmd->name, o->name);
        o->seen = 1;
        if (o->kind == CLI_FLAG) {
            if (eq) return psamp_fail(err, "psamp %s: --%s takes no value", cmd->name, o->name);
            *(int *)o->dest = 1;
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return psamp_fail(err, "psamp %s: --%s needs a value", cmd->name, o->name);
            value = argv[++i];
        }
        if (store_value(o, value, err) != 0) return psamp_fail_context(err, "psamp %s", cmd->name);
    }
    return 0;
}

int cli_given(const cli_command *cmd, const char *name) {
    for (int i = 0; i < cmd->n_options; i++)
        if (strcmp(cmd->options[i].name, name) == 0) return cmd->options[i].seen;
    return 0;
}

void cli_print_option(FILE *f, const cli_option *o) {
    char left[64];
    if (o->kind == CLI_FLAG)
        snprintf(left, sizeof left, "--%s", o->name);
    else
        snprintf(left, sizeof left, "--%s %s", o->name, o->metavar ? o->metavar : "X");
    fprintf(f, "  %-26s %s\n", left, o->help);
}

void cli_print_help(FILE *f, const cli_command *cmd) {
    fprintf(f, "psamp %s - %s\n\nusage: psamp %s %s\n\noptions:\n", cmd->name, cmd->summary,
            cmd->name, cmd->usage);
    for (int i = 0; i < cmd->n_options; i++) cli_print_option(f, &cmd->options[i]);
    fprintf(f, "  %-26s %s\n", "--help", "show this help");
    if (cmd->details) fprintf(f, "\n%s\n", cmd->details);
}
