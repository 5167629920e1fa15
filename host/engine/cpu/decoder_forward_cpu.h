/* The Qwen2 / Llama / Phi-3 forward pass on the CPU over a batch of rows (one token of one slot
 * at its position), the same contract as opt_forward_cpu.h: the rows' K and V go into their
 * slots' caches, then every row attends over its own slot's positions 0..pos.
 *
 * Per layer: RMSNorm, one GEMM for q, k, v (+ biases for Qwen2), RoPE on q and k, attention
 * in which query head h reads KV head h / (heads / kv_heads) (GQA; MQA when kv_heads = 1),
 * o_proj added to the residual, RMSNorm, one GEMM for gate and up, silu(gate) * up, down_proj
 * added to the residual. Then the final RMSNorm and the (tied or separate) lm_head.
 *
 * KV cache per slot, layer and KV head: K transposed [head_dim][max_len], V [max_len][head_dim].
 *
 * Phi-3 longrope: the factor set of a row is that of a forward over its own prefix (positions
 * 0..pos), as generate() computes it: short while pos + 1 <= original_max_position_embeddings,
 * long after. Each slot remembers which set its cached keys were rotated with; a row whose
 * set differs first recomputes its slot's positions 0..pos-1 with the row's set (reading the
 * tokens from the engine's slot table), as Phi-3's generate() rebuilds its cache once on
 * crossing the original context. So every conditional is a prefix conditional; a full
 * sequence longer than the original context is NOT scored with the long factors at every
 * position (transformers' one-pass scoring), see tests/fixtures/README_arch.md. Rows of one
 * slot must be consecutive in a batch (the engine's prefill chunks and steps are). */
#ifndef PSAMP_DECODER_FORWARD_CPU_H
#define PSAMP_DECODER_FORWARD_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_pool.h"
#include "decoder_rope.h"
#include "decoder_weights_cpu.h"
#include "engine_slots.h"
#include "opt_forward_cpu.h" /* opt_cpu_row: {slot, pos, token} */

typedef struct {
    const decoder_weights_f32 *w; /* owned by the engine */
    cpu_pool *pool;
    decoder_rope_table rope;
    int32_t max_rows, max_len, n_slots;
    size_t bytes;             /* the KV cache and scratch above, allocated at init */
    int32_t qkv_dim;          /* (heads + 2 kv_heads) * head_dim */
    size_t slot_floats;       /* KV floats per slot */
    float *kv;                /* n_slots * slot_floats */
    uint8_t *slot_set;        /* [n_slots] RoPE factor set of each slot's cached keys */
    /* scratch, sized for max_rows */
    float *x, *xn;            /* [rows, hidden] residual stream, normalised input */
    float *qkv;               /* [rows, qkv_dim] */
    float *attn;              /* [rows, heads * head_dim] */
    float *gate_up;           /* [rows, 2 ffn] */
    float *act;               /* [rows, ffn] */
    float *logits;            /* [rows, vocab] */
    float *scores;            /* [threads, max_len] */
    uint8_t *row_set;         /* [rows] factor set per row of the call */
    opt_cpu_row *rebuild_rows; /* [rows] a cache rebuild's chunk */
    uint8_t *rebuild_set;     /* [rows] */
    /* the batch being run, for the pool's tasks */
    const opt_cpu_row *rows;
    int32_t layer;
} decoder_cpu_forward;

int decoder_cpu_forward_init(decoder_cpu_forward *f, const decoder_weights_f32 *w, cpu_pool *pool,
                             int32_t n_slots, int32_t max_len, int32_t max_rows, psamp_err *err);
void decoder_cpu_forward_free(decoder_cpu_forward *f);

/* Runs n <= max_rows rows (checked by the caller). With want_logits, f->logits holds each row's
 * next-token logits afterwards. slots: the engine's slot table (tokens for a longrope rebuild). */
void decoder_cpu_forward_rows(decoder_cpu_forward *f, const opt_cpu_row *rows, int32_t n, int want_logits,
                              const psamp_slot_table *slots);

/* Copies positions [0, n) of src's cache to dst's (and the factor set they were made with). */
void decoder_cpu_forward_copy_kv(decoder_cpu_forward *f, int32_t dst, int32_t src, int32_t n);

#endif
