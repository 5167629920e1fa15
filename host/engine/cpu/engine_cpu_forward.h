/* Private to the CPU engine's files: a model's forward pass behind a small table, so that one
 * engine (the slot table, prefill with scoring, fork, the batched step and its sampling: see
 * engine_cpu.c) runs both OPT (opt_forward_cpu.h) and the Qwen2 / Llama / Phi-3 family
 * (decoder_forward_cpu.h). */
#ifndef PSAMP_ENGINE_CPU_FORWARD_H
#define PSAMP_ENGINE_CPU_FORWARD_H

#include <stdint.h>

#include "cpu_pool.h"
#include "engine_cpu.h"
#include "engine_slots.h"
#include "opt_forward_cpu.h" /* opt_cpu_row */

typedef struct cpu_forward cpu_forward;

typedef struct {
    /* Runs rows (the contract of opt_cpu_forward_rows); slots is the engine's table. */
    void (*rows)(cpu_forward *f, const opt_cpu_row *rows, int32_t n, int want_logits,
                 const psamp_slot_table *slots);
    /* Copies positions [0, n) of src's KV to dst's. */
    void (*copy_kv)(cpu_forward *f, int32_t dst, int32_t src, int32_t n);
    void (*destroy)(cpu_forward *f);
} cpu_forward_ops;

/* Every forward embeds this as its first member. */
struct cpu_forward {
    const cpu_forward_ops *ops;
    float *logits;    /* [max_rows, vocab]: each row's logits after rows() with want_logits */
    int32_t max_rows;
    uint64_t bytes;   /* the KV cache and scratch it allocated (weights not counted) */
};

/* Builds a model's forward (weights converted, KV cache for n_slots x max_len, scratch for
 * max_rows rows) over the engine's pool. */
typedef int (*cpu_forward_make)(const void *model, cpu_pool *pool, int32_t n_slots, int32_t max_len,
                                int32_t max_rows, cpu_forward **out, psamp_err *err);

#define CPU_MAX_EOS 8

typedef struct {
    const void *model;      /* passed to make */
    cpu_forward_make make;
    int32_t vocab_size;
    int32_t max_positions;  /* max_len may not exceed it */
    int32_t eos_ids[CPU_MAX_EOS]; /* a sampled one ends the sequence */
    int32_t n_eos;
    char describe[96];      /* "OPT 12 layers, hidden 768, vocab 50272" */
} cpu_model;

/* The engine over any model's forward. */
int psamp_engine_cpu_create_model(const cpu_model *m, int32_t n_slots, int32_t max_len,
                                  const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err);

/* Slots of per_slot_bytes that fit in the memory available now (engine_cpu_memory.c's rule);
 * INT32_MAX / 4 when the system does not say. */
int32_t psamp_cpu_slots_fit(uint64_t per_slot_bytes);

#endif
