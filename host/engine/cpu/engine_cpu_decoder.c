/* The decoder family's forward behind the CPU engine's table (engine_cpu_forward.h). */
#include "engine_cpu_decoder.h"

#include <stdio.h>
#include <stdlib.h>

#include "decoder_forward_cpu.h"
#include "engine_cpu_forward.h"

typedef struct {
    cpu_forward base;
    decoder_weights_f32 weights;
    decoder_cpu_forward fwd;
} decoder_cpu;

static void dec_rows(cpu_forward *f, const opt_cpu_row *rows, int32_t n, int want_logits,
                     const psamp_slot_table *slots) {
    decoder_cpu_forward_rows(&((decoder_cpu *)f)->fwd, rows, n, want_logits, slots);
}

static void dec_copy_kv(cpu_forward *f, int32_t dst, int32_t src, int32_t n) {
    decoder_cpu_forward_copy_kv(&((decoder_cpu *)f)->fwd, dst, src, n);
}

static void dec_destroy(cpu_forward *f) {
    decoder_cpu *d = (decoder_cpu *)f;
    decoder_cpu_forward_free(&d->fwd);
    decoder_weights_f32_free(&d->weights);
    free(d);
}

static const cpu_forward_ops decoder_forward_ops = {dec_rows, dec_copy_kv, dec_destroy};

static int dec_make(const void *model, cpu_pool *pool, int32_t n_slots, int32_t max_len, int32_t max_rows,
                    cpu_forward **out, psamp_err *err) {
    decoder_cpu *d = calloc(1, sizeof *d);
    if (!d) return psamp_fail(err, "cpu engine: out of memory");
    d->base.ops = &decoder_forward_ops;
    if (decoder_weights_f32_load(&d->weights, model, err) != 0 ||
        decoder_cpu_forward_init(&d->fwd, &d->weights, pool, n_slots, max_len, max_rows, err) != 0) {
        dec_destroy(&d->base);
        return -1;
    }
    d->base.logits = d->fwd.logits;
    d->base.max_rows = d->fwd.max_rows;
    d->base.bytes = d->fwd.bytes;
    *out = &d->base;
    return 0;
}

int psamp_engine_cpu_decoder_create(const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                                    const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err) {
    const decoder_config *c = &ck->cfg;
    cpu_model m = {ck, dec_make, c->vocab_size, c->max_positions, {0}, 0, ""};
    m.n_eos = c->n_eos < CPU_MAX_EOS ? c->n_eos : CPU_MAX_EOS;
    for (int32_t i = 0; i < m.n_eos; i++) m.eos_ids[i] = c->eos_ids[i];
    snprintf(m.describe, sizeof m.describe, "%s %d layers, hidden %d, %d/%d heads, vocab %d", c->model_type,
             c->n_layers, c->hidden, c->n_heads, c->n_kv_heads, c->vocab_size);
    return psamp_engine_cpu_create_model(&m, n_slots, max_len, opts, out, err);
}

int psamp_engine_cpu_decoder_max_slots(const decoder_checkpoint *ck, int32_t max_len, int32_t *slots,
                                       psamp_err *err) {
    const decoder_config *c = &ck->cfg;
    if (max_len < 1 || max_len > c->max_positions)
        return psamp_fail(err, "cpu engine: max_len %d outside [1, %d] (max_position_embeddings)", max_len,
                          c->max_positions);
    /* A slot: fp32 K and V of every layer's KV heads, and its token ids. */
    const uint64_t per_slot = (uint64_t)c->n_layers * 2 * (uint64_t)c->n_kv_heads * (uint64_t)c->head_dim *
                                  (uint64_t)max_len * 4 + (uint64_t)max_len * 4 + 8;
    *slots = psamp_cpu_slots_fit(per_slot);
    return 0;
}
