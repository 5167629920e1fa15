/* The tuned GEMM plans (PSAMP_GEMM_TUNE=on, host/engine/cuda/engine_cuda_tune.c) on the CPU mock, whose
 * cuBLASLt offers 4 algorithms with fake device times (mock_blas.c: id 0, the heuristic's
 * first, is the slowest; id 2 is refused; id 1 is the fastest without ReLU, id 3 with it):
 * - a bucket's first step tunes each of its 5 GEMMs once (every candidate warmed up and
 *   timed 3 times, the refused one skipped), then that step, the graph it captures and
 *   its replays run only the fastest algorithm of each GEMM, and nothing is tuned again;
 * - the draws and scores equal the untuned engine's bit for bit (the mock computes the same
 *   numbers with every algorithm), and the untuned engine runs today's calls (cublasGemmEx,
 *   fc1 through the heuristic's first algorithm);
 * - another bucket tunes its own plans; no timing or tuning query ever runs inside a
 *   capture, and tuning there fails; a variant switch drops the plans and the next step
 *   tunes again;
 * - psamp_engine_cuda_time_gemms times the engine's own calls (the fake times of the chosen
 *   algorithms) and tunes a missing row count first. */
#include <stdio.h>
#include <string.h>

#include "engine_cuda.h"
#include "engine_cuda_state.h"
#include "engine_cuda_tune.h"
#include "mock.h"
#include "philox.h"
#include "testlib.h"

#define N_SLOTS 32
#define MAX_LEN 48
#define PLANS 5 /* QKV, out_proj, fc1 (+ ReLU and bias), fc2, lm_head */
#define TIMED 4 /* one warm-up and 3 timed runs per candidate */

typedef struct {
    psamp_test_state *t;
    int layers;
} ctx;

static mock_lt_counts since(const mock_lt_counts *before) {
    mock_lt_counts now = mock_lt_counts_now(), d = now;
    d.tuning_heuristics -= before->tuning_heuristics;
    d.gemm_ex_runs -= before->gemm_ex_runs;
    d.refused -= before->refused;
    d.timing_in_capture -= before->timing_in_capture;
    for (int i = 0; i < MOCK_LT_ALGOS; i++) d.runs[i] -= before->runs[i];
    return d;
}

static psamp_engine *make(psamp_test_state *t, const opt_checkpoint *ck, int tune) {
    psamp_cuda_options o = {.dtype = PSAMP_F32};
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    psamp_cuda_variants v;
    memset(&v, 0, sizeof v);
    v.gemm_tune = tune ? PSAMP_CUDA_GEMM_TUNE_ON : PSAMP_CUDA_GEMM_TUNE_OFF;
    CHECK(t, psamp_engine_cuda_create(ck, N_SLOTS, MAX_LEN, &o, &e, &err) == 0 &&
                 psamp_engine_cuda_set_variants(e, &v, &err) == 0,
          "engine: %s", err.msg);
    return e;
}

/* Prefills slots 0..n-1 with prompts of 2..9 tokens. */
static int prefill(psamp_engine *e, int n, psamp_err *err) {
    for (int s = 0; s < n; s++) {
        int32_t seq[16];
        const int len = 2 + s % 8;
        seq[0] = 2;
        for (int i = 1; i < len; i++) seq[i] = (int32_t)((37 * i + 101 * s + 5) % 1024);
        if (e->ops->prefill(e, s, seq, len, 1.0f, NULL, err)) return -1;
    }
    return 0;
}

/* One step of slots 0..n-1 at tau 0.8, each slot its own chain. */
static int step(psamp_engine *e, int n, int counter, psamp_step_result *out, psamp_err *err) {
    psamp_step_request q[N_SLOTS];
    for (int i = 0; i < n; i++)
        q[i] = (psamp_step_request){i, 0.8f, 77, psamp_stream_tokens((uint64_t)i),
                                    (uint64_t)counter};
    return e->ops->step(e, q, n, out, err);
}

static int32_t plans_of(const psamp_engine *e) {
    int32_t plans = 0;
    double seconds = 0.0;
    psamp_engine_cuda_tune_stats(e, &plans, &seconds);
    return plans;
}

/* The first step of bucket 16 tunes; two more replay its graph; the untuned engine draws
 * the same. */
static void check_first_bucket(ctx *c, psamp_engine *tuned, psamp_engine *plain) {
    psamp_test_state *t = c->t;
    const long per_step_plain = 3L * c->layers + 1, per_step_fc1 = c->layers;
    psamp_step_result a[3][N_SLOTS], b[3][N_SLOTS];
    psamp_err err = {{0}};
    int ok = prefill(tuned, 16, &err) == 0 && prefill(plain, 16, &err) == 0;
    CHECK(t, ok, "prefill: %s", err.msg);
    if (!ok) return;
    mock_lt_counts c0 = mock_lt_counts_now();
    ok = step(tuned, 16, 0, a[0], &err) == 0;
    CHECK(t, ok, "first tuned step: %s", err.msg);
    if (!ok) return;
    mock_lt_counts d = since(&c0);
    CHECK(t, d.tuning_heuristics == PLANS && plans_of(tuned) == PLANS,
          "first step: %ld tuning queries, %d plans (want %d)", d.tuning_heuristics,
          plans_of(tuned), PLANS);
    CHECK(t, d.refused == PLANS, "the refused candidate: tried %ld times (want once per GEMM)",
          d.refused);
    CHECK(t, d.runs[0] == TIMED * PLANS, "algorithm 0 ran %ld times: only its timing (%d)",
          d.runs[0], TIMED * PLANS);
    CHECK(t, d.runs[1] == TIMED * PLANS + per_step_plain,
          "algorithm 1: %ld runs (timed for 5 GEMMs, then every GEMM without ReLU)", d.runs[1]);
    CHECK(t, d.runs[3] == TIMED * PLANS + per_step_fc1,
          "algorithm 3: %ld runs (timed for 5 GEMMs, then every fc1)", d.runs[3]);
    CHECK(t, d.runs[2] == 0 && d.gemm_ex_runs == 0, "refused algorithm or cublasGemmEx ran");
    c0 = mock_lt_counts_now();
    for (int s = 1; s < 3 && ok; s++) ok = step(tuned, 16, s, a[s], &err) == 0;
    CHECK(t, ok, "tuned replays: %s", err.msg);
    d = since(&c0);
    CHECK(t, d.tuning_heuristics == 0 && d.runs[0] == 0 && d.refused == 0 && d.gemm_ex_runs == 0,
          "replays tuned again or ran an untuned GEMM");
    CHECK(t, d.runs[1] == 2 * per_step_plain && d.runs[3] == 2 * per_step_fc1,
          "replays ran algorithms 1 and 3 %ld and %ld times (want %ld and %ld)", d.runs[1],
          d.runs[3], 2 * per_step_plain, 2 * per_step_fc1);
    c0 = mock_lt_counts_now();
    for (int s = 0; s < 3 && ok; s++) ok = step(plain, 16, s, b[s], &err) == 0;
    CHECK(t, ok, "untuned steps: %s", err.msg);
    d = since(&c0);
    CHECK(t, d.tuning_heuristics == 0 && d.runs[1] == 0 && d.runs[3] == 0 &&
                 d.runs[0] == 3 * per_step_fc1 && d.gemm_ex_runs == 3 * per_step_plain,
          "untuned engine: %ld tuning queries, runs %ld/%ld/%ld, cublasGemmEx %ld", d.tuning_heuristics,
          d.runs[0], d.runs[1], d.runs[3], d.gemm_ex_runs);
    int same = 1;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 16; i++)
            same &= a[s][i].token == b[s][i].token && a[s][i].logp == b[s][i].logp &&
                    a[s][i].logq == b[s][i].logq;
    CHECK(t, same, "tuned and untuned steps differ");
}

/* Bucket 32 tunes its own plans; the engine's GEMMs timed alone add up the chosen
 * algorithms' fake times; a row count without plans is tuned first. */
static void check_more_buckets(ctx *c, psamp_engine *tuned, psamp_engine *plain) {
    psamp_test_state *t = c->t;
    psamp_step_result r[N_SLOTS];
    psamp_err err = {{0}};
    int ok = prefill(tuned, 20, &err) == 0;
    mock_lt_counts c0 = mock_lt_counts_now();
    ok = ok && step(tuned, 20, 0, r, &err) == 0; /* padded to 32 rows */
    CHECK(t, ok, "20-row step: %s", err.msg);
    mock_lt_counts d = since(&c0);
    CHECK(t, d.tuning_heuristics == PLANS && plans_of(tuned) == 2 * PLANS,
          "bucket 32: %ld tuning queries, %d plans held", d.tuning_heuristics, plans_of(tuned));
    /* Per step: 3 GEMMs a layer + lm_head at 1 ms (algorithm 1), fc1 at 1 ms (algorithm 3);
     * untuned 3 ms each. */
    const double tuned_ms = 3.0 * c->layers + 1 + c->layers, untuned_ms = 3.0 * tuned_ms;
    double sec = 0.0;
    c0 = mock_lt_counts_now();
    CHECK(t, psamp_engine_cuda_time_gemms(tuned, 16, &sec, &err) == 0, "time_gemms: %s", err.msg);
    CHECK_NEAR(t, sec * 1e3, tuned_ms, 1e-6, "tuned GEMMs at 16 rows, ms");
    CHECK(t, since(&c0).tuning_heuristics == 0, "time_gemms tuned a row count that has plans");
    CHECK(t, psamp_engine_cuda_time_gemms(plain, 16, &sec, &err) == 0, "time_gemms: %s", err.msg);
    CHECK_NEAR(t, sec * 1e3, untuned_ms, 1e-6, "untuned GEMMs at 16 rows, ms");
    c0 = mock_lt_counts_now();
    CHECK(t, psamp_engine_cuda_time_gemms(tuned, 24, &sec, &err) == 0, "time_gemms: %s", err.msg);
    CHECK_NEAR(t, sec * 1e3, tuned_ms, 1e-6, "tuned GEMMs at 24 rows, ms");
    CHECK(t, since(&c0).tuning_heuristics == PLANS, "time_gemms at 24 rows tuned %ld GEMMs",
          since(&c0).tuning_heuristics);
    const int32_t too_many = ((const cuda_engine *)tuned)->rows_cap + 1;
    char want[32];
    snprintf(want, sizeof want, "rows %d outside", too_many);
    CHECK(t, psamp_engine_cuda_time_gemms(tuned, too_many, &sec, &err) == -1 &&
                 strstr(err.msg, want) != NULL,
          "time_gemms past the rows a forward pass carries: %s", err.msg);
}

/* Tuning inside a capture fails (the guard under the bucket logic). */
static void check_capture_guard(ctx *c, psamp_engine *tuned) {
    psamp_test_state *t = c->t;
    cuda_engine *e = (cuda_engine *)tuned;
    psamp_err err = {{0}};
    cudaGraph_t graph = NULL;
    CHECK(t, cudaStreamBeginCapture(e->stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess,
          "begin capture");
    const cuda_gemm_plan *plan = NULL;
    e->tune_pass = 1;
    const int rc = cuda_tuned_plan(e, &e->main_lane, CUDA_LT_PLAIN, e->d.h, e->w.lm_head,
                                   NULL, e->d.logits, 40, e->cfg.vocab_size, e->cfg.hidden,
                                   &plan, &err);
    e->tune_pass = 0;
    (void)cudaStreamEndCapture(e->stream, &graph);
    if (graph) (void)cudaGraphDestroy(graph);
    CHECK(t, rc == -1 && strstr(err.msg, "inside a stream capture") != NULL,
          "tuning inside a capture: rc %d, %s", rc, err.msg);
}

/* A switch drops the plans; the next step of the same bucket tunes again; untuned
 * variants run no plan. */
static void check_switch(ctx *c, psamp_engine *tuned) {
    psamp_test_state *t = c->t;
    psamp_step_result r[N_SLOTS];
    psamp_err err = {{0}};
    psamp_cuda_variants v = psamp_engine_cuda_variants(tuned);
    v.norm = PSAMP_CUDA_NORM_LOOP;
    CHECK(t, psamp_engine_cuda_set_variants(tuned, &v, &err) == 0 && plans_of(tuned) == 0,
          "switch: %s, %d plans left", err.msg, plans_of(tuned));
    mock_lt_counts c0 = mock_lt_counts_now();
    CHECK(t, prefill(tuned, 16, &err) == 0 && step(tuned, 16, 0, r, &err) == 0, "step: %s", err.msg);
    CHECK(t, since(&c0).tuning_heuristics == PLANS && plans_of(tuned) == PLANS,
          "after a switch: %ld tuning queries", since(&c0).tuning_heuristics);
    v.gemm_tune = PSAMP_CUDA_GEMM_TUNE_OFF;
    CHECK(t, psamp_engine_cuda_set_variants(tuned, &v, &err) == 0, "switch: %s", err.msg);
    c0 = mock_lt_counts_now();
    CHECK(t, step(tuned, 16, 1, r, &err) == 0, "step: %s", err.msg);
    mock_lt_counts d = since(&c0);
    CHECK(t, d.tuning_heuristics == 0 && d.runs[1] == 0 && d.runs[3] == 0 && d.gemm_ex_runs > 0,
          "tune off: %ld tuning queries, %ld/%ld tuned runs", d.tuning_heuristics, d.runs[1],
          d.runs[3]);
}

int main(void) {
    psamp_test_state t = {0, 0};
    opt_checkpoint ck;
    psamp_err err = {{0}};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/opt-tiny-pre", PSAMP_FIXTURES);
    const int opened = opt_checkpoint_open(&ck, dir, &err) == 0;
    CHECK(&t, opened, "%s: %s", dir, err.msg);
    if (!opened) return psamp_test_finish(&t, "test_mock_gemm_tune");
    ctx c = {&t, ck.cfg.n_layers};
    psamp_engine *tuned = make(&t, &ck, 1), *plain = make(&t, &ck, 0);
    if (tuned && plain) {
        check_first_bucket(&c, tuned, plain);
        check_more_buckets(&c, tuned, plain);
        check_capture_guard(&c, tuned);
        check_switch(&c, tuned);
        CHECK(&t, mock_lt_counts_now().timing_in_capture == 0,
              "%ld timing or tuning queries inside captures",
              mock_lt_counts_now().timing_in_capture);
    }
    psamp_engine_destroy(tuned);
    psamp_engine_destroy(plain);
    opt_checkpoint_close(&ck);
    return psamp_test_finish(&t, "test_mock_gemm_tune");
}
