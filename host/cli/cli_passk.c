/* psamp passk: n samples per problem per method, and the unbiased pass@k for k = 1..n
 * (passk_estimator.h). Problems are toy worlds (judged by their `correct` set) or the
 * prompts of a task file (passk_tasks.h). Everything -- config, tasks, regexes, k values,
 * models, output paths -- is checked before the first sample is drawn. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli_stop.h"
#include "cli.h"
#include "cli_experiment.h"
#include "cli_progress.h"
#include "clock.h"
#include "csv_write.h"
#include "json_write.h"
#include "passk_estimator.h"
#include "passk_interval.h"

#define PASSK_DEFAULT_OPT_TOKENS 16
#define PASSK_DEFAULT_METHODS "greedy temp power"

typedef struct {
    int64_t *correct; /* per problem, out of the config's samples */
    int64_t tokens_decoded, proposals, accepted;
    double wall_seconds;
    psamp_sampler_config run; /* the settings of the first problem's run, for the report */
} method_tally;

typedef struct {
    expt_args common;
    const char *out, *csv, *samples_out;
    int json;
} passk_args;

static const char PASSK_DETAILS[] =
    "pass@k = mean over problems of 1 - C(n-c, k) / C(n, k), n samples of which c are correct\n"
    "(the unbiased estimator of Chen et al. 2021, computed as a product).\n"
    "--methods takes space-separated specs METHOD[:key=value,...], keys label, alpha,\n"
    "temperature, proposal-temp, block-size, blocks, mcmc-steps, best-of; e.g.\n"
    "  --methods 'greedy temp:temperature=0.25 power:alpha=4,block-size=2,mcmc-steps=30'\n"
    "(default: " PASSK_DEFAULT_METHODS "). Values joined by '|' make a grid, one method per\n"
    "combination: 'power:alpha=2|4|8,block-size=4|8' is 6 methods labelled 'power alpha=2 block-size=4', ...\n"
    "Greedy is deterministic: it runs once and stands for all n.\n"
    "A task file is JSONL: {\"id\", \"prompt\", \"answer\" | \"regex\"}; see experiments/tasks/README.md.\n"
    "Options given beside --config override the file's values.";

static void write_sample_line(FILE *f, const char *label, const expt_set *s, int32_t p, const psamp_chain_result *ch,
                              const char *text, size_t len, int correct) {
    fputs("{\"method\":", f);
    psamp_json_string(f, label, strlen(label));
    fputs(",\"problem\":", f);
    psamp_json_string(f, s->problems[p].id, strlen(s->problems[p].id));
    fprintf(f, ",\"chain\":%llu,\"tokens\":", (unsigned long long)ch->chain);
    psamp_json_int_array(f, ch->tokens, ch->n_tokens);
    fputs(",\"text\":", f);
    psamp_json_string(f, text, len);
    fputs(",\"logp\":", f);
    psamp_json_number(f, ch->logp_sum);
    fprintf(f, ",\"correct\":%s}\n", correct ? "true" : "false");
}

/* Counts method m's correct samples of problem p (its run's result r), and writes them. */
static int tally(expt_set *s, const experiment_config *c, int32_t p, const method_spec *m, const psamp_run_result *r,
                 method_tally *t, FILE *samples, psamp_err *err) {
    int64_t correct = 0;
    for (int32_t i = 0; i < r->n_chains; i++) {
        const psamp_chain_result *ch = &r->chains[i];
        int ok;
        if (expt_judge(s, p, ch, &ok, err) != 0) return -1;
        correct += ok;
        t->tokens_decoded += ch->tokens_decoded;
        t->proposals += ch->proposals;
        t->accepted += ch->accepted;
        if (samples) {
            char *text;
            size_t len;
            if (expt_completion_text(s, p, ch, &text, &len, err) != 0) return -1;
            write_sample_line(samples, m->label, s, p, ch, text, len, ok);
            free(text);
        }
    }
    /* A deterministic method ran once for all n samples. */
    t->correct[p] = correct * (c->samples / r->n_planned);
    return 0;
}

/* What expt_run_methods' visits need: the tallies and the samples file. */
typedef struct {
    expt_set *s;
    const experiment_config *c;
    method_tally *t;
    FILE *samples;
} passk_visit;

static int visit_result(void *ctx, int32_t p, int32_t m, const psamp_run_result *r, psamp_err *err) {
    passk_visit *v = ctx;
    return tally(v->s, v->c, p, &v->c->methods.items[m], r, &v->t[m], v->samples, err);
}

/* ,"pass_at_k":[...],"pass_at_k_lo":[...],"pass_at_k_hi":[...] (passk_interval.h). */
static void write_pass_at_k(FILE *f, const experiment_config *c, const expt_set *s, const method_tally *mt,
                            int deterministic) {
    static const char *const keys[3] = {"pass_at_k", "pass_at_k_lo", "pass_at_k_hi"};
    for (int which = 0; which < 3; which++) {
        fprintf(f, ",\"%s\":[", keys[which]);
        for (int32_t i = 0; i < c->n_ks; i++) {
            double v[3];
            passk_interval(c->samples, mt->correct, s->n_problems, c->ks[i], deterministic, &v[0], &v[1], &v[2]);
            if (i) fputc(',', f);
            psamp_json_number(f, v[which]);
        }
        fputc(']', f);
    }
}

static void write_json(FILE *f, const experiment_config *c, const expt_set *s, const method_tally *t) {
    fputs("{\"command\":\"passk\",\"interval\":", f);
    psamp_json_string(f, PASSK_INTERVAL_METHOD, strlen(PASSK_INTERVAL_METHOD));
    fputs(",\"samples\":", f);
    fprintf(f, "%d,\"seed\":%llu", c->samples, (unsigned long long)c->seed);
    expt_write_engines(f, c, s);
    fputs(",\"problems\":[", f);
    for (int32_t p = 0; p < s->n_problems; p++) {
        const expt_problem *pr = &s->problems[p];
        fputs(p ? ",{\"id\":" : "{\"id\":", f);
        psamp_json_string(f, pr->id, strlen(pr->id));
        fputs(",\"model\":", f);
        psamp_json_string(f, s->model_paths[pr->model], strlen(s->model_paths[pr->model]));
        fputs(",\"prompt\":", f);
        psamp_json_string(f, pr->prompt_text, strlen(pr->prompt_text));
        if (pr->task && pr->task->answer) {
            fputs(",\"answer\":", f);
            psamp_json_string(f, pr->task->answer, strlen(pr->task->answer));
        } else if (pr->task) {
            fputs(",\"regex\":", f);
            psamp_json_string(f, pr->task->regex, strlen(pr->task->regex));
        }
        fprintf(f, ",\"max_new_tokens\":%d}", pr->max_new_tokens);
    }
    fputs("],\"k\":", f);
    psamp_json_int_array(f, c->ks, c->n_ks);
    fputs(",\"methods\":[", f);
    for (int32_t k = 0; k < c->methods.n; k++) {
        const method_tally *mt = &t[k];
        int64_t total = 0;
        for (int32_t p = 0; p < s->n_problems; p++) total += mt->correct[p];
        fputs(k ? ",{" : "{", f);
        method_spec_write_json(f, &c->methods.items[k], &mt->run);
        fprintf(f, ",\"samples_per_problem\":%d,\"chains_run\":%d,\"correct\":[", c->samples,
                expt_chains_for(&c->methods.items[k], c->samples));
        for (int32_t p = 0; p < s->n_problems; p++) fprintf(f, p ? ",%lld" : "%lld", (long long)mt->correct[p]);
        fprintf(f, "],\"correct_total\":%lld", (long long)total);
        write_pass_at_k(f, c, s, mt, c->methods.items[k].cfg.method == PSAMP_METHOD_GREEDY);
        fprintf(f, ",\"tokens_decoded\":%lld,\"accept_rate\":", (long long)mt->tokens_decoded);
        psamp_json_number(f, mt->proposals ? (double)mt->accepted / (double)mt->proposals : NAN);
        fputs(",\"wall_seconds\":", f);
        psamp_json_number(f, mt->wall_seconds);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

static void write_csv(FILE *f, const experiment_config *c, const expt_set *s, const method_tally *t) {
    fputs("method,k,pass_at_k,samples_per_problem,problems,correct_total,pass_at_k_lo,pass_at_k_hi\n", f);
    for (int32_t m = 0; m < c->methods.n; m++) {
        int64_t total = 0;
        int greedy = c->methods.items[m].cfg.method == PSAMP_METHOD_GREEDY;
        for (int32_t p = 0; p < s->n_problems; p++) total += t[m].correct[p];
        for (int32_t i = 0; i < c->n_ks; i++) {
            double v, lo, hi;
            passk_interval(c->samples, t[m].correct, s->n_problems, c->ks[i], greedy, &v, &lo, &hi);
            psamp_csv_field(f, c->methods.items[m].label);
            fprintf(f, ",%d,", c->ks[i]);
            psamp_csv_number(f, v);
            fprintf(f, ",%d,%d,%lld,", c->samples, s->n_problems, (long long)total);
            psamp_csv_number(f, lo);
            fputc(',', f);
            psamp_csv_number(f, hi);
            fputc('\n', f);
        }
    }
}

/* The table on stdout: pass@k at up to 8 of the k values (1, 2, 4, ... and the last). */
static void print_table(const experiment_config *c, const expt_set *s, const method_tally *t) {
    int32_t shown[8], n_shown = 0;
    for (int32_t i = 0; i < c->n_ks && n_shown < 7; i++)
        if ((c->ks[i] & (c->ks[i] - 1)) == 0 || i == 0) shown[n_shown++] = i;
    if (shown[n_shown - 1] != c->n_ks - 1) shown[n_shown++] = c->n_ks - 1;
    printf("pass@k over %d problem(s), %d samples each\n%-28s", s->n_problems, c->samples, "method");
    for (int32_t j = 0; j < n_shown; j++) printf(" %9s%-4d", "pass@", c->ks[shown[j]]);
    putchar('\n');
    for (int32_t m = 0; m < c->methods.n; m++) {
        printf("%-28.28s", c->methods.items[m].label);
        for (int32_t j = 0; j < n_shown; j++)
            printf(" %13.4f", passk_mean(c->samples, t[m].correct, s->n_problems, c->ks[shown[j]]));
        putchar('\n');
    }
}

/* After SIGINT / SIGTERM: --samples-out keeps the batches of problems that finished (every
 * method), as complete lines; --out and --csv need every run and are not written. */
static int stopped(const passk_args *a, psamp_atomic_file *samples, int32_t runs_done, int32_t runs,
                   psamp_err *err) {
    if (samples->f && psamp_atomic_commit(samples, err) != 0) return -1;
    fprintf(stderr, "psamp passk: interrupted by %s after %d of %d batches of problems (every method): ",
            cli_stop_name(), (int)runs_done, (int)runs);
    if (a->samples_out)
        fprintf(stderr, "wrote their samples to '%s'; pass@k not written\n", a->samples_out);
    else
        fprintf(stderr, "nothing written (pass@k needs every run)\n");
    return cli_stop_status();
}

static int run_passk(const experiment_config *c, const passk_args *a, psamp_err *err) {
    expt_set s;
    psamp_atomic_file out = {0}, csv = {0}, samples = {0};
    method_tally *t = NULL;
    double *seconds = NULL; /* per method, over every batch */
    int rc = -1;
    memset(&s, 0, sizeof s);
    /* Outputs first: an unwritable path fails before a large model is loaded. */
    if ((a->out && psamp_atomic_open(&out, a->out, "--out", err) != 0) ||
        (a->csv && psamp_atomic_open(&csv, a->csv, "--csv", err) != 0) ||
        (a->samples_out && psamp_atomic_open(&samples, a->samples_out, "--samples-out", err) != 0) ||
        expt_open(c, 1, PASSK_DEFAULT_OPT_TOKENS, &s, err) != 0)
        goto done;
    s.stop = cli_stop_flag();
    t = calloc((size_t)c->methods.n, sizeof *t);
    seconds = calloc((size_t)c->methods.n, sizeof *seconds);
    if (!t || !seconds) goto oom;
    for (int32_t m = 0; m < c->methods.n; m++) {
        t[m].correct = calloc((size_t)s.n_problems, sizeof *t[m].correct);
        if (!t[m].correct) goto oom;
        if (method_spec_config(&c->methods.items[m], s.problems[0].max_new_tokens, c->samples, c->seed, &t[m].run, err))
            goto done;
    }
    cli_progress_init(&s.progress, "psamp passk");
    s.progress_runs = expt_count_batches(&s) * c->methods.n;
    passk_visit visit = {&s, c, t, samples.f};
    for (int32_t p = 0, batch = 0; p < s.n_problems; batch++) {
        const int32_t n = expt_batch_at(&s, p);
        if (expt_run_methods(&s, c, batch, p, n, seconds, visit_result, &visit, err) != 0) {
            cli_progress_finish(&s.progress);
            if (cli_stop_signal()) rc = stopped(a, &samples, batch, s.progress_runs / c->methods.n, err);
            goto done;
        }
        p += n;
    }
    cli_progress_finish(&s.progress);
    for (int32_t m = 0; m < c->methods.n; m++) t[m].wall_seconds = seconds[m];
    if (out.f) write_json(out.f, c, &s, t);
    if (csv.f) write_csv(csv.f, c, &s, t);
    if ((out.f && psamp_atomic_commit(&out, err) != 0) || (csv.f && psamp_atomic_commit(&csv, err) != 0) ||
        (samples.f && psamp_atomic_commit(&samples, err) != 0))
        goto done;
    if (a->json) write_json(stdout, c, &s, t);
    else print_table(c, &s, t);
    rc = 0;
    goto done;
oom:
    psamp_fail(err, "out of memory");
done:
    psamp_atomic_abort(&out);
    psamp_atomic_abort(&csv);
    psamp_atomic_abort(&samples);
    if (t)
        for (int32_t m = 0; m < c->methods.n; m++) free(t[m].correct);
    free(t);
    free(seconds);
    expt_close(&s);
    return rc;
}

int cli_cmd_passk(int argc, char **argv) {
    passk_args a;
    memset(&a, 0, sizeof a);
    cli_option opts[EXPT_COMMON_OPTIONS + 6];
    expt_common_options(&a.common, opts, "tasks", "toy length; OPT 16: task answers are a few words");
    cli_option own[] = {
        {"k", CLI_STRING, &a.common.ks, "LIST", "k values, e.g. 1,2,4,8 (default 1..N)", 0},
        {"out", CLI_STRING, &a.out, "FILE.json", "write the results as JSON", 0},
        {"csv", CLI_STRING, &a.csv, "FILE.csv", "write one row per method and k", 0},
        {"samples-out", CLI_STRING, &a.samples_out, "FILE.jsonl", "write every sample with its verdict", 0},
        {"json", CLI_FLAG, &a.json, NULL, "print the JSON results instead of the table", 0},
        {"batch-chains", CLI_INT, &a.common.batch_chains, "N",
         "problems share a sampler call until their chains reach N (default 1024; 0: one problem per call)", 0},
    };
    memcpy(opts + EXPT_COMMON_OPTIONS, own, sizeof own);
    cli_command cmd = {"passk", "pass@k curves: n samples per problem per method, unbiased estimator",
                       "(--config FILE | --model PATH [--tasks FILE] | --worlds A,B) [options]", PASSK_DETAILS, opts,
                       (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    experiment_config c;
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    if (expt_prepare(&cmd, &a.common, EXPERIMENT_PASSK, PASSK_DEFAULT_METHODS, &c, &err) != 0) {
        fprintf(stderr, "psamp passk: %s\n", err.msg);
        return 1;
    }
    cli_stop_install();
    rc = run_passk(&c, &a, &err);
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "psamp passk: %s\n", err.msg);
        experiment_config_free(&c);
        return rc < 0 ? 1 : rc;
    }
    experiment_config_free(&c);
    return 0;
}
