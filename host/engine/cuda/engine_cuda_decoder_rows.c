/* A Qwen2 / Llama / Phi-3 engine's prefill chunks, steps and forks (engine_cuda_decoder_rows.h).
 *
 * Phi-3 longrope, as decoder_forward_cpu.c does it: a row at position pos uses the short
 * factors while pos + 1 <= original_max_position_embeddings, the long ones after; each slot
 * remembers the set its cached keys were rotated with, and a row whose set differs first
 * recomputes its slot's positions 0..pos-1 with the row's set (Phi-3's generate() rebuilds
 * its cache once on crossing the original context). Prefill chunks stop at the switch, so
 * every forward call here carries one set per slot. Without longrope every set is 0. */
#include "engine_cuda_decoder.h"
#include "engine_cuda_decoder_rows.h"

static int row_set(const cuda_decoder *d, int32_t pos) {
    return d->rope_sets == 2 && pos + 1 > d->rope_switch_len;
}

int32_t cuda_decoder_chunk_rows(const cuda_engine *e, int32_t start, int32_t rows) {
    const cuda_decoder *d = e->dec.fwd;
    const int32_t at = d->rope_switch_len; /* the first position with the long set */
    if (d->rope_sets == 2 && start < at && start + rows > at) return at - start;
    return rows;
}

/* Recomputes positions [0, n_pos) of slot's cache with factor set `set`, a chunk of rows_cap
 * rows at a time, through the forward's own row buffers (e->d.rows holds the batch). */
static int rebuild(cuda_engine *e, int32_t slot, int32_t n_pos, int set, const int32_t *tokens,
                   psamp_err *err) {
    cuda_decoder_part *p = &e->dec;
    for (int32_t start = 0; start < n_pos; start += e->rows_cap) {
        const int32_t m = n_pos - start < e->rows_cap ? n_pos - start : e->rows_cap;
        for (int32_t r = 0; r < m; r++) {
            p->rebuild[r] = (psamp_k_row){.slot = slot, .pos = start + r, .token = tokens[start + r],
                                          .target = -1};
            p->rebuild_sets[r] = (uint8_t)set;
        }
        if (cuda_decoder_forward(p->fwd, p->rebuild, m, p->rebuild_sets, 0, err) != 0)
            return psamp_fail_context(err, "longrope rebuild of slot %d", slot);
        /* the next chunk rewrites the host rows */
        CUDA_TRY(err, cudaStreamSynchronize(e->stream));
    }
    return 0;
}

int cuda_decoder_prepare(cuda_engine *e, int32_t n, int32_t seq_slot, const int32_t *seq, psamp_err *err) {
    cuda_decoder_part *p = &e->dec;
    for (int32_t r = 0; r < n; r++) {
        const psamp_k_row *row = &e->rows_host[r];
        if (row->slot < 0) {
            p->sets_host[r] = 0;
            continue;
        }
        const int set = row_set(p->fwd, row->pos);
        p->sets_host[r] = (uint8_t)set;
        if (r > 0 && e->rows_host[r - 1].slot == row->slot) continue; /* the slot's first row decides */
        if (row->pos > 0 && p->slot_set[row->slot] != set) {
            const int32_t *tokens = row->slot == seq_slot ? seq : psamp_slot_tokens(&e->slots, row->slot);
            if (rebuild(e, row->slot, row->pos, set, tokens, err) != 0) return -1;
        }
        p->slot_set[row->slot] = (uint8_t)set;
    }
    CUDA_TRY(err, cudaMemcpyAsync(p->fwd->row_sets, p->sets_host, (size_t)n, cudaMemcpyHostToDevice, e->stream));
    return 0;
}

int cuda_decoder_run(cuda_engine *e, int32_t n, int want_logits, psamp_err *err) {
    cuda_decoder *d = e->dec.fwd;
    if (cuda_decoder_forward_device(d, e->d.rows, n, want_logits, err) != 0) return -1;
    if (!want_logits) return 0;
    const int32_t v = d->cfg.vocab_size;
    if (e->variants.sample == PSAMP_CUDA_SAMPLE_ONEPASS)
        CUDA_TRY(err, psamp_k_sample_onepass(d->logits, v, v, e->d.rows, n, e->d.results, e->stream));
    else
        CUDA_TRY(err, psamp_k_sample(d->logits, v, v, e->d.rows, n, e->d.results, e->stream));
    return 0;
}

int cuda_decoder_forks(cuda_engine *e, const psamp_fork_request *forks, int32_t n_forks, int32_t n_copies,
                       int32_t max_pos, psamp_err *err) {
    cuda_decoder *d = e->dec.fwd;
    if (n_copies > 0)
        CUDA_TRY(err, psamp_k_kv_fork(d->k_cache, d->v_cache, e->d.forks, n_copies, max_pos, d->cfg.n_layers,
                                      d->n_slots, d->max_len, d->kv_dim, d->dtype, e->stream));
    /* No dst is another fork's src (the slot table checked), so the order does not matter. */
    for (int32_t i = 0; i < n_forks; i++)
        if (forks[i].dst != forks[i].src && forks[i].keep > 1)
            e->dec.slot_set[forks[i].dst] = e->dec.slot_set[forks[i].src];
    return 0;
}
