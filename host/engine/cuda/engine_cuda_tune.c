/* Tuned cuBLASLt plans for the step's GEMMs (PSAMP_GEMM_TUNE=on).
 *
 * At a step's row counts (M = 1024 rows: N = 768, 2304 or 3072 outputs, K = 768 or 3072)
 * a GEMM has few output tiles for the GPU's SMs, and the heuristic's first pick (what
 * cublasGemmEx's default and the fc1 epilogue run today) is not always the fastest: split-K,
 * smaller tiles or stream-K candidates can win. So each distinct GEMM of a batch size (its
 * shape, whether it is fc1's ReLU + bias epilogue, and its pointers' alignments, which the
 * candidates assume) gets its descriptors built once, up to 8 of the heuristic's candidates
 * each run on the real buffers (one warm-up, then 3 runs timed with events on the lane's
 * stream; a candidate cublasLtMatmul refuses is skipped) and the fastest kept in the plan.
 * The heuristic's first candidate is always among those timed, so a plan can lose to the
 * untuned path only by timing noise. Running a candidate again only rewrites the GEMM's
 * output (beta = 0, the inputs are other buffers), so tuning in the middle of a forward
 * pass changes nothing it computes.
 *
 * Tuning synchronises with the device, so it runs only in a batch-size bucket's first step,
 * which runs eagerly before that bucket's graph is captured (engine_cuda_ops.c sets
 * e->tune_pass), and never inside a capture (checked: that fails); the capture and every
 * later call (prefill chunks of the same row count included) find the plan. Plans are a few
 * descriptors each, at most a bucket's distinct GEMMs (5 for OPT, twice that with the
 * overlapping halves) per bucket, and are freed at every variant switch and at destroy. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine_cuda_lt.h"
#include "engine_cuda_tune.h"

#define TUNE_CANDIDATES 8
#define TUNE_TIMED_RUNS 3

int cuda_timing_events(cudaEvent_t ev[2], psamp_err *err) {
    for (int i = 0; i < 2; i++) {
        const cudaError_t made = cudaEventCreate(&ev[i]);
        if (made != cudaSuccess) ev[i] = NULL;
        CUDA_FAIL_IF(err, made != cudaSuccess, "cudaEventCreate", cudaGetErrorString(made));
    }
    return 0;
}

void cuda_timing_events_free(cudaEvent_t ev[2]) {
    for (int i = 0; i < 2; i++) {
        if (ev[i]) (void)cudaEventDestroy(ev[i]);
        ev[i] = NULL;
    }
}

/* The plan's GEMM with algorithm `algo` (bias_t: this call's, for the epilogue). */
static cublasStatus_t plan_matmul(cuda_engine *e, const cuda_lane *lane, const cuda_gemm_plan *p,
                                  const cublasLtMatmulAlgo_t *algo, const void *x, const void *w,
                                  void *out) {
    const float one = 1.0f, zero = 0.0f;
    return cublasLtMatmul(e->lt, p->c.op, &one, w, p->c.w, x, p->c.x, &zero, out, p->c.out, out,
                          p->c.out, algo, lane->workspace, lane->workspace_bytes, lane->stream);
}

static int set_bias(const cuda_gemm_plan *p, const void *bias_t, psamp_err *err) {
    if (p->kind == CUDA_LT_RELU_BIAS && bias_t)
        CUBLAS_TRY(err, cublasLtMatmulDescSetAttribute(p->c.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                       &bias_t, sizeof bias_t));
    return 0;
}

int cuda_plan_run(cuda_engine *e, const cuda_lane *lane, const cuda_gemm_plan *p, const void *x,
                  const void *w, const void *bias_t, void *out, psamp_err *err) {
    /* Each layer's fc1 has its own bias: the descriptor takes this call's before the call
     * (a captured call keeps the pointer it was given). */
    if (set_bias(p, bias_t, err)) return -1;
    const cublasStatus_t st = plan_matmul(e, lane, p, &p->algo, x, w, out);
    if (st != CUBLAS_STATUS_SUCCESS)
        return psamp_fail(err, "cuda engine: cublasLtMatmul with the tuned algorithm of %s "
                          "(%d x %d x %d) failed: %s (%s:%d)",
                          p->kind == CUDA_LT_PLAIN ? "a GEMM" : "fc1", p->m, p->n, p->k,
                          cublasGetStatusString(st), __FILE__, __LINE__);
    return 0;
}

/* Mean milliseconds of one run of candidate `algo` into *ms; *ran = 0 when cublasLtMatmul
 * refused it (then nothing was timed). */
static int time_candidate(cuda_engine *e, const cuda_lane *lane, const cuda_gemm_plan *p,
                          const cublasLtMatmulAlgo_t *algo, const void *x, const void *w,
                          void *out, cudaEvent_t ev[2], float *ms, int *ran, psamp_err *err) {
    *ran = 0;
    /* The warm-up also runs after whatever the stream still holds, so the timed runs do not. */
    if (plan_matmul(e, lane, p, algo, x, w, out) != CUBLAS_STATUS_SUCCESS) {
        (void)cudaGetLastError(); /* a launch error it left is the refusal's, not a later call's */
        return 0;
    }
    CUDA_TRY(err, cudaEventRecord(ev[0], lane->stream));
    for (int r = 0; r < TUNE_TIMED_RUNS; r++)
        if (plan_matmul(e, lane, p, algo, x, w, out) != CUBLAS_STATUS_SUCCESS) {
            (void)cudaGetLastError();
            CUDA_TRY(err, cudaStreamSynchronize(lane->stream)); /* nothing left in flight */
            return 0;
        }
    CUDA_TRY(err, cudaEventRecord(ev[1], lane->stream));
    CUDA_TRY(err, cudaEventSynchronize(ev[1]));
    CUDA_TRY(err, cudaEventElapsedTime(ms, ev[0], ev[1]));
    *ms /= TUNE_TIMED_RUNS;
    *ran = 1;
    return 0;
}

/* Times the heuristic's candidates for p (descriptors made) and keeps the fastest. */
static int pick_fastest(cuda_engine *e, const cuda_lane *lane, cuda_gemm_plan *p, const void *x,
                        const void *w, void *out, cudaEvent_t ev[2], psamp_err *err) {
    cublasLtMatmulHeuristicResult_t cand[TUNE_CANDIDATES];
    int returned = 0;
    const cublasStatus_t st =
        cublasLtMatmulAlgoGetHeuristic(e->lt, p->c.op, p->c.w, p->c.x, p->c.out, p->c.out,
                                       p->c.pref, TUNE_CANDIDATES, cand, &returned);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED) return 0; /* no candidate: the untuned path */
    CUDA_FAIL_IF(err, st != CUBLAS_STATUS_SUCCESS, "cublasLtMatmulAlgoGetHeuristic",
                 cublasGetStatusString(st));
    float best = 0.0f;
    for (int i = 0; i < returned && i < TUNE_CANDIDATES; i++) {
        float ms = 0.0f;
        int ran = 0;
        if (cand[i].state != CUBLAS_STATUS_SUCCESS) continue;
        if (time_candidate(e, lane, p, &cand[i].algo, x, w, out, ev, &ms, &ran, err)) return -1;
        /* Strictly faster: on a tie the earlier (the heuristic's preference) stays. */
        if (ran && (!p->found || ms < best)) {
            p->found = 1;
            p->algo = cand[i].algo;
            best = ms;
        }
    }
    return 0;
}

/* Builds and tunes p (key filled) on the call's buffers. */
static int tune(cuda_engine *e, const cuda_lane *lane, cuda_gemm_plan *p, const void *x,
                const void *w, const void *bias_t, void *out, psamp_err *err) {
    enum cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    CUDA_TRY(err, cudaStreamIsCapturing(lane->stream, &capturing));
    if (capturing != cudaStreamCaptureStatusNone)
        return psamp_fail(err, "cuda engine: tuning a GEMM (%d x %d x %d) inside a stream "
                          "capture (tuning must precede the capture)", p->m, p->n, p->k);
    if (cuda_lt_describe(e, lane, p->kind, w, x, bias_t, out, p->m, p->n, p->k, &p->c, err) ||
        set_bias(p, bias_t, err))
        return -1;
    cudaEvent_t ev[2] = {NULL, NULL};
    int rc = cuda_timing_events(ev, err);
    if (rc == 0) rc = pick_fastest(e, lane, p, x, w, out, ev, err);
    cuda_timing_events_free(ev);
    (void)cublasLtMatmulPreferenceDestroy(p->c.pref); /* only the heuristic reads it */
    p->c.pref = NULL;
    if (rc) return psamp_fail_context(err, "tuning the GEMM %d x %d x %d", p->m, p->n, p->k);
    return 0;
}

static int same_key(const cuda_gemm_plan *a, const cuda_gemm_plan *b) {
    return a->m == b->m && a->n == b->n && a->k == b->k && a->kind == b->kind &&
           a->has_bias == b->has_bias && a->align_w == b->align_w && a->align_x == b->align_x &&
           a->align_out == b->align_out;
}

int cuda_tuned_plan(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *x,
                    const void *w, const void *bias_t, void *out, int32_t m, int32_t n,
                    int32_t k, const cuda_gemm_plan **plan, psamp_err *err) {
    *plan = NULL;
    cuda_gemm_plan key;
    memset(&key, 0, sizeof key);
    key.m = m, key.n = n, key.k = k, key.kind = kind;
    key.has_bias = kind == CUDA_LT_RELU_BIAS && bias_t != NULL;
    key.align_w = cuda_lt_alignment(w);
    key.align_x = cuda_lt_alignment(x);
    key.align_out = cuda_lt_alignment(out);
    for (int32_t i = 0; i < e->n_plans; i++)
        if (same_key(&e->plans[i], &key)) {
            *plan = e->plans[i].found ? &e->plans[i] : NULL;
            return 0;
        }
    if (!e->tune_pass) return 0;
    if (e->n_plans == e->cap_plans) {
        const int32_t cap = e->cap_plans ? 2 * e->cap_plans : 16;
        cuda_gemm_plan *grown = realloc(e->plans, (size_t)cap * sizeof *grown);
        if (!grown) return psamp_fail(err, "cuda engine: out of host memory for GEMM plans");
        e->plans = grown;
        e->cap_plans = cap;
    }
    const double t0 = psamp_now_seconds();
    if (tune(e, lane, &key, x, w, bias_t, out, err)) {
        cuda_lt_call_free(&key.c);
        return -1;
    }
    e->tune_seconds += psamp_now_seconds() - t0;
    /* Kept even without an algorithm, so that the shape is not tuned again. */
    e->plans[e->n_plans++] = key;
    *plan = key.found ? &e->plans[e->n_plans - 1] : NULL;
    return 0;
}

void cuda_plans_free(cuda_engine *e) {
    for (int32_t i = 0; i < e->n_plans; i++) cuda_lt_call_free(&e->plans[i].c);
    free(e->plans);
    e->plans = NULL;
    e->n_plans = e->cap_plans = 0;
    e->tune_seconds = 0.0;
}

void cuda_tune_stats(const cuda_engine *e, int32_t *plans, double *seconds) {
    *plans = 0;
    for (int32_t i = 0; i < e->n_plans; i++) *plans += e->plans[i].found;
    *seconds = e->tune_seconds;
}
