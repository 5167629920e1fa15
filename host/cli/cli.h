/* The psamp command line: one table-driven option parser shared by every subcommand,
 * and the subcommands' entry points (each in its own cli_<name>.c). */
#ifndef PSAMP_CLI_H
#define PSAMP_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

typedef enum {
    CLI_STRING, /* const char ** */
    CLI_INT,    /* int * (32-bit range) */
    CLI_U64,    /* uint64_t * */
    CLI_DOUBLE, /* double * (finite) */
    CLI_FLAG    /* int *, set to 1, takes no value */
} cli_kind;

typedef struct {
    const char *name;    /* without the leading "--" */
    cli_kind kind;
    void *dest;
    const char *metavar; /* shown in --help, e.g. "N" */
    const char *help;
    int seen;            /* set by cli_parse */
} cli_option;

typedef struct {
    const char *name;    /* "generate" */
    const char *summary; /* one line */
    const char *usage;   /* e.g. "--model DIR --prompt TEXT [options]" */
    const char *details; /* optional paragraph after the options */
    cli_option *options;
    int n_options;
} cli_command;

/* Parses argv[1..argc) ("--name value" or "--name=value"). Returns 0 when parsed, 1 when
 * --help was asked for (help already printed to stdout), -1 on a bad command line (err
 * names the argument). */
int cli_parse(cli_command *cmd, int argc, char **argv, psamp_err *err);
void cli_print_help(FILE *f, const cli_command *cmd);
/* One option's help line ("  --name METAVAR   help"). */
void cli_print_option(FILE *f, const cli_option *o);
/* The option named `name` was given on the command line. */
int cli_given(const cli_command *cmd, const char *name);

/* Strict number parsing for option values and list items; err names `what`. */
int cli_parse_int(const char *s, const char *what, int *out, psamp_err *err);
int cli_parse_u64(const char *s, const char *what, uint64_t *out, psamp_err *err);
int cli_parse_double(const char *s, const char *what, double *out, psamp_err *err);

/* Subcommands: each returns the process exit code (0 ok, 1 failure, 2 usage error). */
int cli_cmd_generate(int argc, char **argv);
int cli_cmd_score(int argc, char **argv);
int cli_cmd_exact(int argc, char **argv);
int cli_cmd_h1(int argc, char **argv);
int cli_cmd_h2(int argc, char **argv);
int cli_cmd_toyexp(int argc, char **argv);
int cli_cmd_sweep(int argc, char **argv);
int cli_cmd_passk(int argc, char **argv);
int cli_cmd_h3(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);

#endif
