/* The OPT forward pass on the CPU over a batch of *rows*: each row is one token of one slot
 * at its position. The rows' K and V go into their slots' caches first, then every row
 * attends over its own slot's positions 0..pos, so a batch may hold one token from each of
 * many slots (a decode step) or consecutive tokens of one slot (a prefill chunk).
 *
 * KV cache layout, per slot and layer and head: K transposed [head_dim][max_len] (the scores
 * q.K[t] become head_dim contiguous multiply-adds over t) and V [max_len][head_dim]. */
#ifndef PSAMP_OPT_FORWARD_CPU_H
#define PSAMP_OPT_FORWARD_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_pool.h"
#include "opt_weights_cpu.h"

typedef struct {
    int32_t slot, pos, token;
} opt_cpu_row;

typedef struct {
    const opt_weights_f32 *w; /* owned by the engine */
    cpu_pool *pool;
    int32_t max_rows;         /* rows one call may carry */
    int32_t max_len;          /* positions per slot */
    size_t slot_floats;       /* KV floats per slot */
    float *kv;                /* n_slots * slot_floats */
    /* scratch, sized for max_rows */
    float *x;       /* [rows, h] the residual stream */
    float *xn;      /* [rows, h] normalised input of a sublayer */
    float *qkv;     /* [rows, 3h] */
    float *attn;    /* [rows, h] */
    float *ffn;     /* [rows, ffn] */
    float *embed;   /* [rows, proj] token embeddings / projected output */
    float *logits;  /* [rows, vocab] */
    float *scores;  /* [threads, max_len] attention weights */
    size_t bytes;   /* all of the above, kv included */
    /* the batch being run, for the pool's tasks */
    const opt_cpu_row *rows;
    int32_t layer;
} opt_cpu_forward;

/* Allocates the cache for n_slots and the scratch; every buffer is freed by _free. */
int opt_cpu_forward_init(opt_cpu_forward *f, const opt_weights_f32 *w, cpu_pool *pool,
                         int32_t n_slots, int32_t max_len, int32_t max_rows, psamp_err *err);
void opt_cpu_forward_free(opt_cpu_forward *f);

/* Runs n <= max_rows rows (positions < max_len, tokens in the vocabulary: the caller checks).
 * With want_logits, f->logits holds each row's next-token logits afterwards. */
void opt_cpu_forward_rows(opt_cpu_forward *f, const opt_cpu_row *rows, int32_t n,
                          int want_logits);

/* Copies positions [0, n) of src's cache to dst's. */
void opt_cpu_forward_copy_kv(opt_cpu_forward *f, int32_t dst, int32_t src, int32_t n);

#endif
