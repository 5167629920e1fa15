/* psamp bench: throughput per chain against chain count for one backend. Power sampling
 * (by default alpha 4, B 64, N 4, 256 new tokens, as the CUDA engine issue sets) on an
 * in-memory random OPT-125M (no download), a checkpoint (--model DIR) or a toy world
 * (--model SPEC.json: MH proposals/s of the sampler itself). Per chain count: aggregate and
 * per-chain tokens/s, proposals/s, the sampler's host time as a fraction of engine time, and
 * on the CPU the machine's cblas_sgemm rate on the model's decode shapes, measured in the
 * same run at the batch the sampler really formed. JSON on stdout (and --out). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "bench_sgemm.h"
#include "cli.h"
#include "cli_progress.h"
#include "cli_run.h"
#include "clock.h"
#include "experiment_config.h"
#include "json_write.h"
#include "model.h"
#include "model_opt.h"
#include "sampler.h"
#include "sweep_points.h"

typedef struct {
    const char *model, *backend, *dtype, *chains, *method, *out;
    int threads, prompt_len, repeat;
    int default_size; /* no --chains: the GPU-sized chain counts */
    double sgemm_seconds;
    uint64_t weights_seed;
    psamp_sampler_config s;
} bench_args;

/* What the runs share: the model (random checkpoint or opened), its prompt, the options. */
typedef struct {
    opt_checkpoint random;   /* used when no --model */
    int have_random;
    psamp_model *model;      /* --model */
    const opt_config *opt;   /* the OPT config (GEMM-rate report), NULL for a toy world or another architecture */
    int32_t *prompt, n_prompt;
    psamp_backend_options bo;
} bench_model;

typedef struct {
    int32_t chains, active; /* chains run, and how many of them decoded at once */
    psamp_run_result r;
    double wall_seconds, setup_seconds;
    char backend[16], detail[160];
    int have_sgemm;
    bench_sgemm_report sgemm;
} bench_run;

static int make_engine(bench_model *bm, const psamp_sampler_config *cfg, psamp_engine **e, psamp_err *err) {
    int32_t slots = psamp_sampler_slots_needed(cfg), max_len = bm->n_prompt + cfg->max_new_tokens;
    if (bm->model) return psamp_model_engine(bm->model, &bm->bo, slots, max_len, e, err);
    return psamp_opt_checkpoint_engine(&bm->random, &bm->bo, slots, max_len, e, err);
}

/* One chain count: the fastest of `repeat` runs, then the sgemm rate at its batch. */
/* The progress of one chain count's runs: repeat r of R at `fraction` is (r + fraction) / R. */
typedef struct {
    cli_progress bar;
    int rep, repeat;
    char label[48];
} bench_progress;

static void on_progress(void *ctx, double fraction) {
    bench_progress *p = ctx;
    cli_progress_update(&p->bar, (p->rep + fraction) / p->repeat);
}

static int run_chains(bench_model *bm, const bench_args *a, int32_t chains, bench_run *out, psamp_err *err) {
    psamp_sampler_config cfg = a->s;
    psamp_engine *e = NULL;
    cfg.n_chains = chains;
    memset(out, 0, sizeof *out);
    out->chains = chains;
    int32_t room, max_len = bm->n_prompt + cfg.max_new_tokens;
    if (psamp_sampler_validate(&cfg, err) != 0 ||
        cli_engine_room(bm->model, &bm->random, &bm->bo, max_len, &room, err) != 0 ||
        cli_fit_chains(room, max_len, 1, &cfg, "psamp bench", err) != 0)
        return psamp_fail_context(err, "--chains %d", chains);
    out->active = psamp_sampler_active_chains(&cfg);
    double t0 = psamp_now_seconds();
    if (make_engine(bm, &cfg, &e, err) != 0) return psamp_fail_context(err, "--chains %d", chains);
    out->setup_seconds = psamp_now_seconds() - t0;
    snprintf(out->backend, sizeof out->backend, "%s", e->info.backend);
    snprintf(out->detail, sizeof out->detail, "%s", e->info.detail);
    bench_progress progress = {.rep = 0, .repeat = a->repeat};
    snprintf(progress.label, sizeof progress.label, "psamp bench: %d chains", (int)chains);
    cli_progress_init(&progress.bar, progress.label);
    psamp_sampler_hooks hooks = {NULL, on_progress, &progress, NULL};
    for (int rep = 0; rep < a->repeat; rep++) {
        psamp_run_result r;
        progress.rep = rep;
        t0 = psamp_now_seconds();
        const int sampled = psamp_sample(e, &cfg, bm->prompt, bm->n_prompt, &hooks, &r, err);
        cli_progress_finish(&progress.bar);
        if (sampled != 0) {
            psamp_engine_destroy(e);
            return psamp_fail_context(err, "--chains %d", chains);
        }
        double wall = psamp_now_seconds() - t0;
        if (rep == 0 || wall < out->wall_seconds) {
            psamp_run_result_free(&out->r);
            out->r = r;
            out->wall_seconds = wall;
        } else {
            psamp_run_result_free(&r);
        }
    }
    psamp_engine_destroy(e);
    if (bm->opt && strcmp(out->backend, "cpu") == 0 && a->sgemm_seconds > 0) {
        int64_t decoded = 0;
        for (int32_t c = 0; c < out->r.n_chains; c++) decoded += out->r.chains[c].tokens_decoded;
        int32_t rows = out->r.engine_steps > 0 ? (int32_t)llround((double)decoded / (double)out->r.engine_steps) : 1;
        if (bench_sgemm_measure(bm->opt, rows > 0 ? rows : 1, a->sgemm_seconds, &out->sgemm, err) != 0) return -1;
        out->have_sgemm = 1;
    }
    return 0;
}

/* ,"key":v -- every field of the report follows another. */
static void json_field(FILE *f, const char *key, double v) {
    fputc(',', f);
    psamp_json_key_number(f, key, v);
}

static void write_run(FILE *f, const bench_model *bm, const bench_run *b) {
    int64_t decoded = 0, output = 0, proposals = 0, accepted = 0;
    for (int32_t c = 0; c < b->r.n_chains; c++) {
        const psamp_chain_result *ch = &b->r.chains[c];
        decoded += ch->tokens_decoded;
        output += ch->n_tokens;
        proposals += ch->proposals;
        accepted += ch->accepted;
    }
    double w = b->wall_seconds, n = b->chains;
    fprintf(f, "{\"chains\":%d,\"active_chains\":%d,\"tokens_decoded\":%lld,\"output_tokens\":%lld,\"proposals\":%lld",
            b->chains, b->active, (long long)decoded, (long long)output, (long long)proposals);
    json_field(f, "wall_seconds", w);
    json_field(f, "tokens_per_second", decoded / w);
    json_field(f, "tokens_per_second_per_chain", decoded / w / n);
    json_field(f, "output_tokens_per_second", output / w);
    json_field(f, "proposals_per_second", proposals / w);
    json_field(f, "proposals_per_second_per_chain", proposals / w / n);
    json_field(f, "accept_rate", proposals ? (double)accepted / (double)proposals : NAN);
    json_field(f, "engine_seconds", b->r.engine_seconds);
    json_field(f, "host_seconds", b->r.host_seconds);
    json_field(f, "host_fraction", b->r.engine_seconds > 0 ? b->r.host_seconds / b->r.engine_seconds : NAN);
    fprintf(f, ",\"engine_steps\":%lld", (long long)b->r.engine_steps);
    json_field(f, "mean_batch_rows", b->r.engine_steps ? (double)decoded / (double)b->r.engine_steps : NAN);
    json_field(f, "engine_setup_seconds", b->setup_seconds);
    if (bm->opt) {
        /* GEMM work the engine did per second of engine time, against the BLAS's own rate. */
        double gflops = bench_gemm_flops_per_token(bm->opt) * (double)decoded / b->r.engine_seconds * 1e-9;
        json_field(f, "engine_gemm_gflops", gflops);
        if (b->have_sgemm) {
            fprintf(f, ",\"sgemm\":{\"rows\":%d,\"step_gflops\":", b->sgemm.rows);
            psamp_json_number(f, b->sgemm.step_gflops);
            fputs(",\"shapes\":[", f);
            for (int i = 0; i < BENCH_SGEMM_SHAPES; i++) {
                const bench_sgemm_shape *s = &b->sgemm.shapes[i];
                fprintf(f, "%s{\"name\":\"%s\",\"out\":%d,\"in\":%d,\"per_token\":%d,\"gflops\":", i ? "," : "", s->name,
                        s->out, s->in, s->per_token);
                psamp_json_number(f, s->gflops);
                fputc('}', f);
            }
            fputs("]}", f);
            json_field(f, "fraction_of_sgemm", gflops / b->sgemm.step_gflops);
        }
    }
    fputc('}', f);
}

/* The CPU's name from /proc/cpuinfo ("unknown" elsewhere). */
static void cpu_name(char *buf, size_t cap) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(buf, cap, "unknown");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) snprintf(buf, cap, "%.*s", (int)strcspn(colon + 2, "\n"), colon + 2);
            break;
        }
    fclose(f);
}

static void write_report(FILE *f, const bench_args *a, const bench_model *bm, const bench_run *runs, int32_t n) {
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    const psamp_sampler_config *s = &a->s;
    fprintf(f, "{\"command\":\"bench\",\"backend\":\"%s\",\"engine\":", n ? runs[0].backend : "?");
    psamp_json_string(f, n ? runs[0].detail : "", n ? strlen(runs[0].detail) : 0);
    fputs(",\"model\":", f);
    const char *model = a->model ? a->model : "random opt-125m (in memory)";
    psamp_json_string(f, model, strlen(model));
    fputs(",\"cpu\":", f);
    psamp_json_string(f, cpu, strlen(cpu));
    fprintf(f, ",\"threads\":%d,\"method\":\"%s\"", a->threads, psamp_method_name(s->method));
    json_field(f, "alpha", s->alpha);
    fprintf(f, ",\"block_size\":%d,\"mcmc_steps\":%d,\"max_new_tokens\":%d,\"prompt_tokens\":%d,\"seed\":%llu,"
               "\"repeat\":%d,\"runs\":[",
            psamp_sampler_block_size(s), s->mcmc_steps, s->max_new_tokens, bm->n_prompt, (unsigned long long)s->seed,
            a->repeat);
    for (int32_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        write_run(f, bm, &runs[i]);
    }
    fputs("]}\n", f);
}

/* Opens the model and makes the prompt: a checkpoint (OPT, Qwen2, Llama, Phi-3) gets its
 * BOS (when config.json has one) + prompt_len - 1 fixed ids (their values do not change the
 * cost), a toy world the empty prompt. The GEMM-rate report is for OPT only. */
static int open_model(bench_model *bm, bench_args *a, psamp_err *err) {
    int32_t max_len, vocab, bos;
    memset(bm, 0, sizeof *bm);
    if (cli_backend_options(a->backend, a->dtype, a->threads, &bm->bo, err) != 0) return -1;
    if (a->model) {
        if (psamp_model_open(&bm->model, a->model, err) != 0) return -1;
        bm->opt = psamp_model_opt(bm->model) ? &psamp_model_opt(bm->model)->cfg : NULL;
        max_len = psamp_model_max_len(bm->model);
        vocab = psamp_model_vocab_size(bm->model);
        bos = psamp_model_bos_id(bm->model);
        if (psamp_model_toy(bm->model)) a->prompt_len = 0;
    } else {
        opt_config cfg = opt_config_125m();
        if (opt_checkpoint_random(&bm->random, &cfg, a->weights_seed, err) != 0) return -1;
        bm->have_random = 1;
        bm->opt = &bm->random.cfg;
        max_len = cfg.max_positions;
        vocab = cfg.vocab_size;
        bos = cfg.bos_id;
    }
    int toy = bm->model && psamp_model_toy(bm->model);
    if (a->s.max_new_tokens == 0) a->s.max_new_tokens = toy ? max_len : 256;
    if (a->s.block_size > a->s.max_new_tokens) a->s.block_size = a->s.max_new_tokens;
    if (a->prompt_len + a->s.max_new_tokens > max_len)
        return psamp_fail(err, "--prompt-len %d + --max-new-tokens %d exceeds the model's %d positions", a->prompt_len,
                          a->s.max_new_tokens, max_len);
    bm->n_prompt = a->prompt_len;
    bm->prompt = malloc(((size_t)bm->n_prompt + 1) * sizeof *bm->prompt);
    if (!bm->prompt) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < bm->n_prompt; i++)
        bm->prompt[i] = i == 0 && bos >= 0 ? bos : vocab > 1000 ? 1000 + 37 * i % (vocab - 1000) : 37 * i % vocab;
    return 0;
}

static void close_model(bench_model *bm) {
    free(bm->prompt);
    psamp_model_close(bm->model);
    if (bm->have_random) opt_checkpoint_close(&bm->random);
}

/* The default chain counts are the GPU workload of benchmarks/RESULTS.md; on a CPU, with
 * the default length, they take about an hour. After the first chain count, says what the
 * rest will decode and about how long at that count's rate (an upper bound: larger batches
 * decode faster per token). */
static void note_cpu_cost(const bench_args *a, const bench_model *bm, const bench_run *first,
                          const int32_t *rest, int32_t n_rest) {
    double tokens = 0.0;
    for (int32_t i = 0; i < n_rest; i++) {
        psamp_sampler_config c = a->s;
        c.n_chains = rest[i];
        tokens += a->repeat * sweep_est_tokens(&c, bm->n_prompt);
    }
    int64_t decoded = 0;
    for (int32_t c = 0; c < first->r.n_chains; c++) decoded += first->r.chains[c].tokens_decoded;
    const double rate = first->wall_seconds > 0 ? (double)decoded / first->wall_seconds : 0.0;
    fprintf(stderr,
            "psamp bench: the default chain counts are sized for a GPU: the others decode about %.3g tokens, "
            "up to %.1f minutes on this CPU at %d chain's rate; for a quick look: --chains 1,8 --max-new-tokens 64\n",
            tokens, rate > 0 ? tokens / rate / 60.0 : 0.0, (int)first->chains);
}

static int run_bench(bench_args *a, psamp_err *err) {
    int32_t *chains = NULL, n_chains = 0;
    bench_run *runs = NULL;
    bench_model bm;
    psamp_atomic_file out = {0};
    int rc = -1;
    memset(&bm, 0, sizeof bm);
    if (experiment_parse_int_list(a->chains, "--chains", &chains, &n_chains, err) != 0) return -1;
    if ((a->out && psamp_atomic_open(&out, a->out, "--out", err) != 0) || open_model(&bm, a, err) != 0) goto done;
    /* Every chain count's settings are checked before the first run. */
    for (int32_t i = 0; i < n_chains; i++) {
        psamp_sampler_config probe = a->s;
        probe.n_chains = chains[i];
        if (psamp_sampler_validate(&probe, err) != 0) goto done;
    }
    runs = n_chains > 0 ? calloc((size_t)n_chains, sizeof *runs) : NULL;
    if (!runs) {
        psamp_fail(err, "out of memory");
        goto done;
    }
    for (int32_t i = 0; i < n_chains; i++) {
        if (run_chains(&bm, a, chains[i], &runs[i], err) != 0) goto done;
        const bench_run *b = &runs[i];
        int64_t decoded = 0;
        for (int32_t c = 0; c < b->r.n_chains; c++) decoded += b->r.chains[c].tokens_decoded;
        fprintf(stderr,
                "psamp bench: %s, %d chains (%d at once): %.1f tokens/s (%.2f per chain), mean batch %.1f rows, "
                "sampler host work %.1f%% of sampling time\n",
                b->backend, b->chains, b->active, decoded / b->wall_seconds, decoded / b->wall_seconds / b->chains,
                b->r.engine_steps ? (double)decoded / (double)b->r.engine_steps : 0.0,
                100.0 * b->r.host_seconds / (b->r.host_seconds + b->r.engine_seconds));
        if (i == 0 && n_chains > 1 && a->default_size && bm.opt && strcmp(b->backend, "cpu") == 0)
            note_cpu_cost(a, &bm, b, chains + 1, n_chains - 1);
    }
    if (out.f) write_report(out.f, a, &bm, runs, n_chains);
    if (out.f && psamp_atomic_commit(&out, err) != 0) goto done;
    write_report(stdout, a, &bm, runs, n_chains);
    rc = 0;
done:
    psamp_atomic_abort(&out);
    for (int32_t i = 0; runs && i < n_chains; i++) psamp_run_result_free(&runs[i].r);
    free(runs);
    free(chains);
    close_model(&bm);
    return rc;
}

int cli_cmd_bench(int argc, char **argv) {
    bench_args a;
    memset(&a, 0, sizeof a);
    a.s = psamp_sampler_defaults();
    a.s.max_new_tokens = 0;
    a.s.block_size = 64;
    a.s.mcmc_steps = 4;
    a.backend = "auto";
    a.dtype = "fp16";
    a.chains = "1,64,256";
    a.method = "power";
    a.prompt_len = 16;
    a.repeat = 1;
    a.sgemm_seconds = 1.0;
    a.weights_seed = 1;
    cli_option opts[] = {
        {"model", CLI_STRING, &a.model, "PATH", "OPT checkpoint dir or toy world (default: random OPT-125M in memory)", 0},
        {"backend", CLI_STRING, &a.backend, "NAME", "auto | cpu | cuda (default auto)", 0},
        {"dtype", CLI_STRING, &a.dtype, "NAME", "cuda weights: fp16 | bf16 (default fp16)", 0},
        {"threads", CLI_INT, &a.threads, "N", "cpu: attention/sampling threads (BLAS: OPENBLAS_NUM_THREADS)", 0},
        {"chains", CLI_STRING, &a.chains, "LIST", "chain counts (default 1,64,256)", 0},
        {"max-active", CLI_INT, &a.s.max_active, "K", "chains decoding at once; the rest queue (default: all that fit in memory)", 0},
        {"method", CLI_STRING, &a.method, "NAME", "sampler method (default power)", 0},
        {"alpha", CLI_DOUBLE, &a.s.alpha, "A", "power: alpha (default 4)", 0},
        {"block-size", CLI_INT, &a.s.block_size, "B", "block size (default 64, at most T)", 0},
        {"mcmc-steps", CLI_INT, &a.s.mcmc_steps, "N", "MH steps per block (default 4)", 0},
        {"proposal-temp", CLI_DOUBLE, &a.s.proposal_temp, "T", "proposal temperature (default 1/alpha)", 0},
        {"temperature", CLI_DOUBLE, &a.s.temperature, "T", "temp/bestofn temperature (default 1)", 0},
        {"best-of", CLI_INT, &a.s.best_of, "N", "bestofn samples (default 8)", 0},
        {"max-new-tokens", CLI_INT, &a.s.max_new_tokens, "T", "new tokens per chain (default 256, the workload of benchmarks/RESULTS.md; toy: its length)", 0},
        {"prompt-len", CLI_INT, &a.prompt_len, "N", "checkpoint prompt tokens, BOS (when the model has one) included (default 16)", 0},
        {"seed", CLI_U64, &a.s.seed, "S", "sampling seed (default 0)", 0},
        {"weights-seed", CLI_U64, &a.weights_seed, "S", "seed of the random weights (default 1)", 0},
        {"repeat", CLI_INT, &a.repeat, "R", "runs per chain count; the fastest is kept (default 1)", 0},
        {"sgemm-seconds", CLI_DOUBLE, &a.sgemm_seconds, "S", "cpu: time spent timing sgemm per chain count (0: skip)", 0},
        {"out", CLI_STRING, &a.out, "FILE.json", "also write the JSON report to a file", 0},
    };
    cli_command cmd = {"bench", "throughput per chain against chain count (tokens/s, proposals/s, host time)",
                       "[--model PATH] [--backend NAME] [--chains 1,64,256] [options]",
                       "Prints one JSON object; a line per chain count goes to stderr as it finishes. The default\n"
                       "chain counts are sized for a GPU: on a CPU, after the first, bench says what the others\n"
                       "will cost (--chains 1,8 --max-new-tokens 64 is a quick look there).", opts,
                       (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    a.default_size = !cli_given(&cmd, "chains");
    const char *bad = NULL;
    if (psamp_method_parse(a.method, &a.s.method, &err) != 0) bad = err.msg;
    else if (cli_given(&cmd, "max-new-tokens") && a.s.max_new_tokens <= 0) bad = "--max-new-tokens must be positive";
    else if (a.s.block_size <= 0) bad = "--block-size must be positive";
    else if (a.prompt_len < 1) bad = "--prompt-len must be at least 1 (the BOS)";
    else if (a.s.max_active < 0) bad = "--max-active must be >= 0 (0: every chain at once)";
    else if (a.repeat < 1) bad = "--repeat must be at least 1";
    else if (a.threads < 0) bad = "--threads must be >= 0";
    else if (a.sgemm_seconds < 0) bad = "--sgemm-seconds must be >= 0";
    else if (cli_given(&cmd, "proposal-temp") && a.s.proposal_temp <= 0) bad = "--proposal-temp must be positive";
    if (bad) {
        fprintf(stderr, "psamp bench: %s\n", bad);
        return 2;
    }
    if (run_bench(&a, &err) != 0) {
        fprintf(stderr, "psamp bench: %s\n", err.msg);
        return 1;
    }
    return 0;
}
