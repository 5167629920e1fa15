/* The Qwen2 / Llama / Phi-3 part of the CUDA engine's life cycle (engine_cuda_decoder_setup.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cuda_decoder.h"
#include "engine_cuda_decoder_setup.h"

cuda_decoder_bytes cuda_decoder_engine_bytes(const decoder_config *c, psamp_dtype dtype, int32_t max_len) {
    cuda_decoder_bytes b;
    /* the forward keeps a KV cache of at least 2 positions (cuda_decoder_create) */
    cuda_decoder_plan(c, dtype, max_len < 2 ? 2 : max_len, &b.fixed, &b.per_slot, &b.per_row);
    b.per_slot += 3 * sizeof(int32_t);
    b.per_row += sizeof(psamp_k_row) + sizeof(psamp_k_result);
    return b;
}

int cuda_decoder_engine_check(const decoder_config *c, psamp_dtype dtype, psamp_err *err) {
    const size_t es = dtype == PSAMP_F32 ? 4 : 2;
    const size_t head_bytes = (size_t)c->head_dim * es;
    /* decoder_attention.cu: whole 16-byte pieces per head, at most 32 of them */
    if (c->head_dim < 2 || head_bytes % 16 != 0 || head_bytes / 16 > 32)
        return psamp_fail(err, "cuda engine: %s head_dim %d in %s is not supported (the attention kernel "
                          "takes head_dim %% %d == 0, at most %d)", c->model_type, c->head_dim,
                          dtype == PSAMP_F32 ? "fp32" : "fp16/bf16", dtype == PSAMP_F32 ? 4 : 8,
                          dtype == PSAMP_F32 ? 128 : 256);
    if (c->n_kv_heads < 1 || c->n_heads % c->n_kv_heads != 0)
        return psamp_fail(err, "cuda engine: %s has %d query heads, not a multiple of its %d KV heads",
                          c->model_type, c->n_heads, c->n_kv_heads);
    return 0;
}

int cuda_decoder_engine_init(cuda_engine *e, const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                             psamp_err *err) {
    cuda_decoder_part *p = &e->dec;
    const size_t rows = (size_t)e->rows_cap;
    snprintf(p->model_type, sizeof p->model_type, "%s", ck->cfg.model_type ? ck->cfg.model_type : "decoder");
    p->slot_set = calloc((size_t)n_slots, 1);
    p->rebuild = calloc(rows, sizeof *p->rebuild);
    p->rebuild_sets = calloc(rows, 1);
    p->fwd = calloc(1, sizeof *p->fwd);
    if (!p->slot_set || !p->rebuild || !p->rebuild_sets || !p->fwd) {
        free(p->fwd);
        p->fwd = NULL; /* nothing to destroy in it yet */
        return psamp_fail(err, "cuda engine: out of host memory");
    }
    CUDA_TRY(err, cudaMallocHost((void **)&p->sets_host, rows));
    memset(p->sets_host, 0, rows);
    if (cuda_decoder_create_on(p->fwd, &ck->cfg, e->dtype, n_slots, max_len < 2 ? 2 : max_len, e->rows_cap,
                               e->main_lane.stream, e->main_lane.blas, err) != 0) {
        free(p->fwd); /* create destroyed what it had made */
        p->fwd = NULL;
        return -1;
    }
    if (cuda_decoder_upload(p->fwd, ck, err) != 0) return -1;
    /* The forward's allocations were zeroed on the legacy stream, which the engine's
     * non-blocking stream does not wait for. */
    CUDA_TRY(err, cudaDeviceSynchronize());
    return 0;
}

void cuda_decoder_engine_free(cuda_engine *e) {
    cuda_decoder_part *p = &e->dec;
    if (p->fwd) {
        cuda_decoder_destroy(p->fwd);
        free(p->fwd);
    }
    if (p->sets_host) (void)cudaFreeHost(p->sets_host);
    free(p->slot_set);
    free(p->rebuild);
    free(p->rebuild_sets);
    memset(p, 0, sizeof *p);
}
