/* The CUDA engine's memory plans against the card's free memory (engine_cuda_plan.c): what
 * an OPT engine and a Qwen2 / Llama / Phi-3 engine of n_slots x max_len allocate, whether it
 * fits, and how many slots would. */
#include "engine_cuda_alloc.h"
#include "engine_cuda_decoder_setup.h"
#include "engine_cuda_plan.h"
#include "engine_cuda_weights.h"

static int32_t max3(int32_t a, int32_t b, int32_t c) {
    int32_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* Room left free on the card for the CUDA context's own needs, cuBLAS and the graphs. */
#define MEMORY_MARGIN ((size_t)512 << 20)
/* cuBLAS handles, each with its workspace: the engine's stream and the two halves of
 * engine_cuda_overlap.c. */
#define LANES 3
/* Prefill chunks carry at most this many rows unless n_slots is larger. */
#define PREFILL_ROWS 64

/* Device bytes of the per-call buffers for `rows` rows. */
static size_t buffer_bytes(const opt_config *c, size_t elem, int32_t rows, int32_t max_len) {
    const size_t h = (size_t)c->hidden;
    const size_t wide_h = (size_t)max3(c->hidden, c->ffn_dim, c->word_embed_proj_dim);
    const size_t wide_y = (size_t)max3(3 * c->hidden, c->ffn_dim, c->word_embed_proj_dim);
    const size_t per_row = sizeof(psamp_k_row) + sizeof(psamp_k_result) + h * 4 + wide_h * elem +
                           wide_y * 4 + h * 4 + (size_t)c->vocab_size * 4 +
                           (size_t)c->ffn_dim * elem;
    const size_t partial =
        psamp_attention_partial_floats(rows, c->n_heads, c->hidden / c->n_heads, max_len) * 4;
    return (size_t)rows * per_row + partial;
}

/* K and V of one slot: per position and layer, hidden elements, or with the fp8 cache
 * hidden bytes and a 4-byte scale per head. */
static size_t kv_bytes_per_slot(const opt_config *c, size_t elem, int kv_fp8, int32_t max_len) {
    const size_t pos = kv_fp8 ? (size_t)c->hidden + 4 * (size_t)c->n_heads : (size_t)c->hidden * elem;
    return 2 * (size_t)c->n_layers * (size_t)max_len * pos;
}

int32_t cuda_plan_rows(int32_t n_slots, int32_t max_len) {
    int32_t prefill = max_len - 1 < PREFILL_ROWS ? max_len - 1 : PREFILL_ROWS;
    int32_t rows = n_slots > prefill ? n_slots : prefill;
    return rows > 0 ? rows : 1;
}

/* Device bytes of an engine of n_slots slots: what its plan allocates, and, for the count
 * that fits, a part that does not grow with the slots and one per slot (its KV and one row
 * of every buffer) whose sum bounds the plan from above. The halves' workspaces
 * (engine_cuda_overlap.c) are counted whether or not they are allocated (only once an
 * overlap variant is chosen), so that choosing one later fits. */
static size_t memory_need(const opt_config *c, size_t elem, int kv_fp8, int32_t n_slots,
                          int32_t max_len) {
    return cuda_weights_bytes(c, elem) + kv_bytes_per_slot(c, elem, kv_fp8, max_len) * (size_t)n_slots +
           buffer_bytes(c, elem, cuda_plan_rows(n_slots, max_len), max_len) +
           (size_t)n_slots * 3 * sizeof(int32_t) + LANES * BLAS_WORKSPACE_BYTES + MEMORY_MARGIN;
}

int32_t cuda_plan_slots(const opt_config *c, size_t elem, int kv_fp8, int32_t max_len,
                        size_t free_b) {
    const size_t fixed = cuda_weights_bytes(c, elem) + LANES * BLAS_WORKSPACE_BYTES + MEMORY_MARGIN +
                         buffer_bytes(c, elem, cuda_plan_rows(1, max_len), max_len);
    const size_t per_slot = kv_bytes_per_slot(c, elem, kv_fp8, max_len) + buffer_bytes(c, elem, 1, max_len) +
                            3 * sizeof(int32_t);
    const size_t fit = free_b > fixed ? (free_b - fixed) / per_slot : 0;
    return fit > (size_t)(INT32_MAX / 4) ? INT32_MAX / 4 : (int32_t)fit;
}

/* Fails with the number of slots that would fit when the plan exceeds free memory. */
int cuda_plan_check(const cuda_engine *e, int32_t n_slots, int32_t max_len, psamp_err *err) {
    size_t free_b = 0, total_b = 0;
    CUDA_TRY(err, cudaMemGetInfo(&free_b, &total_b));
    const opt_config *c = &e->cfg;
    const size_t need = memory_need(c, e->elem, e->kv_fp8, n_slots, max_len);
    if (need <= free_b) return 0;
    return psamp_fail(err,
                      "cuda engine: %d slots x %d tokens need %.2f GiB on device %d (KV cache "
                      "%.2f GiB, weights %.2f GiB) but only %.2f GiB of %.2f GiB is free: at "
                      "most %d slots of %d tokens would fit",
                      n_slots, max_len, (double)need / 1073741824.0, e->device,
                      (double)(kv_bytes_per_slot(c, e->elem, e->kv_fp8, max_len) * (size_t)n_slots) / 1073741824.0,
                      (double)cuda_weights_bytes(c, e->elem) / 1073741824.0,
                      (double)free_b / 1073741824.0, (double)total_b / 1073741824.0,
                      cuda_plan_slots(c, e->elem, e->kv_fp8, max_len, free_b), max_len);
}

/* The decoder's plan (engine_cuda_decoder_setup.c) plus the main lane's workspace and the
 * margin; as for OPT, rows_cap <= n_slots + the prefill chunk bounds the count that fits. */
static size_t decoder_need(const cuda_decoder_bytes *b, int32_t n_slots, int32_t max_len) {
    return b->fixed + b->per_slot * (size_t)n_slots + b->per_row * (size_t)cuda_plan_rows(n_slots, max_len) +
           BLAS_WORKSPACE_BYTES + MEMORY_MARGIN;
}

static int32_t decoder_fit(const cuda_decoder_bytes *b, int32_t max_len, size_t free_b) {
    const size_t fixed = b->fixed + BLAS_WORKSPACE_BYTES + MEMORY_MARGIN +
                         b->per_row * (size_t)cuda_plan_rows(1, max_len);
    const size_t fit = free_b > fixed ? (free_b - fixed) / (b->per_slot + b->per_row) : 0;
    return fit > (size_t)(INT32_MAX / 4) ? INT32_MAX / 4 : (int32_t)fit;
}

int cuda_plan_check_decoder(const cuda_engine *e, const decoder_config *c, int32_t n_slots,
                                int32_t max_len, psamp_err *err) {
    size_t free_b = 0, total_b = 0;
    CUDA_TRY(err, cudaMemGetInfo(&free_b, &total_b));
    const cuda_decoder_bytes b = cuda_decoder_engine_bytes(c, e->dtype, max_len);
    const size_t need = decoder_need(&b, n_slots, max_len);
    if (need <= free_b) return 0;
    return psamp_fail(err,
                      "cuda engine: %d slots x %d tokens of %s need %.2f GiB on device %d (KV cache "
                      "%.2f GiB, weights %.2f GiB) but only %.2f GiB of %.2f GiB is free: at "
                      "most %d slots of %d tokens would fit",
                      n_slots, max_len, c->model_type, (double)need / 1073741824.0, e->device,
                      (double)(b.per_slot * (size_t)n_slots) / 1073741824.0,
                      (double)b.fixed / 1073741824.0, (double)free_b / 1073741824.0,
                      (double)total_b / 1073741824.0, decoder_fit(&b, max_len, free_b),
                      max_len);
}

int32_t cuda_plan_decoder_slots(const decoder_config *c, psamp_dtype dtype, int32_t max_len, size_t free_b) {
    const cuda_decoder_bytes b = cuda_decoder_engine_bytes(c, dtype, max_len);
    return decoder_fit(&b, max_len, free_b);
}
