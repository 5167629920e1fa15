/* psamp toyexp: the toy-world experiments of toyexp.h from a JSON config. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_stop.h"
#include "cli_progress.h"
#include "exp_config.h"
#include "json_write.h"
#include "toyexp.h"

static const char TOYEXP_DETAILS[] =
    "The config (JSON; every key optional but worlds, paths relative to the config's folder):\n"
    "  worlds            toy-world specs                        chains (4000)  seed (0)\n"
    "  enumerate_limit   refuse worlds with more complete sequences (1000000)\n"
    "  convergence       {alpha 4, block_sizes [1,2,4], mcmc_steps [0,1,2,4,8,16,32]}\n"
    "  alpha_sweep       {alphas [1,2,4,8,16], block_size 2, mcmc_steps 32}\n"
    "  budget            {alpha 4, block_size 2, mcmc_steps [0,1,2,4,8,16,32], best_of [1,2,4,8,16,32]}\n"
    "  diversity         {alpha 4, block_size 2, mcmc_steps 32, k [1,2,4,8,16,32]}\n"
    "Plot: \"$(scripts/pyenv.sh plot)/bin/python\" experiments/toyexp/plot_toyexp.py RESULTS.json OUTDIR";

static const char *const TOP_KEYS[] = {"worlds", "chains", "seed", "enumerate_limit", "convergence",
                                       "alpha_sweep", "budget", "diversity", NULL};
static const char *const CONV_KEYS[] = {"alpha", "block_sizes", "mcmc_steps", NULL};
static const char *const SWEEP_KEYS[] = {"alphas", "block_size", "mcmc_steps", NULL};
static const char *const BUDGET_KEYS[] = {"alpha", "block_size", "mcmc_steps", "best_of", NULL};
static const char *const DIV_KEYS[] = {"alpha", "block_size", "mcmc_steps", "k", NULL};

#define MAX_STEPS 100000
#define MAX_ALPHA 1000.0
/* chains * best_of engine slots at most: keeps a typo from asking for gigabytes. */
#define MAX_SLOTS (1 << 24)

typedef struct {
    toyexp_config cfg;
    char **paths;
    int32_t n_worlds;
    toy_world **worlds;
} toyexp_setup;

static void free_setup(toyexp_setup *s) {
    toyexp_config *c = &s->cfg;
    free(c->conv_blocks);
    free(c->conv_steps);
    free(c->alphas);
    free(c->budget_steps);
    free(c->best_of);
    free(c->ks);
    for (int32_t i = 0; i < s->n_worlds; i++) {
        if (s->paths) free(s->paths[i]);
        if (s->worlds) toy_world_free(s->worlds[i]);
    }
    free(s->paths);
    free(s->worlds);
}

static int copy_ints(int32_t **out, int32_t *n, const int32_t *v, int32_t count, psamp_err *err) {
    if (*out) return 0;
    *out = malloc((size_t)count * sizeof **out);
    if (!*out) return psamp_fail(err, "out of memory");
    memcpy(*out, v, (size_t)count * sizeof **out);
    *n = count;
    return 0;
}

static int read_sections(const exp_config *x, toyexp_config *c, psamp_err *err) {
    const cJSON *conv, *sweep, *budget, *div;
    static const int32_t steps[] = {0, 1, 2, 4, 8, 16, 32}, blocks[] = {1, 2, 4}, powers2[] = {1, 2, 4, 8, 16, 32};
    static const double alphas[] = {1, 2, 4, 8, 16};
    const cJSON *r = x->root;
    c->conv_alpha = c->budget_alpha = c->div_alpha = 4.0;
    c->sweep_block = c->budget_block = c->div_block = 2;
    c->sweep_steps = c->div_steps = 32;
    if (exp_config_section(x, r, "", "convergence", &conv, err) || exp_config_section(x, r, "", "alpha_sweep", &sweep, err) ||
        exp_config_section(x, r, "", "budget", &budget, err) || exp_config_section(x, r, "", "diversity", &div, err))
        return -1;
    if (conv && (exp_config_check_keys(x, conv, "convergence", CONV_KEYS, err) ||
                 exp_config_double(x, conv, "convergence", "alpha", 0, 0, 1, MAX_ALPHA, &c->conv_alpha, err) ||
                 exp_config_int_list(x, conv, "convergence", "block_sizes", 0, 1, 1 << 20, &c->conv_blocks,
                                     &c->n_conv_blocks, err) ||
                 exp_config_int_list(x, conv, "convergence", "mcmc_steps", 0, 0, MAX_STEPS, &c->conv_steps,
                                     &c->n_conv_steps, err)))
        return -1;
    if (sweep && (exp_config_check_keys(x, sweep, "alpha_sweep", SWEEP_KEYS, err) ||
                  exp_config_double_list(x, sweep, "alpha_sweep", "alphas", 0, 0, 1, MAX_ALPHA, &c->alphas,
                                         &c->n_alphas, err) ||
                  exp_config_int(x, sweep, "alpha_sweep", "block_size", 0, 1, 1 << 20, &c->sweep_block, err) ||
                  exp_config_int(x, sweep, "alpha_sweep", "mcmc_steps", 0, 0, MAX_STEPS, &c->sweep_steps, err)))
        return -1;
    if (budget && (exp_config_check_keys(x, budget, "budget", BUDGET_KEYS, err) ||
                   exp_config_double(x, budget, "budget", "alpha", 0, 0, 1, MAX_ALPHA, &c->budget_alpha, err) ||
                   exp_config_int(x, budget, "budget", "block_size", 0, 1, 1 << 20, &c->budget_block, err) ||
                   exp_config_int_list(x, budget, "budget", "mcmc_steps", 0, 0, MAX_STEPS, &c->budget_steps,
                                       &c->n_budget_steps, err) ||
                   exp_config_int_list(x, budget, "budget", "best_of", 0, 1, 1 << 16, &c->best_of, &c->n_best_of, err)))
        return -1;
    if (div && (exp_config_check_keys(x, div, "diversity", DIV_KEYS, err) ||
                exp_config_double(x, div, "diversity", "alpha", 0, 0, 1, MAX_ALPHA, &c->div_alpha, err) ||
                exp_config_int(x, div, "diversity", "block_size", 0, 1, 1 << 20, &c->div_block, err) ||
                exp_config_int(x, div, "diversity", "mcmc_steps", 0, 0, MAX_STEPS, &c->div_steps, err) ||
                exp_config_int_list(x, div, "diversity", "k", 0, 1, 1 << 24, &c->ks, &c->n_k, err)))
        return -1;
    if (!c->alphas) {
        c->alphas = malloc(sizeof alphas);
        if (!c->alphas) return psamp_fail(err, "out of memory");
        memcpy(c->alphas, alphas, sizeof alphas);
        c->n_alphas = 5;
    }
    return copy_ints(&c->conv_blocks, &c->n_conv_blocks, blocks, 3, err) ||
                   copy_ints(&c->conv_steps, &c->n_conv_steps, steps, 7, err) ||
                   copy_ints(&c->budget_steps, &c->n_budget_steps, steps, 7, err) ||
                   copy_ints(&c->best_of, &c->n_best_of, powers2, 6, err) ||
                   copy_ints(&c->ks, &c->n_k, powers2, 6, err)
               ? -1
               : 0;
}

/* Ranges that depend on the worlds and the chain count, checked before any run. */
static int check_against_worlds(const exp_config *x, toyexp_setup *s, psamp_err *err) {
    const toyexp_config *c = &s->cfg;
    for (int32_t i = 0; i < c->n_k; i++)
        if (c->ks[i] > c->chains)
            return psamp_fail(err, "%s: diversity.k[%d]: %d exceeds chains %d", x->path, i, c->ks[i], c->chains);
    for (int32_t i = 0; i < c->n_best_of; i++)
        if ((int64_t)c->chains * c->best_of[i] > MAX_SLOTS)
            return psamp_fail(err, "%s: budget.best_of[%d]: chains x %d is above %d sequences", x->path, i,
                              c->best_of[i], MAX_SLOTS);
    for (int32_t w = 0; w < s->n_worlds; w++) {
        const toy_world *tw = s->worlds[w];
        double count, tokens;
        int32_t longest = c->sweep_block > c->budget_block ? c->sweep_block : c->budget_block;
        if (c->div_block > longest) longest = c->div_block;
        for (int32_t i = 0; i < c->n_conv_blocks; i++)
            if (c->conv_blocks[i] > tw->length)
                return psamp_fail(err, "%s: convergence.block_sizes[%d]: %d exceeds the length %d of %s", x->path, i,
                                  c->conv_blocks[i], tw->length, s->paths[w]);
        if (longest > tw->length)
            return psamp_fail(err, "%s: a block_size of %d exceeds the length %d of %s", x->path, longest,
                              tw->length, s->paths[w]);
        if (toy_exact_count(tw, tw->length, &count, &tokens, err) != 0) return -1;
        if (count > (double)c->enumerate_limit)
            return psamp_fail(err, "%s: %s has %.0f complete sequences, above enumerate_limit %lld", x->path,
                              s->paths[w], count, (long long)c->enumerate_limit);
    }
    return 0;
}

static int read_config(const exp_config *x, toyexp_setup *s, psamp_err *err) {
    int32_t limit = 1000000;
    toyexp_config *c = &s->cfg;
    memset(s, 0, sizeof *s);
    c->chains = 4000;
    if (exp_config_check_keys(x, x->root, "", TOP_KEYS, err) != 0 ||
        exp_config_path_list(x, x->root, "", "worlds", 1, &s->paths, &s->n_worlds, err) != 0)
        return -1;
    s->worlds = calloc((size_t)s->n_worlds, sizeof *s->worlds);
    if (!s->worlds) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < s->n_worlds; i++)
        if (toy_world_load(s->paths[i], &s->worlds[i], err) != 0)
            return psamp_fail_context(err, "%s: worlds[%d]", x->path, i);
    if (exp_config_int(x, x->root, "", "chains", 0, 1, 1 << 22, &c->chains, err) != 0 ||
        exp_config_u64(x, x->root, "", "seed", &c->seed, err) != 0 ||
        exp_config_int(x, x->root, "", "enumerate_limit", 0, 1, 100000000, &limit, err) != 0 ||
        read_sections(x, c, err) != 0)
        return -1;
    c->enumerate_limit = limit;
    return check_against_worlds(x, s, err);
}

typedef struct {
    cli_progress bar;
    int32_t world, n_worlds;
} progress_ctx;

static void on_progress(void *ctx, double fraction) {
    progress_ctx *p = ctx;
    cli_progress_update(&p->bar, (p->world + fraction) / p->n_worlds);
}

static int write_all(const char *config_path, toyexp_setup *s, FILE *f, psamp_err *err) {
    progress_ctx p = {{0}, 0, s->n_worlds};
    cli_progress_init(&p.bar, "psamp toyexp");
    fputs("{\"experiment\":\"toyexp\",\"config\":", f);
    psamp_json_string(f, config_path, strlen(config_path));
    fprintf(f, ",\"chains\":%d,\"seed\":%llu,\"worlds\":[", s->cfg.chains, (unsigned long long)s->cfg.seed);
    int rc = 0;
    for (; rc == 0 && p.world < s->n_worlds; p.world++) {
        if (p.world) fputc(',', f);
        rc = toyexp_world(s->worlds[p.world], s->paths[p.world], &s->cfg, f, on_progress, &p, err);
    }
    fputs("]}\n", f);
    cli_progress_finish(&p.bar);
    return rc;
}

static int run_toyexp(const char *config_path, const char *out_path) {
    exp_config x;
    toyexp_setup s;
    psamp_atomic_file out = {0};
    psamp_err err = {{0}};
    int status = 1, have_config = 0;
    memset(&s, 0, sizeof s);
    if (exp_config_load(&x, config_path, &err) != 0) {
        psamp_fail_context(&err, "--config");
        goto done;
    }
    have_config = 1;
    if (read_config(&x, &s, &err) != 0) goto done;
    s.cfg.stop = cli_stop_flag();
    if (out_path && psamp_atomic_open(&out, out_path, "--out", &err) != 0) goto done;
    if (write_all(config_path, &s, out.f ? out.f : stdout, &err) != 0) goto done;
    if (out.f && psamp_atomic_commit(&out, &err) != 0) goto done;
    if (out_path) printf("psamp toyexp: %d world(s), %d chains per run -> %s\n", s.n_worlds, s.cfg.chains, out_path);
    status = 0;
done:
    if (status != 0 && cli_stop_signal()) {
        fprintf(stderr, "psamp toyexp: interrupted by %s: nothing written (the measures need every run)\n",
                cli_stop_name());
        status = cli_stop_status();
    } else if (status != 0) {
        fprintf(stderr, "psamp toyexp: %s\n", err.msg);
    }
    psamp_atomic_abort(&out);
    free_setup(&s);
    if (have_config) exp_config_free(&x);
    return status;
}

int cli_cmd_toyexp(int argc, char **argv) {
    const char *config = NULL, *out = NULL;
    cli_option opts[] = {
        {"config", CLI_STRING, &config, "FILE.json", "the experiment (required; keys below)", 0},
        {"out", CLI_STRING, &out, "FILE.json", "write the results there (default: stdout)", 0},
    };
    cli_command cmd = {"toyexp", "toy-world experiments against exact p^alpha: convergence, alpha, budget, diversity",
                       "--config FILE.json [--out FILE.json]", TOYEXP_DETAILS, opts,
                       (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc > 0) return 0;
    if (rc == 0 && !config) rc = psamp_fail(&err, "psamp toyexp: --config is required");
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    cli_stop_install();
    return run_toyexp(config, out);
}
