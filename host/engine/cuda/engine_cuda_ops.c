/* The CUDA engine's operations (host/engine/engine.h): prefill, fork and step, with the step's
 * CUDA graphs; engine_cuda.c puts them in the engine's ops table. A step copies its rows in
 * (one H2D), runs the forward pass and sampling (one graph launch; the pass on one stream
 * or as two overlapping halves, chosen here), and copies the sampled tokens out (one D2H);
 * the graph of a batch-size bucket is captured after that bucket's first step, which runs
 * eagerly so that every kernel and cuBLAS heuristic is loaded before capture (and the GEMM
 * plans are tuned, PSAMP_GEMM_TUNE=on). Prefill chunks never tune: they use a step's plan of
 * the same row count where one exists, else the untuned path.
 * The model's forward is chosen here: OPT's (engine_cuda_forward.c, or its overlapping halves)
 * or, in an engine made for a Qwen2 / Llama / Phi-3 checkpoint (e->dec.fwd set), the decoder
 * forward (engine_cuda_decoder_rows.c), whose host work (RoPE factor sets, longrope rebuilds)
 * runs before the step's graph. */
#include <stdlib.h>
#include <string.h>

#include "engine_cuda_decoder_rows.h"
#include "engine_cuda_forward.h"
#include "engine_cuda_ops.h"
#include "engine_cuda_overlap.h"
#include "engine_cuda_tune.h"

static cuda_engine *as_cuda(psamp_engine *e) { return (cuda_engine *)e; }

/* Padded batch sizes: powers of two to 64, then multiples of 128, then n_slots. */
int cuda_buckets_init(cuda_engine *e, psamp_err *err) {
    const int32_t cap = e->slots.n_slots;
    int32_t count = 0, sizes[64 + 1];
    int32_t *list = sizes, *heap = NULL;
    const int32_t most = 8 + cap / 128 + 1;
    if (most > 64) {
        heap = malloc((size_t)most * sizeof *heap);
        if (!heap) return psamp_fail(err, "cuda engine: out of host memory for graph buckets");
        list = heap;
    }
    for (int32_t b = 1; b < 128 && b < cap; b *= 2) list[count++] = b;
    for (int32_t b = 128; b < cap; b += 128) list[count++] = b;
    list[count++] = cap;
    e->buckets = calloc((size_t)count, sizeof *e->buckets);
    if (!e->buckets) {
        free(heap);
        return psamp_fail(err, "cuda engine: out of host memory for graph buckets");
    }
    for (int32_t i = 0; i < count; i++) e->buckets[i].rows = list[i];
    e->n_buckets = count;
    free(heap);
    return 0;
}

void cuda_buckets_reset(cuda_engine *e) {
    for (int32_t i = 0; i < e->n_buckets; i++) {
        if (e->buckets[i].exec) (void)cudaGraphExecDestroy(e->buckets[i].exec);
        e->buckets[i].exec = NULL;
    }
    /* Tuned again in each bucket's next eager step, under the new variants. */
    cuda_plans_free(e);
}

void cuda_buckets_free(cuda_engine *e) {
    cuda_buckets_reset(e);
    free(e->buckets);
    e->buckets = NULL;
    e->n_buckets = 0;
}

static cuda_bucket *bucket_for(cuda_engine *e, int32_t n) {
    int32_t lo = 0, hi = e->n_buckets - 1; /* the last bucket holds n_slots >= n */
    while (lo < hi) {
        const int32_t mid = (lo + hi) / 2;
        if (e->buckets[mid].rows >= n)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &e->buckets[lo];
}

/* A step's forward pass of n rows with logits: two overlapping halves where the variants
 * ask for them (engine_cuda_overlap.c), else the one-stream pass (engine_cuda_forward.c). */
static int step_forward(cuda_engine *e, int32_t n, psamp_err *err) {
    if (e->dec.fwd) return cuda_decoder_run(e, n, 1, err);
    if (cuda_overlap_applies(e, n)) return cuda_overlap_forward(e, n, err);
    return cuda_forward(e, n, 1, 1, err);
}

/* Records the step's forward pass for b->rows rows into b->exec (nothing runs). */
static int capture(cuda_engine *e, cuda_bucket *b, psamp_err *err) {
    cudaGraph_t graph = NULL;
    CUDA_TRY(err, cudaStreamBeginCapture(e->stream, cudaStreamCaptureModeThreadLocal));
    int rc = step_forward(e, b->rows, err);
    /* End the capture whatever happened, so the stream is usable again. */
    const cudaError_t end = cudaStreamEndCapture(e->stream, &graph);
    if (rc == 0 && end != cudaSuccess)
        rc = psamp_fail(err, "cuda engine: cudaStreamEndCapture failed: %s (%s:%d)",
                        cudaGetErrorString(end), __FILE__, __LINE__);
    if (rc == 0) {
        /* Kernel nodes keep the priority of the stream they were captured from
         * (engine_cuda_overlap.c's attention stream runs below the halves). */
        const cudaError_t inst =
            cudaGraphInstantiate(&b->exec, graph, cudaGraphInstantiateFlagUseNodePriority);
        if (inst != cudaSuccess) {
            b->exec = NULL;
            rc = psamp_fail(err, "cuda engine: cudaGraphInstantiate of the %d-row step failed: %s (%s:%d)",
                            b->rows, cudaGetErrorString(inst), __FILE__, __LINE__);
        }
    }
    if (graph) (void)cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    return rc;
}

int cuda_prefill(psamp_engine *base, int32_t slot, const int32_t *tokens, int32_t n, float tau,
                 float *logp, psamp_err *err) {
    cuda_engine *e = as_cuda(base);
    if (psamp_slots_check_prefill(&e->slots, slot, tokens, n, logp != NULL, tau, err)) return -1;
    CUDA_TRY(err, cudaSetDevice(e->device));
    /* The slot's KV is rewritten from position 0: until done it holds nothing valid. */
    e->slots.length[slot] = 0;
    /* Rows are positions 0..n-2 (the last token stays pending), a chunk at a time. */
    for (int32_t start = 0, rows = 0; start < n - 1; start += rows) {
        rows = n - 1 - start < e->rows_cap ? n - 1 - start : e->rows_cap;
        if (e->dec.fwd) rows = cuda_decoder_chunk_rows(e, start, rows);
        for (int32_t r = 0; r < rows; r++) {
            psamp_k_row *row = &e->rows_host[r];
            memset(row, 0, sizeof *row);
            row->slot = slot;
            row->pos = start + r;
            row->token = tokens[start + r];
            row->target = tokens[start + r + 1];
            row->tau = tau; /* scores come back as log q: log softmax(logits / tau) */
        }
        CUDA_TRY(err, cudaMemcpyAsync(e->d.rows, e->rows_host, (size_t)rows * sizeof(psamp_k_row),
                                      cudaMemcpyHostToDevice, e->stream));
        if (e->dec.fwd ? cuda_decoder_prepare(e, rows, slot, tokens, err) ||
                             cuda_decoder_run(e, rows, logp != NULL, err)
                       : cuda_forward(e, rows, logp != NULL, 0, err))
            return -1;
        if (logp)
            CUDA_TRY(err, cudaMemcpyAsync(e->results_host, e->d.results,
                                          (size_t)rows * sizeof(psamp_k_result),
                                          cudaMemcpyDeviceToHost, e->stream));
        CUDA_TRY(err, cudaStreamSynchronize(e->stream));
        if (logp)
            for (int32_t r = 0; r < rows; r++) logp[start + r + 1] = e->results_host[r].logq;
    }
    if (logp) logp[0] = 0.0f;
    psamp_slots_set(&e->slots, slot, tokens, n);
    return 0;
}

int cuda_fork(psamp_engine *base, const psamp_fork_request *forks, int32_t n, psamp_err *err) {
    cuda_engine *e = as_cuda(base);
    if (psamp_slots_check_forks(&e->slots, forks, n, err)) return -1;
    int32_t copies = 0, max_pos = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t positions = forks[i].keep - 1; /* the kept KV; the last token pends */
        if (forks[i].dst == forks[i].src || positions <= 0) continue;
        e->forks_host[3 * copies] = forks[i].dst;
        e->forks_host[3 * copies + 1] = forks[i].src;
        e->forks_host[3 * copies + 2] = positions;
        if (positions > max_pos) max_pos = positions;
        copies++;
    }
    if (copies > 0) {
        CUDA_TRY(err, cudaSetDevice(e->device));
        CUDA_TRY(err, cudaMemcpyAsync(e->d.forks, e->forks_host, (size_t)copies * 3 * sizeof(int32_t),
                                      cudaMemcpyHostToDevice, e->stream));
        if (e->dec.fwd ? cuda_decoder_forks(e, forks, n, copies, max_pos, err)
                       : cuda_forward_forks(e, copies, max_pos, err))
            return -1;
        CUDA_TRY(err, cudaStreamSynchronize(e->stream));
    }
    psamp_slots_apply_forks(&e->slots, forks, n);
    return 0;
}

/* Fills the staging rows for the requests and pads to `rows` with skipped rows. */
static void stage_step_rows(cuda_engine *e, const psamp_step_request *reqs, int32_t n,
                            int32_t rows) {
    for (int32_t i = 0; i < rows; i++) {
        psamp_k_row *row = &e->rows_host[i];
        memset(row, 0, sizeof *row);
        if (i >= n) {
            row->slot = -1;
            row->token = -1;
            row->target = -1;
            continue;
        }
        const int32_t slot = reqs[i].slot, pos = e->slots.length[slot] - 1;
        row->slot = slot;
        row->pos = pos;
        row->token = psamp_slot_tokens(&e->slots, slot)[pos];
        row->target = -1;
        row->tau = reqs[i].tau;
        row->seed = reqs[i].seed;
        row->stream = reqs[i].stream;
        row->counter = reqs[i].counter;
    }
}

int cuda_step(psamp_engine *base, const psamp_step_request *reqs, int32_t n,
              psamp_step_result *out, psamp_err *err) {
    cuda_engine *e = as_cuda(base);
    if (psamp_slots_check_step(&e->slots, reqs, n, err)) return -1;
    if (n == 0) return 0;
    CUDA_TRY(err, cudaSetDevice(e->device));
    cuda_bucket *b = e->use_graphs ? bucket_for(e, n) : NULL;
    const int32_t rows = b ? b->rows : n;
    stage_step_rows(e, reqs, n, rows);
    CUDA_TRY(err, cudaMemcpyAsync(e->d.rows, e->rows_host, (size_t)rows * sizeof(psamp_k_row),
                                  cudaMemcpyHostToDevice, e->stream));
    if (e->dec.fwd && cuda_decoder_prepare(e, rows, -1, NULL, err)) return -1;
    if (b && b->exec) {
        CUDA_TRY(err, cudaGraphLaunch(b->exec, e->stream));
    } else {
        /* A bucket's eager step, before its capture: where GEMM plans may be tuned. */
        e->tune_pass = b != NULL;
        const int rc = step_forward(e, rows, err);
        e->tune_pass = 0;
        if (rc) return -1;
    }
    CUDA_TRY(err, cudaMemcpyAsync(e->results_host, e->d.results, (size_t)n * sizeof(psamp_k_result),
                                  cudaMemcpyDeviceToHost, e->stream));
    CUDA_TRY(err, cudaStreamSynchronize(e->stream));
    /* Capture before touching the slots: a failed capture leaves them as they were (the
     * KV written at their pending positions is recomputed identically by the next step). */
    if (b && !b->exec && capture(e, b, err)) return -1;
    for (int32_t i = 0; i < n; i++) {
        const psamp_k_result *r = &e->results_host[i];
        out[i].token = r->token;
        out[i].logp = r->logp;
        out[i].logq = r->logq;
        out[i].ended = psamp_slots_append(&e->slots, reqs[i].slot, r->token);
        for (int32_t k = 1; k < e->n_eos; k++) out[i].ended |= r->token == e->eos_ids[k];
    }
    return 0;
}
