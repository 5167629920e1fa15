/* A step's GEMMs timed alone, as the engine runs them under its current variants, on its own
 * buffers and weights (bench_cuda's "gemm ms" of the tuned GEMMs: the bench's own cuBLAS
 * calls cannot run the engine's plans). The calls are the forward pass's (engine_cuda_forward.c)
 * for a model without project_in/out, serially on the engine's stream. */
#include <stdlib.h>

#include "engine_cuda_gemm.h"
#include "engine_cuda_gemm_time.h"
#include "engine_cuda_tune.h"

#define TIMED_RUNS 5

/* Per layer QKV, out_proj, fc1 (its epilogue where the variants use it), fc2; then lm_head. */
static int step_gemms(cuda_engine *e, int32_t m, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const cuda_lane *lane = &e->main_lane;
    const cuda_buffers *d = &e->d;
    const int32_t h = c->hidden, f = c->ffn_dim;
    for (int32_t l = 0; l < c->n_layers; l++) {
        const cuda_layer *w = &e->w.layers[l];
        if (cuda_gemm(e, lane, d->h, w->qkv_w, d->y, m, 3 * h, h, err) ||
            cuda_gemm(e, lane, d->h, w->o_w, d->y, m, h, h, err))
            return -1;
        const void *fc2_in = d->h;
        if (e->variants.ffn == PSAMP_CUDA_FFN_EPILOGUE) {
            if (cuda_gemm_bias_relu(e, lane, d->h, w->fc1_w, w->fc1_b_t, w->fc1_b_r, d->ffn_t,
                                    d->y, m, f, h, err))
                return -1;
            fc2_in = d->ffn_t;
        } else if (cuda_gemm(e, lane, d->h, w->fc1_w, d->y, m, f, h, err)) {
            return -1;
        }
        if (cuda_gemm(e, lane, fc2_in, w->fc2_w, d->y, m, h, f, err)) return -1;
    }
    return cuda_gemm(e, lane, d->h, e->w.lm_head, d->logits, m, c->vocab_size,
                     c->word_embed_proj_dim, err);
}

static int time_once(cuda_engine *e, int32_t m, cudaEvent_t ev[2], float *ms, psamp_err *err) {
    CUDA_TRY(err, cudaEventRecord(ev[0], e->stream));
    if (step_gemms(e, m, err)) return -1;
    CUDA_TRY(err, cudaEventRecord(ev[1], e->stream));
    CUDA_TRY(err, cudaEventSynchronize(ev[1]));
    CUDA_TRY(err, cudaEventElapsedTime(ms, ev[0], ev[1]));
    return 0;
}

static int by_value(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int cuda_time_gemms(cuda_engine *e, int32_t rows, double *seconds, psamp_err *err) {
    if (rows < 1 || rows > e->rows_cap)
        return psamp_fail(err, "cuda engine: time_gemms: rows %d outside [1, %d]", rows,
                          e->rows_cap);
    CUDA_TRY(err, cudaSetDevice(e->device));
    /* The warm-up tunes the plans still missing (outside any capture, as a bucket's first
     * step does). */
    e->tune_pass = 1;
    int rc = step_gemms(e, rows, err);
    e->tune_pass = 0;
    cudaEvent_t ev[2] = {NULL, NULL};
    if (rc == 0) rc = cuda_timing_events(ev, err);
    float ms[TIMED_RUNS];
    for (int i = 0; i < TIMED_RUNS && rc == 0; i++) rc = time_once(e, rows, ev, &ms[i], err);
    cuda_timing_events_free(ev);
    if (rc) return psamp_fail_context(err, "timing the GEMMs of %d rows", rows);
    qsort(ms, TIMED_RUNS, sizeof ms[0], by_value);
    *seconds = 1e-3 * (double)ms[TIMED_RUNS / 2];
    return 0;
}
