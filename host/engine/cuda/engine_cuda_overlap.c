/* A step as two half batches whose work overlaps (PSAMP_OVERLAP=halves|flat).
 *
 * A decode step alternates compute-bound GEMMs (~0.6 ms at 1024 slots on an H200) with
 * memory-bound attention (~1.6 ms, the KV read at ~the copy rate); one stream runs them one
 * after the other. Here rows [0, n/2) and [n/2, n) each run on their own stream (half[0],
 * half[1], each with its own cuBLAS handle and workspace), and attention of both halves runs
 * on a third stream, forked off and joined back with events, in the order A0 B0 A1 B1 ...:
 * while half A's attention of layer l reads the KV, half B finishes layer l-1 and runs
 * layer l up to its attention (and vice versa), so each half's GEMMs and small kernels hide
 * under the other half's attention. The attention stream has the lowest priority and the
 * halves the highest, so the block scheduler hands SMs freed by attention blocks to the
 * halves' pending GEMM blocks first (graphs keep the streams' priorities per kernel node,
 * instantiated with cudaGraphInstantiateFlagUseNodePriority). PSAMP_OVERLAP=flat runs the
 * same schedule with every stream at the halves' priority, to measure what priority does.
 * Prefill keeps one stream: its rows depend on each other's KV. Each half's buffers are the
 * engine's own offset to its first row (cuda_batch_of), so the halves share nothing that
 * one writes and the other reads; every dependency is an event. The whole schedule is
 * enqueued from e->stream (captured into the step graph from there) and e->stream waits
 * for every stream at the end. */
#include <string.h>

#include "engine_cuda_alloc.h"
#include "engine_cuda_forward.h"
#include "engine_cuda_overlap.h"

static int make_all(cuda_engine *e, psamp_err *err) {
    cuda_overlap *o = &e->ov;
    int least = 0, greatest = 0;
    CUDA_TRY(err, cudaDeviceGetStreamPriorityRange(&least, &greatest));
    for (int i = 0; i < 2; i++)
        if (cuda_lane_create(e, &o->half[i], greatest, err)) return -1;
    CUDA_TRY(err, cudaStreamCreateWithPriority(&o->attn_low, cudaStreamNonBlocking, least));
    CUDA_TRY(err, cudaStreamCreateWithPriority(&o->attn_flat, cudaStreamNonBlocking, greatest));
    cudaEvent_t *events[] = {&o->fork,        &o->join[0],     &o->join[1],  &o->attn_in[0],
                             &o->attn_in[1],  &o->attn_out[0], &o->attn_out[1],
                             &o->attn_done};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        CUDA_TRY(err, cudaEventCreateWithFlags(events[i], cudaEventDisableTiming));
    return 0;
}

int cuda_overlap_init(cuda_engine *e, psamp_err *err) {
    if (e->ov.ready) return 0;
    if (make_all(e, err)) {
        cuda_overlap_free(e); /* what was made; a workspace stays with the engine's allocations */
        return -1;
    }
    e->ov.ready = 1;
    return 0;
}

void cuda_overlap_free(cuda_engine *e) {
    cuda_overlap *o = &e->ov;
    cudaEvent_t events[] = {o->fork,       o->join[0],     o->join[1],     o->attn_in[0],
                            o->attn_in[1], o->attn_out[0], o->attn_out[1], o->attn_done};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (events[i]) (void)cudaEventDestroy(events[i]);
    for (int i = 0; i < 2; i++) {
        if (o->half[i].stream) (void)cudaStreamSynchronize(o->half[i].stream);
        if (o->half[i].blas) (void)cublasDestroy(o->half[i].blas);
        if (o->half[i].stream) (void)cudaStreamDestroy(o->half[i].stream);
    }
    cudaStream_t attn[] = {o->attn_low, o->attn_flat};
    for (int i = 0; i < 2; i++)
        if (attn[i]) {
            (void)cudaStreamSynchronize(attn[i]);
            (void)cudaStreamDestroy(attn[i]);
        }
    memset(o, 0, sizeof *o);
}

int cuda_overlap_applies(const cuda_engine *e, int32_t n) {
    return e->variants.overlap != PSAMP_CUDA_OVERLAP_OFF && n >= 2;
}

/* `to` waits for what `from` holds now (through `ev`). */
static int then(cudaStream_t from, cudaEvent_t ev, cudaStream_t to, psamp_err *err) {
    CUDA_TRY(err, cudaEventRecord(ev, from));
    CUDA_TRY(err, cudaStreamWaitEvent(to, ev, 0));
    return 0;
}

/* Half i's attention of layer l on stream attn, after its pre-attention part, before its
 * post-attention part. */
static int forked_attention(cuda_engine *e, cuda_batch *b, int i, int32_t l, cudaStream_t attn,
                            psamp_err *err) {
    cuda_overlap *o = &e->ov;
    if (then(b->lane->stream, o->attn_in[i], attn, err) ||
        cuda_forward_attention(e, b, l, attn, err) ||
        then(attn, o->attn_out[i], b->lane->stream, err))
        return -1;
    return 0;
}

int cuda_overlap_forward(cuda_engine *e, int32_t n, psamp_err *err) {
    cuda_overlap *o = &e->ov;
    const int32_t n0 = (n + 1) / 2;
    cuda_batch b[2] = {cuda_batch_of(e, 0, n0, &o->half[0], 1),
                       cuda_batch_of(e, n0, n - n0, &o->half[1], 1)};
    const cudaStream_t attn = e->variants.overlap == PSAMP_CUDA_OVERLAP_FLAT ? o->attn_flat
                                                                              : o->attn_low;
    /* Both halves start after what e->stream holds (the rows' copy). */
    CUDA_TRY(err, cudaEventRecord(o->fork, e->stream));
    for (int i = 0; i < 2; i++) {
        CUDA_TRY(err, cudaStreamWaitEvent(o->half[i].stream, o->fork, 0));
        if (cuda_forward_embed(e, &b[i], err)) return -1;
    }
    for (int32_t l = 0; l < e->cfg.n_layers; l++) {
        /* Enqueued A then B on the attention stream: A's attention of layer l runs while B
         * is still in its part before attention, and B's while A runs on to layer l+1. */
        for (int i = 0; i < 2; i++)
            if (cuda_forward_pre_attention(e, &b[i], l, err) ||
                forked_attention(e, &b[i], i, l, attn, err))
                return psamp_fail_context(err, "layer %d, half %d", l, i);
        for (int i = 0; i < 2; i++)
            if (cuda_forward_post_attention(e, &b[i], l, err))
                return psamp_fail_context(err, "layer %d, half %d", l, i);
    }
    for (int i = 0; i < 2; i++)
        if (cuda_forward_head(e, &b[i], err) || then(o->half[i].stream, o->join[i], e->stream, err))
            return -1;
    /* Every forked stream joins e->stream (a capture must end with all of them joined). */
    return then(attn, o->attn_done, e->stream, err);
}
