/* The CUDA engine for Qwen2 / Llama / Phi-3 checkpoints (psamp_engine_cuda_decoder_create)
 * against the fp32 CPU engine for them (psamp_engine_cpu_decoder_create), both driven through
 * host/engine/engine.h only, on the transformers-written fixtures: Qwen2 with q/k/v biases and
 * GQA (fp32, bf16), MQA stored as bf16, Llama with llama3 RoPE (fp32) and MHA (fp16), Phi-3
 * with fused projections and longrope (fp32, fp16; original context 32, so prompts, steps and
 * forks here cross it and the engines rebuild their caches with the long factors).
 * - prefill log p per token at tau 1 and 0.5 (prompts of 1 to 45 tokens; 45 crosses Phi-3's
 *   switch, so that prefill runs in two chunks with a rebuild between them);
 * - continuations, greedy and sampled at tau 0.8 and 1: the GPU's steps' log p (and log q at
 *   tau 1) equal the CPU engine's score of the GPU's own sequence; in fp32 the tokens equal
 *   the CPU's own steps, in 16-bit dtypes a different greedy token must be a near tie;
 * - one batched step of four slots at mixed lengths (the graph of an 8-row bucket, padded)
 *   on both engines with the same requests: tokens, log p and log q;
 * - forks (a copy to another slot, a truncation in place, a copy onto a slot that held other
 *   tokens; for Phi-3 from beyond the switch back inside it and beyond it), then a step of
 *   every slot on both engines;
 * then on the GPU alone: a second EOS id of config.json ends a sequence, the variants the
 * engine does not take and OPT's GEMM timing are refused, and a KV cache beyond the card
 * fails naming the slots that would fit.
 * Usage: test_gpu_engine_decoder [--model NAME | --errors-only] (one fixture's cases only, or
 * the GPU-alone checks only; the emulator build runs one test per fixture and one of those). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_checkpoint.h"
#include "engine_cpu_decoder.h"
#include "engine_cuda.h"
#include "engine_testlib.h"
#include "gpu_test.h"

#define N_SLOTS 4
#define MAX_LEN 48
#define STEPS 12

/* |log p| agreement with the fp32 CPU engine. fp32 differs by summation order only (1e-4, as
 * test_gpu_engine.c holds OPT). In 16-bit dtypes the weights, GEMM inputs and KV are rounded:
 * on the block emulator, which runs the kernels' own code and roundings, these fixtures reach
 * 1.9e-2 (fp16) and 9.7e-2 (bf16; 1.5e-1 for log q at tau 0.5, which doubles the logits'
 * errors), about what OPT's fixtures reach under test_gpu_engine.c's 2e-2 and 1e-1; the
 * bounds leave half as much again for cuBLAS's own summation order on a GPU. */
static double logp_tol(psamp_dtype dt) {
    return dt == PSAMP_F32 ? 1e-4 : dt == PSAMP_F16 ? 3e-2 : 1.5e-1;
}

typedef struct {
    psamp_test_state *t;
    psamp_dtype dt;
    psamp_engine *cpu, *gpu;
    psamp_engine *scorer;                /* a one-slot CPU engine that scores the GPU's sequences */
    int32_t tokens[N_SLOTS][MAX_LEN];    /* what each of the GPU engine's slots holds */
    int32_t len[N_SLOTS];
    char label[64];
} pair;

static double gap(float a, float b) { return isnan(a) || isnan(b) ? INFINITY : fabs((double)a - (double)b); }

static void check_prefill(pair *p) {
    const int lens[] = {1, 2, 9, 31, 45};
    const float taus[] = {1.0f, 0.5f};
    for (int k_tau = 0; k_tau < 2; k_tau++) {
        double worst = 0.0;
        for (int k = 0; k < 5; k++) {
            int32_t seq[MAX_LEN];
            float a[MAX_LEN], b[MAX_LEN];
            psamp_err err = {{0}};
            test_prompt_of(seq, lens[k], k);
            const int ok = p->cpu->ops->prefill(p->cpu, 0, seq, lens[k], taus[k_tau], a, &err) == 0 &&
                           p->gpu->ops->prefill(p->gpu, 0, seq, lens[k], taus[k_tau], b, &err) == 0;
            CHECK(p->t, ok, "%s: prefill of %d: %s", p->label, lens[k], err.msg);
            if (!ok) return;
            for (int i = 0; i < lens[k]; i++) worst = fmax(worst, gap(a[i], b[i]));
        }
        report_row(p->t, k_tau == 0 ? "decoder engine prefill" : "decoder engine prefill tau=0.5", p->label,
                   "max_dlogp", worst, logp_tol(p->dt) / taus[k_tau]);
    }
}

/* The CPU engine's log p of every token of seq[0..n) (slot N_SLOTS - 1 as scratch). */
static int cpu_score(pair *p, const int32_t *seq, int n, float *logp) {
    psamp_err err = {{0}};
    const int rc = p->cpu->ops->prefill(p->cpu, N_SLOTS - 1, seq, n, 1.0f, logp, &err);
    CHECK(p->t, rc == 0, "%s: cpu scoring: %s", p->label, err.msg);
    return rc;
}

/* Continuations of three prompts (the last from 27 tokens: its steps cross position 32). */
static void check_continuations(pair *p, float tau) {
    double worst = 0.0;
    int differ = 0;
    for (int k = 0; k < 3; k++) {
        int32_t g[MAX_LEN], c[MAX_LEN];
        float g_logp[MAX_LEN], g_logq[MAX_LEN], score[MAX_LEN];
        const int n0 = k == 2 ? 27 : 1 + 6 * k;
        psamp_err err = {{0}};
        test_prompt_of(g, n0, 10 + k);
        memcpy(c, g, sizeof(int32_t) * (size_t)n0);
        int ok = p->cpu->ops->prefill(p->cpu, 1, c, n0, 1.0f, NULL, &err) == 0 &&
                 p->gpu->ops->prefill(p->gpu, 1, g, n0, 1.0f, NULL, &err) == 0;
        for (int s = 0; ok && s < STEPS; s++) {
            psamp_step_request q = test_req(1, tau, (uint64_t)k, (uint64_t)s);
            psamp_step_result rc, rg;
            ok = p->cpu->ops->step(p->cpu, &q, 1, &rc, &err) == 0 && p->gpu->ops->step(p->gpu, &q, 1, &rg, &err) == 0;
            c[n0 + s] = rc.token;
            g[n0 + s] = rg.token;
            g_logp[n0 + s] = rg.logp;
            g_logq[n0 + s] = rg.logq;
        }
        CHECK(p->t, ok, "%s: continuation: %s", p->label, err.msg);
        if (!ok || cpu_score(p, g, n0 + STEPS, score)) return;
        for (int i = n0; i < n0 + STEPS; i++) {
            worst = fmax(worst, gap(g_logp[i], score[i]));
            if (tau == 1.0f) worst = fmax(worst, gap(g_logq[i], score[i]));
        }
        int first = -1;
        for (int i = n0; i < n0 + STEPS && first < 0; i++)
            if (g[i] != c[i]) first = i;
        if (first < 0) continue;
        differ++;
        if (tau > 0.0f) continue; /* sampled: a draw near a CDF boundary may differ */
        float alt[MAX_LEN];
        if (cpu_score(p, c, first + 1, alt)) return;
        const double tie = alt[first] - score[first];
        CHECK(p->t, p->dt != PSAMP_F32 && tie <= 2.0 * logp_tol(p->dt),
              "%s: greedy token %d at %d differs from the cpu's %d (log p gap %.4f)", p->label, g[first], first,
              c[first], tie);
    }
    report_row(p->t, tau == 0.0f ? "decoder engine greedy" : tau == 1.0f ? "decoder engine tau=1" : "decoder engine sampled",
               p->label, "max_dlogp", worst, logp_tol(p->dt));
    CHECK(p->t, p->dt != PSAMP_F32 || differ == 0, "%s tau %.1f: %d continuations differ from the cpu's", p->label,
          tau, differ);
    if (differ) printf("  %s tau %.1f: %d of 3 continuations left the cpu's\n", p->label, tau, differ);
}

/* The CPU's score of the GPU's slot s as it is now: |log p| and |log q| gaps to the GPU's last
 * step r of it at temperature tau. */
static double against_score(pair *p, int32_t s, float tau, const psamp_step_result *r) {
    float lp[MAX_LEN], lq[MAX_LEN];
    psamp_err err = {{0}};
    const int32_t n = p->len[s];
    int ok = p->scorer->ops->prefill(p->scorer, 0, p->tokens[s], n, 1.0f, lp, &err) == 0;
    if (ok && tau > 0.0f) ok = p->scorer->ops->prefill(p->scorer, 0, p->tokens[s], n, tau, lq, &err) == 0;
    CHECK(p->t, ok, "%s: scoring slot %d: %s", p->label, s, err.msg);
    if (!ok) return INFINITY;
    return fmax(gap(r->logp, lp[n - 1]), tau > 0.0f ? gap(r->logq, lq[n - 1]) : 0.0);
}

/* The same step requests on both engines. Every GPU result is checked against the CPU's score
 * of the GPU's own sequence (the worst gap is returned); tokens that differ from the CPU
 * engine's draws are counted into *differ (in 16-bit dtypes a draw near a CDF boundary may). */
static double step_both(pair *p, const psamp_step_request *q, int n, int *differ, const char *what) {
    psamp_step_result a[N_SLOTS], b[N_SLOTS];
    psamp_err err = {{0}};
    const int ok = p->cpu->ops->step(p->cpu, q, n, a, &err) == 0 && p->gpu->ops->step(p->gpu, q, n, b, &err) == 0;
    CHECK(p->t, ok, "%s: %s: %s", p->label, what, err.msg);
    if (!ok) return INFINITY;
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        const int32_t s = q[i].slot;
        p->tokens[s][p->len[s]++] = b[i].token;
        worst = fmax(worst, against_score(p, s, q[i].tau, &b[i]));
        if (a[i].token != b[i].token) {
            (*differ)++;
            continue;
        }
        worst = fmax(worst, fmax(gap(a[i].logp, b[i].logp), gap(a[i].logq, b[i].logq)));
        CHECK(p->t, a[i].ended == b[i].ended, "%s: %s: slot %d ended %d vs %d", p->label, what, s, b[i].ended,
              a[i].ended);
    }
    return worst;
}

/* Prefills slot s of both engines with a prompt of n tokens (pattern k). */
static int prefill_both(pair *p, int32_t s, int n, int k) {
    psamp_err err = {{0}};
    test_prompt_of(p->tokens[s], n, k);
    p->len[s] = n;
    const int ok = p->cpu->ops->prefill(p->cpu, s, p->tokens[s], n, 1.0f, NULL, &err) == 0 &&
                   p->gpu->ops->prefill(p->gpu, s, p->tokens[s], n, 1.0f, NULL, &err) == 0;
    CHECK(p->t, ok, "%s: prefill slot %d: %s", p->label, s, err.msg);
    return ok;
}

/* The same forks on both engines and on the record of the GPU's slots. */
static int fork_both(pair *p, const psamp_fork_request *f, int n) {
    psamp_err err = {{0}};
    const int ok = p->cpu->ops->fork(p->cpu, f, n, &err) == 0 && p->gpu->ops->fork(p->gpu, f, n, &err) == 0;
    CHECK(p->t, ok, "%s: fork: %s", p->label, err.msg);
    for (int i = 0; ok && i < n; i++) {
        if (f[i].dst != f[i].src) memcpy(p->tokens[f[i].dst], p->tokens[f[i].src], sizeof(int32_t) * (size_t)f[i].keep);
        p->len[f[i].dst] = f[i].keep;
    }
    return ok;
}

/* Four slots at mixed lengths (two across Phi-3's switch) stepped together, three rounds. */
static void check_batch(pair *p) {
    const int lens[N_SLOTS] = {5, 40, 17, 31};
    for (int s = 0; s < N_SLOTS; s++)
        if (!prefill_both(p, s, lens[s], 20 + s)) return;
    double worst = 0.0;
    int differ = 0;
    for (int round = 0; round < 3; round++) {
        psamp_step_request q[N_SLOTS];
        for (int i = 0; i < N_SLOTS; i++) {
            const int s = (i * 3) % N_SLOTS; /* out of slot order */
            q[i] = test_req(s, 0.5f + 0.25f * (float)(s % 3), (uint64_t)s, (uint64_t)round);
        }
        worst = fmax(worst, step_both(p, q, round == 1 ? 3 : N_SLOTS, &differ, "batched step"));
    }
    CHECK(p->t, p->dt != PSAMP_F32 || differ == 0, "%s: batched steps: %d draws differ from the cpu's", p->label,
          differ);
    if (differ) printf("  %s: batched steps: %d draws left the cpu's\n", p->label, differ);
    report_row(p->t, "decoder engine batched step", p->label, "max_dlogp", worst, logp_tol(p->dt));
}

/* Forks on both engines, then every slot steps. keep 38 and 20 from a 45-token slot cross
 * Phi-3's switch: the copy keeps the long set, and the truncated slot's next row (position
 * 19) is back inside the original context, so its cache is rebuilt with the short set. */
static void check_fork(pair *p) {
    const int keeps[][2] = {{12, 15}, {38, 20}, {2, 45}};
    double worst = 0.0;
    int differ = 0;
    for (int k = 0; k < 3; k++) {
        if (!prefill_both(p, 0, 45, 3) || !prefill_both(p, 2, 7, 4) || !prefill_both(p, 3, 30, 5)) return;
        /* copy 0 -> 2 (which held other tokens) and 3 -> 1 in one call, then truncate 0 in place
         * (a slot may not be a copy's source and another fork's destination in one call) */
        const psamp_fork_request f[2] = {{2, 0, keeps[k][0]}, {1, 3, 1 + 9 * k}}, trunc = {0, 0, keeps[k][1]};
        if (!fork_both(p, f, 2) || !fork_both(p, &trunc, 1)) return;
        psamp_step_request q[N_SLOTS];
        for (int s = 0; s < N_SLOTS; s++) q[s] = test_req(s, 0.7f, (uint64_t)(9 + s), (uint64_t)k);
        worst = fmax(worst, step_both(p, q, N_SLOTS, &differ, "step after fork"));
        worst = fmax(worst, step_both(p, q + 1, 2, &differ, "second step after fork"));
    }
    CHECK(p->t, p->dt != PSAMP_F32 || differ == 0, "%s: %d draws after forks differ from the cpu's", p->label,
          differ);
    if (differ) printf("  %s: steps after forks: %d draws left the cpu's\n", p->label, differ);
    report_row(p->t, "decoder engine fork", p->label, "max_dlogp", worst, logp_tol(p->dt));
}

static psamp_engine *make_gpu(psamp_test_state *t, const decoder_checkpoint *ck, int32_t n_slots, psamp_dtype dt) {
    psamp_cuda_options o = {.dtype = dt};
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    CHECK(t, psamp_engine_cuda_decoder_create(ck, n_slots, MAX_LEN, &o, &e, &err) == 0, "cuda engine (%s): %s",
          dtype_label(dt), err.msg);
    return e;
}

static void check_model(psamp_test_state *t, const char *model, psamp_dtype dt) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, model);
    decoder_checkpoint ck;
    psamp_err err = {{0}};
    const int opened = decoder_checkpoint_open(&ck, dir, &err) == 0;
    CHECK(t, opened, "%s: %s", model, err.msg);
    if (!opened) return;
    pair p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.dt = dt;
    snprintf(p.label, sizeof p.label, "%s/%s", model, dtype_label(dt));
    psamp_cpu_options co = {1};
    CHECK(t, psamp_engine_cpu_decoder_create(&ck, N_SLOTS, MAX_LEN, &co, &p.cpu, &err) == 0, "cpu engine: %s",
          err.msg);
    CHECK(t, psamp_engine_cpu_decoder_create(&ck, 1, MAX_LEN, &co, &p.scorer, &err) == 0, "cpu scorer: %s",
          err.msg);
    p.gpu = make_gpu(t, &ck, N_SLOTS, dt);
    if (p.cpu && p.scorer && p.gpu) {
        printf("%s: %s\n", p.label, p.gpu->info.detail);
        check_prefill(&p);
        check_continuations(&p, 0.0f);
        check_continuations(&p, 0.8f);
        check_continuations(&p, 1.0f);
        check_batch(&p);
        check_fork(&p);
    }
    psamp_engine_destroy(p.cpu);
    psamp_engine_destroy(p.scorer);
    psamp_engine_destroy(p.gpu);
    decoder_checkpoint_close(&ck);
}

/* A second eos_token_id of config.json ends a sequence; refusals; the memory plan. */
static void check_eos_and_errors(psamp_test_state *t) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, "llama-tiny-gqa-llama3rope");
    decoder_checkpoint ck;
    psamp_err err = {{0}};
    if (decoder_checkpoint_open(&ck, dir, &err) != 0) {
        CHECK(t, 0, "eos: %s", err.msg);
        return;
    }
    psamp_engine *a = make_gpu(t, &ck, 2, PSAMP_F32);
    int32_t prompt[3];
    test_prompt_of(prompt, 3, 1);
    psamp_step_request q = test_req(0, 0.0f, 0, 0);
    psamp_step_result r = {0}, again = {0};
    if (a) {
        CHECK(t, a->ops->prefill(a, 0, prompt, 3, 1.0f, NULL, &err) == 0 && a->ops->step(a, &q, 1, &r, &err) == 0,
              "greedy step: %s", err.msg);
        CHECK(t, r.ended == 0, "a token that is no EOS ended the sequence");
        psamp_cuda_variants v = psamp_engine_cuda_variants(a);
        v.overlap = PSAMP_CUDA_OVERLAP_HALVES;
        test_expect_fail(t, psamp_engine_cuda_set_variants(a, &v, &err), &err, "overlap on a decoder", "OPT only");
        double s;
        test_expect_fail(t, psamp_engine_cuda_time_gemms(a, 1, &s, &err), &err, "time_gemms on a decoder",
                         "OPT's GEMMs");
        v.overlap = PSAMP_CUDA_OVERLAP_OFF;
        v.sample = PSAMP_CUDA_SAMPLE_THREEPASS;
        CHECK(t, psamp_engine_cuda_set_variants(a, &v, &err) == 0 && strstr(a->info.detail, "threepass"),
              "sampler variant on a decoder: %s (%s)", err.msg, a->info.detail);
        CHECK(t, a->ops->prefill(a, 0, prompt, 3, 1.0f, NULL, &err) == 0 && a->ops->step(a, &q, 1, &again, &err) == 0,
              "greedy step, threepass: %s", err.msg);
        CHECK(t, again.token == r.token && fabs(again.logp - r.logp) < 1e-5, "threepass sampler: %d (%g) vs %d (%g)",
              again.token, again.logp, r.token, r.logp);
        psamp_engine_destroy(a);
    }
    const int32_t saved = ck.cfg.eos_ids[1];
    ck.cfg.eos_ids[1] = r.token; /* not the first id: the engine's own list, not the slot table's */
    psamp_engine *b = make_gpu(t, &ck, 2, PSAMP_F32);
    ck.cfg.eos_ids[1] = saved;
    if (b) {
        CHECK(t, b->ops->prefill(b, 0, prompt, 3, 1.0f, NULL, &err) == 0 && b->ops->step(b, &q, 1, &again, &err) == 0,
              "greedy step: %s", err.msg);
        CHECK(t, again.token == r.token && again.ended == 1, "the second eos_token_id ends the sequence");
        psamp_engine_destroy(b);
    }
    psamp_cuda_options o = {.dtype = PSAMP_F16};
    psamp_engine *e = NULL;
    int32_t fit = 0;
    CHECK(t, psamp_engine_cuda_decoder_max_slots(&ck, MAX_LEN, &o, &fit, &err) == 0 && fit > 0, "max slots: %s (%d)",
          err.msg, fit);
    test_expect_fail(t, psamp_engine_cuda_decoder_create(&ck, 4000000, MAX_LEN, &o, &e, &err), &err,
                     "huge KV cache", "would fit");
    o.dtype = (psamp_dtype)7;
    test_expect_fail(t, psamp_engine_cuda_decoder_create(&ck, 2, 16, &o, &e, &err), &err, "bad dtype", "dtype");
    o = (psamp_cuda_options){.dtype = PSAMP_F16, .device = 999};
    test_expect_fail(t, psamp_engine_cuda_decoder_create(&ck, 2, 16, &o, &e, &err), &err, "bad device",
                     "device 999");
    o.device = 0;
    o.kv_fp8 = 1;
    test_expect_fail(t, psamp_engine_cuda_decoder_create(&ck, 2, 16, &o, &e, &err), &err, "fp8 KV",
                     "fp8 KV cache is for OPT models only");
    o.kv_fp8 = 0;
    test_expect_fail(t, psamp_engine_cuda_decoder_create(&ck, 2, 100000, &o, &e, &err), &err, "max_len",
                     "max_position_embeddings");
    CHECK(t, e == NULL, "no engine on failure");
    decoder_checkpoint_close(&ck);
}

static const struct {
    const char *model;
    psamp_dtype dt;
} CASES[] = {
    {"qwen2-tiny-gqa", PSAMP_F32},           {"qwen2-tiny-gqa", PSAMP_BF16},
    {"qwen2-tiny-mqa-bf16", PSAMP_BF16},     {"llama-tiny-gqa-llama3rope", PSAMP_F32},
    {"llama-tiny-mha-f16", PSAMP_F16},       {"phi3-tiny-longrope", PSAMP_F32},
    {"phi3-tiny-longrope", PSAMP_F16},
};
#define N_CASES ((int)(sizeof CASES / sizeof CASES[0]))

int main(int argc, char **argv) {
    const char *only = NULL;
    int errors_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            only = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--errors-only") == 0) {
            errors_only = 1;
            continue;
        }
        fprintf(stderr, "test_gpu_engine_decoder: bad argument '%s' (usage: [--model NAME | --errors-only])\n",
                argv[i]);
        return 2;
    }
    const int gate = gpu_test_begin("test_gpu_engine_decoder");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    if (!errors_only) {
        int ran = 0;
        for (int k = 0; k < N_CASES; k++)
            if (!only || strcmp(only, CASES[k].model) == 0) {
                check_model(&t, CASES[k].model, CASES[k].dt);
                ran++;
            }
        CHECK(&t, ran > 0, "--model %s: no such fixture among the cases", only ? only : "");
    }
    if (!only) check_eos_and_errors(&t);
    return psamp_test_finish(&t, "test_gpu_engine_decoder");
}
