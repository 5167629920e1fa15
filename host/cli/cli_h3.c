/* psamp h3: greedy vs power (the seeds' hypothesis H3), done at equal length. Every method
 * generates exactly T new tokens on every prompt; log p (total and per token) and
 * repetition (distinct n-grams, longest repeated loop) are measured on those T tokens, so a
 * method never looks likelier just by stopping sooner. Samples that end (EOS) before T are
 * counted and left out of the measures. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "cli_stop.h"
#include "cli.h"
#include "cli_experiment.h"
#include "cli_progress.h"
#include "csv_write.h"
#include "h3_table.h"
#include "json_write.h"

#define H3_DEFAULT_OPT_TOKENS 32
#define H3_DEFAULT_METHODS \
    "greedy temp temp:temperature=0.25,label=lowtemp power:alpha=4 maxswap bestofn:best-of=8"

enum { OUT_JSON, OUT_CSV, OUT_MD, OUT_SAMPLES, N_OUT };
static const char *const OUT_NAMES[N_OUT] = {"h3.json", "h3.csv", "h3.md", "samples.jsonl"};

typedef struct {
    h3_cell *cells;           /* [method][problem] */
    psamp_sampler_config *runs; /* per method, the first problem's settings (for the report) */
} h3_results;

static const char H3_DETAILS[] =
    "Writes DIR/h3.json, DIR/h3.csv, DIR/h3.md (the table) and DIR/samples.jsonl;\n"
    "experiments/h3/plot_h3.py draws the figure. Log p and repetition are measured on exactly\n"
    "--max-new-tokens tokens; samples that end early are counted ('full' < 'samples') and left out.\n"
    "--methods takes space-separated specs METHOD[:key=value,...] (as psamp passk); default:\n"
    "  " H3_DEFAULT_METHODS;

static void write_sample(FILE *f, const char *label, const char *problem, const psamp_chain_result *ch,
                         const char *text, size_t len, int full, const h3_sample_metrics *m) {
    fputs("{\"method\":", f);
    psamp_json_string(f, label, strlen(label));
    fputs(",\"prompt\":", f);
    psamp_json_string(f, problem, strlen(problem));
    fprintf(f, ",\"chain\":%llu,\"n_tokens\":%d,\"full\":%s,\"text\":", (unsigned long long)ch->chain, ch->n_tokens,
            full ? "true" : "false");
    psamp_json_string(f, text, len);
    fputs(",\"tokens\":", f);
    psamp_json_int_array(f, ch->tokens, ch->n_tokens);
    fputs(",\"logp\":", f);
    psamp_json_number(f, full ? m->logp_total : NAN);
    fputs(",\"logp_per_token\":", f);
    psamp_json_number(f, full ? m->logp_per_token : NAN);
    fputs(",\"distinct\":[", f);
    for (int k = 0; k < H3_MAX_NGRAM; k++) {
        if (k) fputc(',', f);
        psamp_json_number(f, full ? m->distinct[k] : NAN);
    }
    fprintf(f, "],\"loop_tokens\":%d,\"loop_period\":%d}\n", full ? m->loop_tokens : 0, full ? m->loop_period : 0);
}

/* What expt_run_methods' visits need: the cells and the samples file. */
typedef struct {
    expt_set *s;
    const experiment_config *c;
    h3_results *res;
    FILE *samples;
} h3_visit;

/* Measures and writes method m's samples of problem p (its run's result r) into its cell. */
static int visit_result(void *ctx, int32_t p, int32_t m, const psamp_run_result *r, psamp_err *err) {
    h3_visit *v = ctx;
    expt_set *s = v->s;
    h3_cell *cell = v->res->cells + (size_t)m * s->n_problems + p;
    const int32_t length = s->problems[p].max_new_tokens;
    for (int32_t i = 0; i < r->n_chains; i++) {
        const psamp_chain_result *ch = &r->chains[i];
        h3_sample_metrics mt;
        int full = ch->n_tokens == length;
        cell->samples++;
        memset(&mt, 0, sizeof mt);
        if (full) {
            h3_measure(ch->tokens, ch->logp, length, &mt);
            h3_cell_add(cell, &mt);
        }
        char *text;
        size_t len;
        if (expt_completion_text(s, p, ch, &text, &len, err) != 0) return -1;
        write_sample(v->samples, v->c->methods.items[m].label, s->problems[p].id, ch, text, len, full, &mt);
        free(text);
    }
    return 0;
}

static void write_stats_json(FILE *f, const h3_stats *st) {
    fprintf(f, "\"samples\":%d,\"full\":%d,\"logp_total\":", st->samples, st->full);
    psamp_json_number(f, st->logp_total);
    fputs(",\"logp_total_sd\":", f);
    psamp_json_number(f, st->logp_total_sd);
    fputs(",\"logp_per_token\":", f);
    psamp_json_number(f, st->logp_per_token);
    for (int k = 0; k < H3_MAX_NGRAM; k++) {
        fprintf(f, ",\"distinct_%d\":", k + 1);
        psamp_json_number(f, st->distinct[k]);
    }
    fputs(",\"loop_tokens\":", f);
    psamp_json_number(f, st->loop_tokens);
    fprintf(f, ",\"loop_tokens_max\":%d", st->loop_tokens_max);
}

static void write_json(FILE *f, const experiment_config *c, const expt_set *s, const h3_results *res) {
    fprintf(f, "{\"command\":\"h3\",\"samples\":%d,\"seed\":%llu", c->samples, (unsigned long long)c->seed);
    expt_write_engines(f, c, s);
    fputs(",\"prompts\":[", f);
    for (int32_t p = 0; p < s->n_problems; p++) {
        fputs(p ? ",{\"id\":" : "{\"id\":", f);
        psamp_json_string(f, s->problems[p].id, strlen(s->problems[p].id));
        fputs(",\"prompt\":", f);
        psamp_json_string(f, s->problems[p].prompt_text, strlen(s->problems[p].prompt_text));
        fprintf(f, ",\"length\":%d}", s->problems[p].max_new_tokens);
    }
    fputs("],\"methods\":[", f);
    for (int32_t m = 0; m < c->methods.n; m++) {
        const h3_cell *row = res->cells + (size_t)m * s->n_problems;
        h3_stats st;
        fputs(m ? ",{" : "{", f);
        method_spec_write_json(f, &c->methods.items[m], &res->runs[m]);
        fputs(",\"summary\":{", f);
        h3_summary_stats(row, s->n_problems, &st);
        fprintf(f, "\"prompts_measured\":%d,", st.prompts);
        write_stats_json(f, &st);
        fputs("},\"per_prompt\":[", f);
        for (int32_t p = 0; p < s->n_problems; p++) {
            h3_cell_stats(&row[p], &st);
            fputs(p ? ",{\"prompt\":" : "{\"prompt\":", f);
            psamp_json_string(f, s->problems[p].id, strlen(s->problems[p].id));
            fputc(',', f);
            write_stats_json(f, &st);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]}\n", f);
}

static void write_stats_csv(FILE *f, const char *label, const char *prompt, const h3_stats *st) {
    psamp_csv_field(f, label);
    fputc(',', f);
    psamp_csv_field(f, prompt);
    fprintf(f, ",%d,%d,", st->samples, st->full);
    double v[] = {st->logp_total, st->logp_total_sd, st->logp_per_token, st->distinct[0], st->distinct[1],
                  st->distinct[2], st->loop_tokens};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        psamp_csv_number(f, v[i]);
        fputc(',', f);
    }
    fprintf(f, "%d\n", st->loop_tokens_max);
}

/* One row per method and prompt, then the method's summary under the prompt name "ALL". */
static void write_csv(FILE *f, const experiment_config *c, const expt_set *s, const h3_results *res) {
    fputs("method,prompt,samples,full,logp_total,logp_total_sd,logp_per_token,distinct_1,distinct_2,distinct_3,"
          "loop_tokens,loop_tokens_max\n", f);
    for (int32_t m = 0; m < c->methods.n; m++) {
        const h3_cell *row = res->cells + (size_t)m * s->n_problems;
        h3_stats st;
        for (int32_t p = 0; p < s->n_problems; p++) {
            h3_cell_stats(&row[p], &st);
            write_stats_csv(f, c->methods.items[m].label, s->problems[p].id, &st);
        }
        h3_summary_stats(row, s->n_problems, &st);
        write_stats_csv(f, c->methods.items[m].label, "ALL", &st);
    }
}

static void write_markdown(FILE *f, const experiment_config *c, const expt_set *s, const h3_results *res) {
    int32_t length = s->problems[0].max_new_tokens;
    for (int32_t p = 1; p < s->n_problems; p++)
        if (s->problems[p].max_new_tokens != length) length = -1;
    fprintf(f, "# H3: greedy vs power at equal length\n\n%d prompt(s), ", s->n_problems);
    if (length > 0) fprintf(f, "%d new tokens each", length);
    else fputs("new tokens per prompt as in h3.json", f);
    fprintf(f, ", %d samples per method and prompt (greedy: 1), seed %llu. Log p and repetition are measured on "
               "exactly that many tokens; each figure is the mean over prompts of the prompt's mean over its "
               "full-length samples.\n\n", c->samples, (unsigned long long)c->seed);
    fputs("| method | full / samples | log p (total) | ± sd | log p / token | distinct-1 | distinct-2 | distinct-3 "
          "| loop (mean) | loop (max) |\n|---|---|---|---|---|---|---|---|---|---|\n", f);
    for (int32_t m = 0; m < c->methods.n; m++) {
        h3_stats st;
        h3_summary_stats(res->cells + (size_t)m * s->n_problems, s->n_problems, &st);
        fprintf(f, "| %s | %d / %d | %.3f | %.3f | %.4f | %.3f | %.3f | %.3f | %.2f | %d |\n", c->methods.items[m].label,
                st.full, st.samples, st.logp_total, st.logp_total_sd, st.logp_per_token, st.distinct[0],
                st.distinct[1], st.distinct[2], st.loop_tokens, st.loop_tokens_max);
    }
}

/* DIR must be a folder, or a name that can be made in an existing folder; checked before
 * the model is loaded, made only once everything else has passed. */
static int check_out_dir(const char *dir, psamp_err *err) {
    struct stat st;
    if (stat(dir, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : psamp_fail(err, "--out: '%s' is not a directory", dir);
    const char *slash = strrchr(dir, '/');
    char parent[4096];
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - dir) + 1 : 1, slash ? dir : ".");
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
        return psamp_fail(err, "--out: cannot create '%s': no folder '%s'", dir, parent);
    return 0;
}

static int open_outputs(const char *dir, psamp_atomic_file *out, psamp_err *err) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return psamp_fail(err, "--out: cannot create '%s': %s", dir, strerror(errno));
    for (int i = 0; i < N_OUT; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, OUT_NAMES[i]);
        if (psamp_atomic_open(&out[i], path, "--out", err) != 0) return -1;
    }
    return 0;
}

static int run_h3(const experiment_config *c, const char *dir, psamp_err *err) {
    expt_set s;
    psamp_atomic_file out[N_OUT];
    h3_results res = {NULL, NULL};
    int rc = -1;
    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof out);
    if (check_out_dir(dir, err) != 0 || expt_open(c, 0, H3_DEFAULT_OPT_TOKENS, &s, err) != 0 ||
        open_outputs(dir, out, err) != 0)
        goto done;
    s.stop = cli_stop_flag();
    res.cells = calloc((size_t)c->methods.n * (size_t)s.n_problems, sizeof *res.cells);
    res.runs = calloc((size_t)c->methods.n, sizeof *res.runs);
    if (!res.cells || !res.runs) {
        psamp_fail(err, "out of memory");
        goto done;
    }
    for (int32_t m = 0; m < c->methods.n; m++)
        if (method_spec_config(&c->methods.items[m], s.problems[0].max_new_tokens, c->samples, c->seed, &res.runs[m],
                               err) != 0)
            goto done;
    cli_progress_init(&s.progress, "psamp h3");
    s.progress_runs = expt_count_batches(&s) * c->methods.n;
    h3_visit visit = {&s, c, &res, out[OUT_SAMPLES].f};
    for (int32_t p = 0, batch = 0; p < s.n_problems; batch++) {
        const int32_t n = expt_batch_at(&s, p);
        if (expt_run_methods(&s, c, batch, p, n, NULL, visit_result, &visit, err) != 0) {
            cli_progress_finish(&s.progress);
            goto done;
        }
        p += n;
    }
    cli_progress_finish(&s.progress);
    write_json(out[OUT_JSON].f, c, &s, &res);
    write_csv(out[OUT_CSV].f, c, &s, &res);
    write_markdown(out[OUT_MD].f, c, &s, &res);
    for (int i = 0; i < N_OUT; i++)
        if (psamp_atomic_commit(&out[i], err) != 0) goto done;
    write_markdown(stdout, c, &s, &res);
    rc = 0;
done:
    for (int i = 0; i < N_OUT; i++) psamp_atomic_abort(&out[i]);
    free(res.cells);
    free(res.runs);
    expt_close(&s);
    return rc;
}

int cli_cmd_h3(int argc, char **argv) {
    expt_args a;
    const char *dir = NULL;
    memset(&a, 0, sizeof a);
    cli_option opts[EXPT_COMMON_OPTIONS + 2];
    expt_common_options(&a, opts, "prompts", "toy length; OPT 32: room for loops at n samples a prompt");
    opts[EXPT_COMMON_OPTIONS] = (cli_option){"out", CLI_STRING, &dir, "DIR", "output folder (required; made if absent)", 0};
    opts[EXPT_COMMON_OPTIONS + 1] = (cli_option){"batch-chains", CLI_INT, &a.batch_chains, "N",
        "prompts share a sampler call until their chains reach N (default 1024; 0: one prompt per call)", 0};
    cli_command cmd = {"h3", "greedy vs power at equal length: log p and repetition per method",
                       "(--config FILE | --model PATH [--prompts FILE] | --worlds A,B) --out DIR [options]", H3_DETAILS,
                       opts, (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    experiment_config c;
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    if (!dir) {
        fprintf(stderr, "psamp h3: --out DIR is required\n");
        return 2;
    }
    if (expt_prepare(&cmd, &a, EXPERIMENT_H3, H3_DEFAULT_METHODS, &c, &err) != 0) {
        fprintf(stderr, "psamp h3: %s\n", err.msg);
        return 1;
    }
    cli_stop_install();
    if (run_h3(&c, dir, &err) != 0) {
        if (cli_stop_signal()) {
            fprintf(stderr, "psamp h3: interrupted by %s: nothing written to '%s' (its tables need every run)\n",
                    cli_stop_name(), dir);
            experiment_config_free(&c);
            return cli_stop_status();
        }
        fprintf(stderr, "psamp h3: %s\n", err.msg);
        experiment_config_free(&c);
        return 1;
    }
    experiment_config_free(&c);
    return 0;
}
