/* psamp: the command-line front door. Dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine_cpu.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand SUBCOMMANDS[] = {
    {"bench", cli_cmd_bench, "throughput per chain against chain count (tokens/s, proposals/s, host time)"},
    {"exact", cli_cmd_exact, "exact answers of a toy world: p^alpha beside temperature 1/alpha"},
    {"generate", cli_cmd_generate, "sample with greedy | temp | power | maxswap | bestofn over many chains"},
    {"h1", cli_cmd_h1, "H1: sequence log p gaps under power vs temperature, fitted per T"},
    {"h2", cli_cmd_h2, "H2: where MH resamples and accepts, log p over steps (trace or run)"},
    {"h3", cli_cmd_h3, "greedy vs power and others at equal length: log p and repetition"},
    {"passk", cli_cmd_passk, "pass@k curves of several methods over toy worlds or a task file"},
    {"score", cli_cmd_score, "per-token log p of a text or token sequence"},
    {"sweep", cli_cmd_sweep, "run a grid of settings into a folder: resumable, shardable (--shard I/N, --merge)"},
    {"toyexp", cli_cmd_toyexp, "toy-world experiments: TV/KL vs MH steps, success vs alpha and budget"},
    {NULL, NULL, NULL},
};

static void print_usage(FILE *f) {
    fprintf(f,
            "psamp - power sampling (Metropolis-Hastings from p(x)^alpha) for OPT models\n\n"
            "usage: psamp COMMAND [options]    (psamp COMMAND --help for its options)\n\n"
            "commands:\n");
    for (const subcommand *s = SUBCOMMANDS; s->name; s++) fprintf(f, "  %-10s %s\n", s->name, s->summary);
}

int main(int argc, char **argv) {
    /* Before anything is printed: on a CPU that OpenBLAS misdetects, run again with the
     * kernels that suit it (a user's own OPENBLAS_CORETYPE is kept). */
    psamp_err reexec_err = {{0}};
    if (psamp_blas_coretype_reexec(argv, &reexec_err) != 0)
        fprintf(stderr, "psamp: note: %s\n", reexec_err.msg);
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("psamp 0.1.0\n");
        return 0;
    }
    for (const subcommand *s = SUBCOMMANDS; s->name; s++)
        if (strcmp(argv[1], s->name) == 0) return s->run(argc - 1, argv + 1);
    fprintf(stderr, "psamp: unknown command '%s' (see psamp --help)\n", argv[1]);
    return 2;
}
