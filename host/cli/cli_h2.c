/* psamp h2: the correction tracker (h2.h). Two sources, one report:
 *   psamp h2 --from-trace FILE.jsonl        a `psamp generate --trace` file
 *   psamp h2 [generate's run options]       runs the sampler itself with the tracker on the
 *                                           MH hook, so on a toy world it also sees each
 *                                           chain's tokens: the trap-escape curves. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "h2.h"
#include "model.h"
#include "toy_exact.h"

static const char H2_SUMMARY[] = "H2: where MH resamples and accepts, log p over MH steps";
static const char H2_HELP[] =
    "psamp h2 - %s\n\n"
    "usage: psamp h2 --from-trace FILE.jsonl [--out REPORT.json] [--bins N]\n"
    "       psamp h2 --model PATH --method power|maxswap [run options] [--out REPORT.json] [--bins N]\n\n"
    "  --from-trace FILE.jsonl    analyse a `psamp generate --trace` file\n"
    "  --out FILE.json            write the report there (default: stdout)\n"
    "  --bins N                   relative-position bins of idx / length (default 10)\n\n"
    "Without --from-trace, h2 runs the sampler with the run options of psamp generate (below)\n"
    "and tracks each MH decision live; on a toy world it also reports the fraction of chains\n"
    "off the greedy first token and on a correct path, with their exact p^alpha values.\n"
    "Plot: \"$(scripts/pyenv.sh plot)/bin/python\" experiments/h2/plot_h2.py REPORT.json OUTDIR\n\n";

typedef struct {
    const char *out, *from_trace;
    int bins;
} h2_args;

/* Takes h2's own options out of argv; the rest (argv[0] first) go to the run parser. */
static int split_args(int argc, char **argv, h2_args *a, char **rest, int *n_rest, int *help,
                      psamp_err *err) {
    const char *names[3] = {"out", "from-trace", "bins"};
    const char *bins = NULL, **dest[3] = {&a->out, &a->from_trace, &bins};
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int mine = -1;
        size_t len = 0;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) *help = 1;
        if (strncmp(arg, "--", 2) == 0) {
            const char *eq = strchr(arg, '=');
            len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            for (int k = 0; k < 3; k++)
                if (strlen(names[k]) == len && strncmp(arg + 2, names[k], len) == 0) mine = k;
        }
        if (mine < 0) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (*dest[mine]) return psamp_fail(err, "psamp h2: --%s given twice", names[mine]);
        if (arg[2 + len] == '=') *dest[mine] = arg + 3 + len;
        else if (i + 1 < argc) *dest[mine] = argv[++i];
        else return psamp_fail(err, "psamp h2: --%s needs a value", names[mine]);
    }
    a->bins = 10;
    if (bins && cli_parse_int(bins, "psamp h2: --bins", &a->bins, err) != 0) return -1;
    return 0;
}

/* What the live hook knows about a toy world. */
typedef struct {
    h2_tracker *tracker;
    const toy_world *toy; /* NULL for OPT */
    int32_t greedy_first;
    cli_progress progress;
} run_ctx;

/* tokens = prefix[0..idx) + suffix[0..n_suffix) is a prefix of one of the correct sequences. */
static int on_correct_path(const toy_world *w, const int32_t *prefix, int32_t idx, const int32_t *suffix,
                           int32_t n_suffix) {
    for (int32_t c = 0; c < w->n_correct; c++) {
        const int32_t *seq = w->correct_tokens + w->correct_offset[c];
        int32_t n = w->correct_offset[c + 1] - w->correct_offset[c];
        if (idx + n_suffix > n) continue;
        if (memcmp(seq, prefix, (size_t)idx * sizeof *seq) == 0 &&
            memcmp(seq + idx, suffix, (size_t)n_suffix * sizeof *seq) == 0)
            return 1;
    }
    return 0;
}

static int on_mh_step(void *ctx_, const psamp_mh_record *r, psamp_err *err) {
    run_ctx *ctx = ctx_;
    h2_step s = {r->chain, r->block, r->step, r->idx, r->len_current, r->len_proposal, r->accepted,
                 r->logp_prefix, r->logp_current, r->logp_proposal, 0, 0, 0, 0, 0};
    if (ctx->toy) {
        const int32_t *kept = r->accepted ? r->suffix_proposal : r->suffix_current;
        int32_t n_kept = (r->accepted ? r->len_proposal : r->len_current) - r->idx;
        s.has_state = 1;
        s.off_greedy_before = (r->idx > 0 ? r->prefix[0] : r->suffix_current[0]) != ctx->greedy_first;
        s.off_greedy_after = (r->idx > 0 ? r->prefix[0] : kept[0]) != ctx->greedy_first;
        s.correct_before = on_correct_path(ctx->toy, r->prefix, r->idx, r->suffix_current, r->len_current - r->idx);
        s.correct_after = on_correct_path(ctx->toy, r->prefix, r->idx, kept, n_kept);
    }
    return h2_tracker_add(ctx->tracker, &s, err);
}

static void on_progress(void *ctx, double fraction) { cli_progress_update(&((run_ctx *)ctx)->progress, fraction); }

/* The greedy first token after the prompt, and the exact p^alpha masses off it and on the
 * correct set (empty prompt and finite alpha only: otherwise they stay NAN). */
static int toy_references(const toy_world *w, const psamp_sampler_config *cfg, const int32_t *prompt,
                          int32_t n_prompt, int32_t *greedy, h2_meta *meta, psamp_err *err) {
    double logp;
    int32_t state;
    if (toy_world_walk(w, prompt, n_prompt, &logp, &state, err) != 0) return psamp_fail_context(err, "--prompt");
    if (state < 0) return psamp_fail(err, "--prompt: the toy world has ended after the prompt");
    *greedy = 0;
    for (int32_t t = 1; t < w->n_tokens; t++)
        if (w->prob[state * w->n_tokens + t] > w->prob[state * w->n_tokens + *greedy]) *greedy = t;
    meta->greedy_first = w->tokens[*greedy];
    if (n_prompt > 0 || cfg->method != PSAMP_METHOD_POWER) return 0;
    toy_enumeration en;
    psamp_err ignored;
    if (toy_exact_enumerate(w, cfg->max_new_tokens, cfg->alpha, 1.0 / cfg->alpha, 1000000, &en, &ignored) != 0)
        return 0; /* too large to enumerate: the report says null */
    meta->exact_off_greedy = 0.0;
    meta->exact_correct = w->n_correct > 0 ? 0.0 : NAN;
    for (int64_t i = 0; i < en.n; i++) {
        const toy_sequence *q = &en.seqs[i];
        if (q->tokens[0] != *greedy) meta->exact_off_greedy += q->power;
        if (w->n_correct > 0 && toy_world_is_correct(w, q->tokens, q->n)) meta->exact_correct += q->power;
    }
    toy_enumeration_free(&en);
    return 0;
}

/* Writes the report to path (atomically) or stdout. */
static int write_report(const char *path, const h2_tracker *t, const h2_meta *meta, psamp_atomic_file *out,
                        psamp_err *err) {
    if (!path) return h2_write_json(stdout, t, meta, err);
    if (h2_write_json(out->f, t, meta, err) != 0) return -1;
    if (psamp_atomic_commit(out, err) != 0) return -1;
    printf("psamp h2: %lld MH steps of %lld chains, accept rate %.4f -> %s\n", (long long)t->proposals,
           (long long)t->chains, t->proposals ? (double)t->accepted / (double)t->proposals : 0.0, path);
    return 0;
}

static int run_from_trace(const h2_args *a) {
    h2_tracker t;
    psamp_err err = {{0}};
    psamp_atomic_file out = {0};
    h2_meta meta = {a->from_trace, NULL, NULL, NAN, NAN};
    int status = 1;
    if (h2_tracker_init(&t, a->bins, &err) != 0) {
        fprintf(stderr, "psamp h2: %s\n", err.msg);
        return 2;
    }
    if (a->out && psamp_atomic_open(&out, a->out, "--out", &err) != 0) goto done;
    if (h2_read_trace(a->from_trace, &t, &err) != 0) goto done;
    if (write_report(a->out, &t, &meta, &out, &err) != 0) goto done;
    status = 0;
done:
    if (status != 0) fprintf(stderr, "psamp h2: %s\n", err.msg);
    psamp_atomic_abort(&out);
    h2_tracker_free(&t);
    return status;
}

static int run_live(const h2_args *a, cli_run_options *o) {
    h2_tracker t;
    psamp_err err = {{0}};
    psamp_model *m = NULL;
    psamp_engine *e = NULL;
    psamp_atomic_file out = {0};
    psamp_run_result res = {0, 0, NULL, 0, 0.0, 0.0, 0, 0};
    int32_t *prompt = NULL, n_prompt = 0;
    h2_meta meta = {"run", o->model, NULL, NAN, NAN};
    run_ctx ctx = {&t, NULL, -1, {0}};
    int status = 1;
    if (h2_tracker_init(&t, a->bins, &err) != 0) {
        fprintf(stderr, "psamp h2: %s\n", err.msg);
        return 2;
    }
    if (cli_run_open(o, &m, &prompt, &n_prompt, &err) != 0) goto done;
    ctx.toy = psamp_model_toy(m);
    if (ctx.toy && toy_references(ctx.toy, &o->sampler, prompt, n_prompt, &ctx.greedy_first, &meta, &err) != 0)
        goto done;
    if (a->out && psamp_atomic_open(&out, a->out, "--out", &err) != 0) goto done;
    if (cli_run_engine(o, m, n_prompt, &e, &err) != 0) goto done;
    psamp_sampler_hooks hooks = {on_mh_step, on_progress, &ctx, NULL};
    cli_progress_init(&ctx.progress, "psamp h2");
    int rc = psamp_sample(e, &o->sampler, prompt, n_prompt, &hooks, &res, &err);
    cli_progress_finish(&ctx.progress);
    if (rc != 0) goto done;
    if (write_report(a->out, &t, &meta, &out, &err) != 0) goto done;
    status = 0;
done:
    if (status != 0) fprintf(stderr, "psamp h2: %s\n", err.msg);
    psamp_atomic_abort(&out);
    psamp_run_result_free(&res);
    psamp_engine_destroy(e);
    free(prompt);
    psamp_model_close(m);
    h2_tracker_free(&t);
    return status;
}

int cli_cmd_h2(int argc, char **argv) {
    h2_args a = {NULL, NULL, 10};
    psamp_err err = {{0}};
    char **rest = malloc((size_t)(argc + 1) * sizeof *rest);
    int n_rest = 0, help = 0, status;
    if (!rest) {
        fprintf(stderr, "psamp h2: out of memory\n");
        return 1;
    }
    if (split_args(argc, argv, &a, rest, &n_rest, &help, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        free(rest);
        return 2;
    }
    cli_run_options o;
    if (help) {
        printf(H2_HELP, H2_SUMMARY);
        /* h2 writes its own report (generate's outputs are not among its options) and
         * tracks MH steps (only power and maxswap make them). */
        static const char *const not_h2[] = {"samples-out", "trace", "json"};
        printf("run options (those of psamp generate that h2 uses):\n");
        cli_run_print_options(stdout, not_h2, 3, 1);
        free(rest);
        return 0;
    }
    if (a.from_trace) {
        if (n_rest > 1)
            status = psamp_fail(&err, "psamp h2: --from-trace takes only --out and --bins (got '%s')", rest[1]);
        else
            status = 0;
        free(rest);
        if (status != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        return run_from_trace(&a);
    }
    int rc = cli_run_parse(&o, "h2", H2_SUMMARY, n_rest, rest, &err);
    free(rest);
    if (rc == 0 && (o.trace || o.samples_out))
        rc = psamp_fail(&err, "psamp h2: --trace and --samples-out belong to psamp generate (then psamp h2 "
                              "--from-trace reads the trace)");
    if (rc == 0 && o.sampler.method != PSAMP_METHOD_POWER && o.sampler.method != PSAMP_METHOD_MAXSWAP)
        rc = psamp_fail(&err, "psamp h2: --method %s makes no MH steps (use power or maxswap)", o.method);
    if (rc == 0 && (a.bins < 1 || a.bins > 1000)) rc = psamp_fail(&err, "psamp h2: --bins: %d is outside [1, 1000]", a.bins);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    return run_live(&a, &o);
}
