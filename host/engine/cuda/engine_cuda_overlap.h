/* A step as two half batches on streams that overlap, PSAMP_OVERLAP=halves|flat
 * (engine_cuda_overlap.c). */
#ifndef PSAMP_ENGINE_CUDA_OVERLAP_H
#define PSAMP_ENGINE_CUDA_OVERLAP_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* Streams, handles and events of the halves schedule, made when an overlap variant is first
 * chosen (at creation or by set_variants; again a no-op), freed by cuda_overlap_free. */
int cuda_overlap_init(cuda_engine *e, psamp_err *err);
void cuda_overlap_free(cuda_engine *e);
/* Whether a step of n rows runs as two halves under e's variants. */
int cuda_overlap_applies(const cuda_engine *e, int32_t n);
/* The forward pass of a step of n rows (with logits) as two halves: enqueued from
 * e->stream, which waits for all of it at the end. */
int cuda_overlap_forward(cuda_engine *e, int32_t n, psamp_err *err);

#endif
