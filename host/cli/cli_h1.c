/* psamp h1: power vs temperature on sampled sequences (h1.h), from a JSON config. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "cli_stop.h"
#include "exp_config.h"
#include "h1.h"
#include "model.h"

static const char H1_DETAILS[] =
    "The config (JSON) has: model (path, relative to the config's folder), prompts (list of\n"
    "texts; \"\" for a toy world), samples (per prompt, default 32), pairs (per prompt, default\n"
    "496), temperatures (list, default [0.25, 0.5, 0.75, 1.5]), max_new_tokens (default: a toy\n"
    "world's length; OPT 32: pairs long enough to differ), seed (default 0), backend, dtype,\n"
    "threads. Every sample is scored\n"
    "at temperature 1 and each T; for pairs of one prompt, gap_T = score_T(x) - score_T(y) is\n"
    "fitted on D = score_1(x) - score_1(y) and compared with power's alpha * D, alpha = 1/T.\n"
    "Plot: \"$(scripts/pyenv.sh plot)/bin/python\" experiments/h1/plot_h1.py RESULTS.json OUTDIR";

static const char *const H1_KEYS[] = {"model", "prompts", "samples", "pairs", "temperatures",
                                      "max_new_tokens", "seed", "backend", "dtype", "threads", NULL};

typedef struct {
    char *model;
    const char **prompts;
    int32_t n_prompts;
    int32_t samples, pairs, max_new_tokens, threads;
    double *temps;
    int32_t n_temps;
    uint64_t seed;
    const char *backend, *dtype;
} h1_settings;

static void free_settings(h1_settings *s) {
    free(s->model);
    free((void *)s->prompts);
    free(s->temps);
}

static int read_config(const exp_config *c, const char *model_override, h1_settings *s, psamp_err *err) {
    const cJSON *r = c->root;
    memset(s, 0, sizeof *s);
    s->samples = 32;
    s->pairs = 496; /* every pair of 32 samples */
    s->backend = "cpu";
    s->dtype = "fp16";
    if (exp_config_check_keys(c, r, "", H1_KEYS, err) != 0) return -1;
    if (model_override) {
        s->model = strdup(model_override);
        if (!s->model) return psamp_fail(err, "out of memory");
    } else if (exp_config_path(c, r, "", "model", 1, &s->model, err) != 0) {
        return psamp_fail_context(err, "(or --model)");
    }
    if (exp_config_string_list(c, r, "", "prompts", 1, &s->prompts, &s->n_prompts, err) != 0 ||
        exp_config_int(c, r, "", "samples", 0, 2, 2048, &s->samples, err) != 0 ||
        exp_config_int(c, r, "", "pairs", 0, 1, 1 << 30, &s->pairs, err) != 0 ||
        exp_config_double_list(c, r, "", "temperatures", 0, 0.0, 1, 1e6, &s->temps, &s->n_temps, err) != 0 ||
        exp_config_int(c, r, "", "max_new_tokens", 0, 1, 1 << 20, &s->max_new_tokens, err) != 0 ||
        exp_config_u64(c, r, "", "seed", &s->seed, err) != 0 ||
        exp_config_string(c, r, "", "backend", 0, &s->backend, err) != 0 ||
        exp_config_string(c, r, "", "dtype", 0, &s->dtype, err) != 0 ||
        exp_config_int(c, r, "", "threads", 0, 0, 1024, &s->threads, err) != 0)
        return -1;
    if (!s->temps) {
        static const double defaults[] = {0.25, 0.5, 0.75, 1.5};
        s->temps = malloc(sizeof defaults);
        if (!s->temps) return psamp_fail(err, "out of memory");
        memcpy(s->temps, defaults, sizeof defaults);
        s->n_temps = 4;
    }
    psamp_backend_options bo;
    return cli_backend_options(s->backend, s->dtype, s->threads, &bo, err);
}

static void on_progress(void *ctx, double fraction) { cli_progress_update(ctx, fraction); }

static void print_table(const h1_result *r) {
    printf("H1: %lld pairs over %d prompts; |D| mean %.4f, D std %.4f; rescore max |diff| %.2g\n",
           (long long)r->n_pairs, r->n_prompts, r->d_mean_abs, r->d_std, r->rescore_max_abs);
    printf("%8s %8s %10s %12s %8s %12s %12s\n", "T", "alpha", "slope", "slope*T", "R^2", "resid std",
           "rms(gap-aD)");
    for (int32_t t = 0; t < r->n_temps; t++)
        printf("%8.4g %8.4g %10.4f %12.4f %8.4f %12.4f %12.4f\n", r->temps[t], 1.0 / r->temps[t],
               r->fit[t].slope, r->fit[t].slope * r->temps[t], r->fit[t].r2, r->fit[t].residual_std,
               r->dev_rms[t]);
}

/* Opens the model, encodes the prompts and fills the default max_new_tokens. */
static int open_model(h1_settings *s, psamp_model **m, int32_t ***ids, int32_t **lens,
                      int32_t *longest, psamp_err *err) {
    if (psamp_model_open(m, s->model, err) != 0) return -1;
    *ids = calloc((size_t)s->n_prompts, sizeof **ids);
    *lens = calloc((size_t)s->n_prompts, sizeof **lens);
    if (!*ids || !*lens) return psamp_fail(err, "out of memory");
    *longest = 0;
    for (int32_t p = 0; p < s->n_prompts; p++) {
        if (psamp_model_encode(*m, s->prompts[p], &(*ids)[p], &(*lens)[p], err) != 0)
            return psamp_fail_context(err, "prompts[%d]", p);
        if ((*lens)[p] > *longest) *longest = (*lens)[p];
    }
    int32_t room = psamp_model_max_len(*m) - *longest;
    if (s->max_new_tokens == 0) s->max_new_tokens = psamp_model_toy(*m) ? room : (room < 32 ? room : 32);
    if (s->max_new_tokens < 1 || s->max_new_tokens > room)
        return psamp_fail(err, "max_new_tokens: %d does not fit the model's %d positions after a %d-token prompt",
                          s->max_new_tokens, psamp_model_max_len(*m), *longest);
    return 0;
}

static int run_h1(const char *config_path, const char *model_override, const char *out_path) {
    exp_config c;
    h1_settings s;
    psamp_err err = {{0}};
    psamp_model *m = NULL;
    psamp_engine *e = NULL;
    psamp_atomic_file out = {0};
    int32_t **ids = NULL, *lens = NULL, longest = 0;
    h1_result res;
    int status = 1, have_config = 0, have_result = 0;
    memset(&s, 0, sizeof s);
    memset(&res, 0, sizeof res);
    if (exp_config_load(&c, config_path, &err) != 0) {
        psamp_fail_context(&err, "--config");
        goto done;
    }
    have_config = 1;
    if (read_config(&c, model_override, &s, &err) != 0) goto done;
    if (open_model(&s, &m, &ids, &lens, &longest, &err) != 0) goto done;
    if (out_path && psamp_atomic_open(&out, out_path, "--out", &err) != 0) goto done;
    psamp_backend_options bo;
    if (cli_backend_options(s.backend, s.dtype, s.threads, &bo, &err) != 0 ||
        psamp_model_engine(m, &bo, s.samples + 1, longest + s.max_new_tokens, &e, &err) != 0)
        goto done;
    h1_config hc = {s.n_prompts, (const int32_t *const *)ids, lens, s.samples, s.pairs, s.max_new_tokens,
                    s.n_temps, s.temps, s.seed, cli_stop_flag()};
    cli_progress progress;
    cli_progress_init(&progress, "psamp h1");
    int rc = h1_run(e, &hc, on_progress, &progress, &res, &err);
    cli_progress_finish(&progress);
    if (rc != 0) goto done;
    have_result = 1;
    if (out.f && (h1_write_json(out.f, &res, s.model, e->info.backend, s.prompts, s.max_new_tokens, s.pairs,
                                s.seed, &err) != 0 ||
                  psamp_atomic_commit(&out, &err) != 0))
        goto done;
    print_table(&res);
    status = 0;
done:
    if (status != 0 && cli_stop_signal()) {
        fprintf(stderr, "psamp h1: interrupted by %s: nothing written (the fits need every sample)\n", cli_stop_name());
        status = cli_stop_status();
    } else if (status != 0) {
        fprintf(stderr, "psamp h1: %s\n", err.msg);
    }
    psamp_atomic_abort(&out);
    if (have_result) h1_result_free(&res);
    psamp_engine_destroy(e);
    for (int32_t p = 0; ids && p < s.n_prompts; p++) free(ids[p]);
    free(ids);
    free(lens);
    psamp_model_close(m);
    free_settings(&s);
    if (have_config) exp_config_free(&c);
    return status;
}

int cli_cmd_h1(int argc, char **argv) {
    const char *config = NULL, *model = NULL, *out = NULL;
    cli_option opts[] = {
        {"config", CLI_STRING, &config, "FILE.json", "the experiment (required; keys below)", 0},
        {"model", CLI_STRING, &model, "PATH", "use this model instead of the config's", 0},
        {"out", CLI_STRING, &out, "FILE.json", "write every sample, pair and fit as JSON", 0},
    };
    cli_command cmd = {"h1", "power vs temperature: sequence log-likelihood gaps under p^alpha and low temperature",
                       "--config FILE.json [--model PATH] [--out FILE.json]", H1_DETAILS, opts,
                       (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc > 0) return 0;
    if (rc == 0 && !config) rc = psamp_fail(&err, "psamp h1: --config is required");
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    cli_stop_install();
    return run_h1(config, model, out);
}
