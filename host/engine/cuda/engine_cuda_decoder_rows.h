/* A Qwen2 / Llama / Phi-3 engine's work inside the CUDA engine's prefill, step and fork
 * (engine_cuda_decoder_rows.c): the rows' RoPE factor sets and Phi-3 longrope's cache
 * rebuilds, the forward pass with sampling, and the KV copies of forks. */
#ifndef PSAMP_ENGINE_CUDA_DECODER_ROWS_H
#define PSAMP_ENGINE_CUDA_DECODER_ROWS_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* How many of `rows` prefill rows from position `start` one chunk may carry: a chunk never
 * crosses longrope's switch from the short to the long factors (rows is returned otherwise). */
int32_t cuda_decoder_chunk_rows(const cuda_engine *e, int32_t start, int32_t rows);

/* Host work before a forward over the n rows staged in e->rows_host (rows of one slot
 * consecutive and in position order, padding rows slot < 0): each row's factor set, as
 * decoder_forward_cpu.c chooses it, is sent to the forward's row_sets; a slot whose cached
 * keys carry the other set has positions 0..pos-1 recomputed with the row's set first (its
 * tokens from seq when it is seq_slot, else from the slot table). Enqueues on e->stream;
 * not capturable (copies), so a step runs it before its graph. */
int cuda_decoder_prepare(cuda_engine *e, int32_t n, int32_t seq_slot, const int32_t *seq, psamp_err *err);

/* Enqueues the forward pass of e->d.rows[0..n) (after cuda_decoder_prepare) and, with
 * want_logits, the sampling (or the targets' scores) into e->d.results: kernels and GEMMs
 * only, so a step graph may capture it. */
int cuda_decoder_run(cuda_engine *e, int32_t n, int want_logits, psamp_err *err);

/* Enqueues the KV copies of the n_copies fork triples in e->d.forks (max_pos the longest),
 * and carries each copied slot's factor set to its destination (forks: the checked call). */
int cuda_decoder_forks(cuda_engine *e, const psamp_fork_request *forks, int32_t n_forks, int32_t n_copies,
                       int32_t max_pos, psamp_err *err);

#endif
