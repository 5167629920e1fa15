/* The CUDA engine's OPT forward pass over a batch of rows (engine_cuda_forward.c). */
#ifndef PSAMP_ENGINE_CUDA_FORWARD_H
#define PSAMP_ENGINE_CUDA_FORWARD_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* Enqueues the forward pass of e->d.rows[0..n) on e->stream, on one stream; with
 * want_logits, the final norm, lm_head and the sampling into e->d.results. decode: the rows
 * are a step's (one per slot), which lets the fusion variants apply. (A step that runs as
 * two halves goes through cuda_overlap_forward instead: engine_cuda_ops.c chooses.) */
int cuda_forward(cuda_engine *e, int32_t n, int want_logits, int decode, psamp_err *err);
/* Enqueues the KV copies of n fork triples already in e->d.forks. */
int cuda_forward_forks(cuda_engine *e, int32_t n, int32_t max_pos, psamp_err *err);

/* The pieces of a forward pass over batch b, each enqueued on b->lane (attention on
 * `stream`), for the schedules of engine_cuda_overlap.c. */
cuda_batch cuda_batch_of(cuda_engine *e, int32_t r0, int32_t n, const cuda_lane *lane,
                         int decode);
int cuda_forward_embed(cuda_engine *e, cuda_batch *b, psamp_err *err);
/* Layer l up to attention's input (norm, QKV projection, the KV append unless fused). */
int cuda_forward_pre_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err);
int cuda_forward_attention(cuda_engine *e, cuda_batch *b, int32_t l, cudaStream_t stream,
                           psamp_err *err);
/* Layer l from attention's output on (out_proj, norms, FFN). */
int cuda_forward_post_attention(cuda_engine *e, cuda_batch *b, int32_t l, psamp_err *err);
/* Final norm, lm_head and sampling. */
int cuda_forward_head(cuda_engine *e, cuda_batch *b, psamp_err *err);

#endif
