/* psamp generate: run any sampler over many chains and report samples, trace and summary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "cli_stop.h"
#include "clock.h"
#include "json_write.h"
#include "model.h"
#include "sampler.h"
#include "sampler_mixing.h"

typedef struct {
    const psamp_model *model;
    FILE *trace;
    int with_text; /* OPT: the two suffix texts go into each trace line */
    cli_progress progress;
} generate_ctx;

static int write_trace_line(void *ctx_, const psamp_mh_record *r, psamp_err *err) {
    generate_ctx *ctx = ctx_;
    FILE *f = ctx->trace;
    if (!f) return 0;
    fprintf(f, "{\"chain\":%llu,\"block\":%d,\"step\":%d,\"idx\":%d,\"len_current\":%d,"
               "\"len_proposal\":%d,\"logp_prefix\":",
            (unsigned long long)r->chain, r->block, r->step, r->idx, r->len_current, r->len_proposal);
    psamp_json_number(f, r->logp_prefix);
    fputs(",\"logp_current\":", f);
    psamp_json_number(f, r->logp_current);
    fputs(",\"logp_proposal\":", f);
    psamp_json_number(f, r->logp_proposal);
    fputs(",\"log_r\":", f);
    psamp_json_number(f, r->log_r);
    fprintf(f, ",\"accepted\":%s", r->accepted ? "true" : "false");
    if (ctx->with_text) {
        const int32_t *suffix[2] = {r->suffix_current, r->suffix_proposal};
        int32_t n[2] = {r->len_current - r->idx, r->len_proposal - r->idx};
        const char *key[2] = {"suffix_current", "suffix_proposal"};
        for (int k = 0; k < 2; k++) {
            char *text;
            size_t len;
            if (psamp_model_decode(ctx->model, suffix[k], n[k], &text, &len, err) != 0) return -1;
            fprintf(f, ",\"%s\":", key[k]);
            psamp_json_string(f, text, len);
            free(text);
        }
    }
    fputs("}\n", f);
    if (ferror(f)) return psamp_fail(err, "--trace: write failed");
    return 0;
}

static void on_progress(void *ctx_, double fraction) {
    generate_ctx *ctx = ctx_;
    cli_progress_update(&ctx->progress, fraction);
}

/* The mixing diagnostic as a JSON object (all chains are one prompt's group), or null for
 * methods without MH steps. */
static void print_mixing_json(const psamp_mixing *mx, int have) {
    if (!have) {
        fputs("null", stdout);
        return;
    }
    char verdict[256];
    psamp_mixing_verdict(mx, verdict, sizeof verdict);
    printf("{\"start_dependence\":");
    psamp_json_number(stdout, mx->start_dependence);
    printf(",\"start_dependence_null\":");
    psamp_json_number(stdout, mx->start_dependence_null);
    printf(",\"probe_steps\":%d,\"probe_shift\":", mx->probe_steps);
    psamp_json_number(stdout, mx->probe_shift);
    printf(",\"first_token_turnover\":");
    psamp_json_number(stdout, mx->first_token_turnover);
    printf(",\"acceptance\":");
    psamp_json_number(stdout, mx->acceptance);
    printf(",\"score\":");
    psamp_json_number(stdout, mx->score);
    printf(",\"verdict\":");
    psamp_json_string(stdout, verdict, strlen(verdict));
    putchar('}');
}

static void print_summary(const cli_run_options *o, const psamp_engine *e, const psamp_model *m,
                          const psamp_run_result *r, const cli_run_stats *s, const psamp_mixing *mx,
                          int have_mixing, int as_json) {
    const psamp_sampler_config *c = &o->sampler;
    if (as_json) {
        printf("{\"method\":\"%s\",\"backend\":\"%s\",\"engine\":", psamp_method_name(c->method),
               e->info.backend);
        psamp_json_string(stdout, e->info.detail, strlen(e->info.detail));
        /* Settings the method does not use are null: only power targets p^alpha, and only the
         * MH methods work in blocks with MH steps. */
        const int mh = c->method == PSAMP_METHOD_POWER || c->method == PSAMP_METHOD_MAXSWAP;
        printf(",\"chains\":%d,\"max_active\":%d,\"alpha\":", r->n_chains, r->active_chains);
        if (c->method == PSAMP_METHOD_POWER) psamp_json_number(stdout, c->alpha);
        else fputs("null", stdout);
        if (mh) printf(",\"block_size\":%d,\"mcmc_steps\":%d", psamp_sampler_block_size(c), c->mcmc_steps);
        else printf(",\"block_size\":null,\"mcmc_steps\":null");
        printf(",\"max_new_tokens\":%d,\"seed\":%llu", c->max_new_tokens, (unsigned long long)c->seed);
        printf(",\"accept_rate\":");
        psamp_json_number(stdout, s->accept_rate);
        printf(",\"mean_logp\":");
        psamp_json_number(stdout, s->mean_logp);
        printf(",\"mean_length\":");
        psamp_json_number(stdout, s->mean_length);
        printf(",\"tokens_decoded\":%lld,\"proposal_tokens\":%lld,\"wall_seconds\":",
               (long long)s->tokens_decoded, (long long)s->proposal_tokens);
        psamp_json_number(stdout, s->wall_seconds);
        printf(",\"tokens_per_second\":");
        psamp_json_number(stdout, s->tokens_per_second);
        printf(",\"tokens_per_second_per_chain\":");
        psamp_json_number(stdout, s->tokens_per_second / r->n_chains);
        printf(",\"proposals_per_second_per_chain\":");
        psamp_json_number(stdout, s->proposals_per_second / r->n_chains);
        printf(",\"mean_batch_rows\":");
        psamp_json_number(stdout, s->mean_batch_rows);
        printf(",\"host_fraction\":");
        psamp_json_number(stdout, s->host_fraction);
        printf(",\"correct_rate\":");
        psamp_json_number(stdout, s->correct_rate);
        printf(",\"mixing\":");
        print_mixing_json(mx, have_mixing);
        printf(",\"samples\":[");
        for (int32_t i = 0; i < r->n_chains && i < 16; i++) {
            char *text;
            size_t len;
            psamp_err err;
            if (i) putchar(',');
            if (psamp_model_decode(m, r->chains[i].tokens, r->chains[i].n_tokens, &text, &len, &err) == 0) {
                psamp_json_string(stdout, text, len);
                free(text);
            } else {
                fputs("null", stdout);
            }
        }
        printf("]}\n");
        return;
    }
    printf("method %s on %s (%s)\n", psamp_method_name(c->method), e->info.backend, e->info.detail);
    for (int32_t i = 0; i < r->n_chains && i < 4; i++) {
        char *text;
        size_t len;
        psamp_err err;
        if (psamp_model_decode(m, r->chains[i].tokens, r->chains[i].n_tokens, &text, &len, &err) != 0) continue;
        printf("chain %llu  logp %.3f  %d tokens: ", (unsigned long long)r->chains[i].chain,
               r->chains[i].logp_sum, r->chains[i].n_tokens);
        psamp_json_string(stdout, text, len); /* quoted and escaped: samples may hold any byte */
        putchar('\n');
        free(text);
    }
    if (r->n_chains > 4) printf("... (%d chains; --samples-out FILE.jsonl writes them all)\n", r->n_chains);
    printf("chains %d", r->n_chains);
    if (r->active_chains < r->n_chains) printf(" (%d at once)", r->active_chains);
    if (!isnan(s->accept_rate)) printf("  accept rate %.3f", s->accept_rate); /* MH methods only */
    printf("  mean logp %.4f  mean length %.2f", s->mean_logp, s->mean_length);
    if (!isnan(s->correct_rate)) printf("  correct %.4f", s->correct_rate);
    putchar('\n');
    printf("tokens %lld (proposals %lld)  wall %.3fs  %.1f tok/s  %.2f tok/s/chain  %.3f proposals/s/chain"
           "  mean batch %.1f rows  sampler host work %.1f%% of sampling time\n",
           (long long)s->tokens_decoded, (long long)s->proposal_tokens, s->wall_seconds,
           s->tokens_per_second, s->tokens_per_second / r->n_chains,
           s->proposals_per_second / r->n_chains, s->mean_batch_rows, 100.0 * s->host_share);
    if (have_mixing) {
        char verdict[256];
        psamp_mixing_verdict(mx, verdict, sizeof verdict);
        printf("mixing: %s\n", verdict);
        printf("mixing details: start dependence %.3f (noise %.3f)  probe shift %.3f (%d steps)"
               "  first-token turnover %.3f  acceptance %.3f  score %.3f (docs/mixing.md)\n",
               mx->start_dependence, mx->start_dependence_null, mx->probe_shift, mx->probe_steps,
               mx->first_token_turnover, mx->acceptance, mx->score);
    }
}

/* After SIGINT / SIGTERM: the finished chains go to --samples-out, the MH steps made so far
 * stay in --trace, both committed whole; one line on stderr says what was written. With no
 * chain finished, --samples-out is left as it was (an earlier run's file is not emptied). */
static int stopped(const cli_run_options *o, const psamp_model *m, const psamp_run_result *res,
                   psamp_atomic_file *samples, psamp_atomic_file *trace, psamp_err *err) {
    if (samples->f && res->n_chains > 0 &&
        (cli_run_write_samples(samples->f, m, res, "--samples-out", err) != 0 || psamp_atomic_commit(samples, err) != 0))
        return 1;
    if (trace->f && psamp_atomic_commit(trace, err) != 0) return 1;
    if (o->samples_out && res->n_chains == 0)
        fprintf(stderr, "psamp generate: interrupted by %s: 0 of %d chains had finished; '%s' left as it was\n",
                cli_stop_name(), res->n_planned, o->samples_out);
    else if (o->samples_out)
        fprintf(stderr, "psamp generate: interrupted by %s: wrote %d of %d chains to '%s'\n", cli_stop_name(),
                res->n_chains, res->n_planned, o->samples_out);
    else
        fprintf(stderr, "psamp generate: interrupted by %s: %d of %d chains had finished; nothing written "
                "(--samples-out FILE keeps them)\n", cli_stop_name(), res->n_chains, res->n_planned);
    return cli_stop_status();
}

int cli_cmd_generate(int argc, char **argv) {
    cli_run_options o;
    psamp_err err = {{0}};
    int rc = cli_run_parse(&o, "generate", "sample continuations with any method over many chains",
                           argc, argv, &err);
    if (rc != 0) {
        if (rc > 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    cli_stop_install();
    psamp_model *m = NULL;
    psamp_engine *e = NULL;
    psamp_run_result res = {0, 0, NULL, 0, 0.0, 0.0, 0, 0};
    psamp_atomic_file samples = {0}, trace = {0};
    int32_t *prompt = NULL, n_prompt = 0;
    generate_ctx ctx = {0};
    cli_run_stats stats;
    int status = 1;

    if (cli_run_open(&o, &m, &prompt, &n_prompt, &err) != 0) goto done;
    if (o.samples_out && psamp_atomic_open(&samples, o.samples_out, "--samples-out", &err) != 0) goto done;
    if (o.trace && psamp_atomic_open(&trace, o.trace, "--trace", &err) != 0) goto done;
    if (cli_run_engine(&o, m, n_prompt, &e, &err) != 0) goto done;

    ctx.model = m;
    ctx.trace = trace.f;
    ctx.with_text = psamp_model_toy(m) == NULL;
    cli_progress_init(&ctx.progress, "psamp generate");
    psamp_sampler_hooks hooks = {trace.f ? write_trace_line : NULL, on_progress, &ctx, cli_stop_flag()};
    double t0 = psamp_now_seconds();
    rc = psamp_sample(e, &o.sampler, prompt, n_prompt, &hooks, &res, &err);
    cli_progress_finish(&ctx.progress);
    if (rc == PSAMP_SAMPLE_STOPPED) {
        status = stopped(&o, m, &res, &samples, &trace, &err);
        goto done;
    }
    if (rc != 0) goto done;
    cli_run_summarise(m, &res, psamp_now_seconds() - t0, &stats);
    psamp_mixing mixing;
    memset(&mixing, 0, sizeof mixing);
    int have_mixing = o.sampler.method == PSAMP_METHOD_POWER || o.sampler.method == PSAMP_METHOD_MAXSWAP;
    if (have_mixing && psamp_run_mixing(res.chains, res.n_chains, res.n_chains, o.sampler.probe_steps,
                                        o.sampler.seed, &mixing, &err) != 0)
        goto done;
    if (samples.f && cli_run_write_samples(samples.f, m, &res, "--samples-out", &err) != 0) goto done;
    if (samples.f && psamp_atomic_commit(&samples, &err) != 0) goto done;
    if (trace.f && psamp_atomic_commit(&trace, &err) != 0) goto done;
    print_summary(&o, e, m, &res, &stats, &mixing, have_mixing, o.json);
    status = 0;
done:
    if (status == 1) fprintf(stderr, "psamp generate: %s\n", err.msg);
    psamp_atomic_abort(&samples);
    psamp_atomic_abort(&trace);
    psamp_run_result_free(&res);
    psamp_engine_destroy(e);
    free(prompt);
    psamp_model_close(m);
    return status;
}
