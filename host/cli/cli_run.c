#include "cli_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_write.h"
#include "model_opt.h"
#include "prompt_template.h"

#define METHOD_POWER_MAXSWAP \
    "  power    Algorithm 1 of Karan & Du: p(x)^alpha by Metropolis-Hastings over blocks, exact\n" \
    "           acceptance (alpha * delta log p, reverse/forward log q over each sequence's own\n" \
    "           suffix, and the index term when EOS makes lengths differ)\n" \
    "  maxswap  the alpha -> infinity limit: accept a proposal iff its suffix log p is higher\n"
#define MODEL_DETAILS \
    "--model takes a toy-world spec (.json) or a checkpoint directory: OPT, Qwen2, Llama or Phi-3\n" \
    "(text through the folder's tokenizer; see the README's models section)."

static const char RUN_DETAILS[] = "methods:\n"
                                  "  greedy   argmax at every step\n"
                                  "  temp     sampling from softmax(logits / --temperature)\n" METHOD_POWER_MAXSWAP
                                  "  bestofn  the most likely of --best-of temperature samples\n" MODEL_DETAILS;
/* For commands that take only the methods that make MH steps (h2). */
static const char MH_RUN_DETAILS[] = "methods:\n" METHOD_POWER_MAXSWAP MODEL_DETAILS;

/* The run options of every sampling command, into opts (RUN_MAX_OPTIONS long); returns
 * how many. One table for parsing and for help that lists only some of them. */
#define RUN_MAX_OPTIONS 32
static int run_option_table(cli_run_options *o, cli_option *opts) {
    psamp_sampler_config *s = &o->sampler;
    const cli_option table[] = {
        {"model", CLI_STRING, &o->model, "PATH", "toy-world spec (.json) or checkpoint dir: OPT, Qwen2, Llama, Phi-3 (required)", 0},
        {"prompt", CLI_STRING, &o->prompt, "TEXT", "prompt text (default: empty; the BOS of OPT, Llama-3, Phi-3.5 is prepended)", 0},
        {"prompt-template", CLI_STRING, &o->prompt_template, "FILE", "text with {problem} where --prompt goes (experiments/prompts/)", 0},
        {"method", CLI_STRING, &o->method, "NAME", "greedy | temp | power | maxswap | bestofn (default power)", 0},
        {"alpha", CLI_DOUBLE, &s->alpha, "A", "power: target p^alpha, alpha > 0 (default 4)", 0},
        {"temperature", CLI_DOUBLE, &s->temperature, "T", "temp, bestofn: sampling temperature (default 1)", 0},
        {"proposal-temp", CLI_DOUBLE, &s->proposal_temp, "T", "power/maxswap proposal temperature (default 1/alpha; maxswap 1)", 0},
        {"max-new-tokens", CLI_INT, &s->max_new_tokens, "N", "tokens to generate (default: toy length; OPT 64, a few sentences)", 0},
        {"block-size", CLI_INT, &s->block_size, "B", "power/maxswap block size (default T/K)", 0},
        {"blocks", CLI_INT, &s->n_blocks, "K", "number of blocks when --block-size is not given (default 4)", 0},
        {"mcmc-steps", CLI_INT, &s->mcmc_steps, "N", "MH steps after each block (default 10)", 0},
        {"mixing-probe", CLI_INT, &s->probe_steps, "P", "power/maxswap: P more MH steps on the last block after the sample is kept, to see whether it still moves (mixing diagnostic; default 0)", 0},
        {"best-of", CLI_INT, &s->best_of, "N", "bestofn: samples per chain (default 8)", 0},
        {"chains", CLI_INT, &s->n_chains, "C", "independent chains (default 1)", 0},
        {"max-active", CLI_INT, &s->max_active, "K", "chains decoding at once; the rest queue and start as others finish (default: all that fit in memory)", 0},
        {"first-chain", CLI_U64, &s->first_chain, "I", "number of the first chain (default 0)", 0},
        {"seed", CLI_U64, &s->seed, "S", "random seed (default 0)", 0},
        {"backend", CLI_STRING, &o->backend, "NAME", "auto | cpu | cuda (default auto: cuda for OPT when a GPU is present, else cpu)", 0},
        {"dtype", CLI_STRING, &o->dtype, "NAME", "cuda weights: fp16 | bf16 (default fp16)", 0},
        {"kv-cache", CLI_STRING, &o->kv_cache, "NAME", "cuda, OPT: dtype | fp8 (e4m3, a scale per position and head: half the KV bytes, log p moves slightly; default dtype)", 0},
        {"threads", CLI_INT, &o->threads, "N", "cpu: BLAS threads (default: all cores)", 0},
        {"samples-out", CLI_STRING, &o->samples_out, "FILE", "write one JSON line per chain", 0},
        {"trace", CLI_STRING, &o->trace, "FILE", "write one JSON line per MH step (correction tracker)", 0},
        {"json", CLI_FLAG, &o->json, NULL, "print the summary as one JSON object", 0},
        {"acceptance", CLI_STRING, &o->acceptance, "NAME", "testing only: exact | no-q | no-index | truncated (wrong on purpose)", 0},
    };
    const int n = (int)(sizeof table / sizeof table[0]);
    _Static_assert(sizeof table / sizeof table[0] <= RUN_MAX_OPTIONS, "RUN_MAX_OPTIONS too small");
    memcpy(opts, table, sizeof table);
    return n;
}

int cli_run_parse(cli_run_options *o, const char *name, const char *summary, int argc,
                  char **argv, psamp_err *err) {
    memset(o, 0, sizeof *o);
    o->sampler = psamp_sampler_defaults();
    o->sampler.n_blocks = 4;
    o->sampler.max_new_tokens = 0; /* filled from the model unless given */
    o->prompt = "";
    o->method = "power";
    o->backend = "auto";
    o->dtype = "fp16";
    o->kv_cache = "dtype";
    o->acceptance = "exact";
    psamp_sampler_config *s = &o->sampler;
    cli_option opts[RUN_MAX_OPTIONS];
    const int n_opts = run_option_table(o, opts);
    cli_command cmd = {name, summary, "--model PATH [--prompt TEXT] [--method NAME] [options]",
                       RUN_DETAILS, opts, n_opts};
    int rc = cli_parse(&cmd, argc, argv, err);
    if (rc != 0) return rc;
    if (!o->model) return psamp_fail(err, "psamp %s: --model is required", name);
    if (psamp_method_parse(o->method, &s->method, err) != 0) return -1;
    if (cli_given(&cmd, "block-size") && s->block_size <= 0)
        return psamp_fail(err, "--block-size must be positive (got %d)", s->block_size);
    o->blocks_given = cli_given(&cmd, "blocks");
    if (cli_given(&cmd, "max-new-tokens") && s->max_new_tokens <= 0)
        return psamp_fail(err, "--max-new-tokens must be positive (got %d)", s->max_new_tokens);
    if (cli_given(&cmd, "proposal-temp") && s->proposal_temp <= 0)
        return psamp_fail(err, "--proposal-temp must be positive (got %g)", s->proposal_temp);
    if (o->threads < 0) return psamp_fail(err, "--threads must be >= 0 (got %d)", o->threads);
    static const char *const variants[] = {"exact", "no-q", "no-index", "truncated"};
    int found = 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(o->acceptance, variants[i]) == 0) {
            s->accept = (psamp_accept_variant)i;
            found = 1;
        }
    if (!found) return psamp_fail(err, "--acceptance: unknown variant '%s'", o->acceptance);
    /* Range checks that need no model happen now, before anything is opened. */
    psamp_sampler_config probe = *s;
    if (probe.max_new_tokens == 0) probe.max_new_tokens = 1 << 20;
    if (probe.n_blocks > probe.max_new_tokens && probe.block_size == 0 && !o->blocks_given) probe.n_blocks = 1;
    return psamp_sampler_validate(&probe, err);
}

void cli_run_print_options(FILE *f, const char *const *omit, int n_omit, int mh_only) {
    cli_run_options o;
    memset(&o, 0, sizeof o);
    cli_option opts[RUN_MAX_OPTIONS];
    const int n_opts = run_option_table(&o, opts);
    /* Without the non-MH methods, their own options go too. */
    static const char *const non_mh[] = {"temperature", "best-of"};
    for (int i = 0; i < n_opts; i++) {
        int omitted = 0;
        for (int k = 0; k < n_omit; k++) omitted |= strcmp(opts[i].name, omit[k]) == 0;
        for (int k = 0; mh_only && k < 2; k++) omitted |= strcmp(opts[i].name, non_mh[k]) == 0;
        if (mh_only && strcmp(opts[i].name, "method") == 0) opts[i].help = "power | maxswap (default power)";
        if (!omitted) cli_print_option(f, &opts[i]);
    }
    fprintf(f, "\n%s\n", mh_only ? MH_RUN_DETAILS : RUN_DETAILS);
}

int cli_kv_cache_option(const char *kv_cache, psamp_backend_options *bo, psamp_err *err) {
    if (strcmp(kv_cache, "dtype") == 0) bo->kv_fp8 = 0;
    else if (strcmp(kv_cache, "fp8") == 0) bo->kv_fp8 = 1;
    else return psamp_fail(err, "--kv-cache: unknown cache '%s' (dtype, fp8)", kv_cache);
    return 0;
}

int cli_backend_options(const char *backend, const char *dtype, int threads,
                        psamp_backend_options *out, psamp_err *err) {
    memset(out, 0, sizeof *out);
    if (strcmp(backend, "auto") != 0 && strcmp(backend, "cpu") != 0 && strcmp(backend, "cuda") != 0)
        return psamp_fail(err, "--backend: unknown backend '%s' (auto, cpu, cuda)", backend);
    out->backend = backend;
    if (strcmp(dtype, "fp16") == 0) out->dtype = PSAMP_F16;
    else if (strcmp(dtype, "bf16") == 0) out->dtype = PSAMP_BF16;
    else return psamp_fail(err, "--dtype: unknown dtype '%s' (fp16, bf16)", dtype);
    out->n_threads = threads;
    return 0;
}

int cli_run_open(cli_run_options *o, psamp_model **m, int32_t **prompt, int32_t *n_prompt,
                 psamp_err *err) {
    psamp_sampler_config *s = &o->sampler;
    char *text = NULL, *tmpl = NULL;
    if (o->prompt_template && (prompt_template_load(o->prompt_template, &tmpl, err) != 0 ||
                               prompt_template_apply(tmpl, o->prompt, &text, err) != 0)) {
        free(tmpl);
        return psamp_fail_context(err, "--prompt-template");
    }
    free(tmpl);
    if (psamp_model_open(m, o->model, err) != 0) {
        free(text);
        return -1;
    }
    int rc = psamp_model_encode(*m, text ? text : o->prompt, prompt, n_prompt, err);
    free(text);
    if (rc != 0) return psamp_fail_context(err, "--prompt");
    int32_t max_len = psamp_model_max_len(*m);
    if (*n_prompt >= max_len && psamp_model_toy(*m) == NULL)
        return psamp_fail(err, "--prompt: %d tokens leave no room in the model's %d positions",
                          *n_prompt, max_len);
    if (s->max_new_tokens == 0) {
        int32_t room = max_len - *n_prompt;
        if (room <= 0)
            return psamp_fail(err, "--prompt: %d tokens fill the toy world's length %d; nothing is left to generate",
                              *n_prompt, max_len);
        s->max_new_tokens = psamp_model_toy(*m) ? room : (room < 64 ? room : 64);
    }
    if (s->max_new_tokens > max_len - *n_prompt) /* not n_prompt + T: T may be near INT32_MAX */
        return psamp_fail(err, "--max-new-tokens: prompt (%d tokens) + %d exceeds the model's %d positions",
                          *n_prompt, s->max_new_tokens, max_len);
    /* The default 4 blocks shrink to fit a short T; a --blocks the user gave is checked as is. */
    if (s->block_size == 0 && s->n_blocks > s->max_new_tokens && !o->blocks_given) s->n_blocks = s->max_new_tokens;
    return psamp_sampler_validate(s, err);
}

int cli_engine_room(psamp_model *m, const opt_checkpoint *ck, const psamp_backend_options *bo,
                    int32_t max_len, int32_t *room, psamp_err *err) {
    const char *env = getenv("PSAMP_MAX_SLOTS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end || v < 1 || v > INT32_MAX / 4)
            return psamp_fail(err, "PSAMP_MAX_SLOTS: expected a positive number of slots, got '%s'", env);
        *room = (int32_t)v;
        return 0;
    }
    if (m) return psamp_model_max_slots(m, bo, max_len, room, err);
    return psamp_opt_checkpoint_max_slots(ck, bo, max_len, room, err);
}

int cli_fit_chains(int32_t room, int32_t max_len, int32_t n_prompts, psamp_sampler_config *s, const char *who,
                   psamp_err *err) {
    const int32_t need = psamp_sampler_slots_needed_prompts(s, n_prompts);
    if (s->max_active > 0 || need <= room) return 0;
    /* One slot per prompt; each chain its working slots. */
    psamp_sampler_config one = *s;
    one.n_chains = 1;
    const int32_t per_chain = psamp_sampler_slots_needed_prompts(&one, 1) - 1;
    const int32_t fit = room > n_prompts ? (room - n_prompts) / per_chain : 0;
    if (fit < 1)
        return psamp_fail(err, "one chain needs %d engine slots of %d tokens (the prompt's and its own %d); "
                          "there is room for %d", 1 + per_chain, max_len, per_chain, room);
    s->max_active = fit;
    if (who)
        fprintf(stderr, "%s: %d chains need %d engine slots of %d tokens, there is room for %d: "
                "running %d chains at a time (as --max-active %d; the samples are the same)\n",
                who, n_prompts * psamp_sampler_decoded_chains(s), need, max_len, room, fit, fit);
    return 0;
}

int32_t cli_prompts_per_call(const psamp_sampler_config *s, int32_t most, int32_t room) {
    int32_t n = most < 1 ? 1 : most;
    while (n > 1 && psamp_sampler_slots_needed_prompts(s, n) > room) n--;
    return n;
}

int cli_run_engine(cli_run_options *o, psamp_model *m, int32_t n_prompt, psamp_engine **e,
                   psamp_err *err) {
    psamp_backend_options bo;
    int32_t room, max_len = n_prompt + o->sampler.max_new_tokens;
    if (cli_backend_options(o->backend, o->dtype, o->threads, &bo, err) != 0 ||
        cli_kv_cache_option(o->kv_cache, &bo, err) != 0 ||
        cli_engine_room(m, NULL, &bo, max_len, &room, err) != 0 ||
        cli_fit_chains(room, max_len, 1, &o->sampler, "psamp", err) != 0)
        return -1;
    return psamp_model_engine(m, &bo, psamp_sampler_slots_needed(&o->sampler), max_len, e, err);
}

void cli_run_summarise(const psamp_model *m, const psamp_run_result *r, double wall_seconds,
                       cli_run_stats *s) {
    double lp = 0, len = 0, correct = 0;
    int64_t acc = 0;
    const toy_world *w = psamp_model_toy(m);
    memset(s, 0, sizeof *s);
    for (int32_t c = 0; c < r->n_chains; c++) {
        const psamp_chain_result *ch = &r->chains[c];
        lp += ch->logp_sum;
        len += ch->n_tokens;
        acc += ch->accepted;
        s->proposals += ch->proposals;
        s->proposal_tokens += ch->proposal_tokens;
        s->tokens_decoded += ch->tokens_decoded;
        if (w) correct += toy_world_is_correct(w, ch->tokens, ch->n_tokens);
    }
    s->correct_rate = w && w->n_correct > 0 ? correct / r->n_chains : NAN;
    s->accept_rate = s->proposals ? (double)acc / (double)s->proposals : NAN;
    s->mean_logp = lp / r->n_chains;
    s->mean_length = len / r->n_chains;
    s->wall_seconds = wall_seconds;
    s->tokens_per_second = wall_seconds > 0 ? (double)s->tokens_decoded / wall_seconds : NAN;
    s->proposals_per_second = wall_seconds > 0 ? (double)s->proposals / wall_seconds : NAN;
    s->active_chains = r->active_chains;
    s->mean_batch_rows = r->engine_steps > 0 ? (double)s->tokens_decoded / (double)r->engine_steps : NAN;
    s->host_fraction = r->engine_seconds > 0 ? r->host_seconds / r->engine_seconds : NAN;
    const double sampling = r->host_seconds + r->engine_seconds;
    s->host_share = sampling > 0 ? r->host_seconds / sampling : NAN;
}

int cli_run_write_samples(FILE *f, const psamp_model *m, const psamp_run_result *r, const char *what,
                          psamp_err *err) {
    for (int32_t c = 0; c < r->n_chains; c++) {
        const psamp_chain_result *ch = &r->chains[c];
        char *text;
        size_t len;
        if (psamp_model_decode(m, ch->tokens, ch->n_tokens, &text, &len, err) != 0) return -1;
        fprintf(f, "{\"chain\":%llu,\"tokens\":", (unsigned long long)ch->chain);
        psamp_json_int_array(f, ch->tokens, ch->n_tokens);
        fputs(",\"text\":", f);
        psamp_json_string(f, text, len);
        free(text);
        fputs(",\"logp\":", f);
        psamp_json_number(f, ch->logp_sum);
        fputs(",\"token_logp\":", f);
        psamp_json_float_array(f, ch->logp, ch->n_tokens);
        fprintf(f, ",\"n_tokens\":%d,\"ended\":%s,\"accept_rate\":", ch->n_tokens,
                ch->ended ? "true" : "false");
        psamp_json_number(f, ch->proposals ? (double)ch->accepted / (double)ch->proposals : NAN);
        fprintf(f, ",\"proposals\":%lld,\"proposal_tokens\":%lld,\"tokens_decoded\":%lld,"
                   "\"first_token_drawn\":%d,\"probe_logp\":",
                (long long)ch->proposals, (long long)ch->proposal_tokens, (long long)ch->tokens_decoded,
                ch->first_token_drawn);
        psamp_json_number(f, ch->probe_logp_sum);
        fprintf(f, ",\"probe_tokens\":%lld}\n", (long long)ch->probe_tokens);
    }
    if (ferror(f)) return psamp_fail(err, "%s: write failed", what);
    return 0;
}
