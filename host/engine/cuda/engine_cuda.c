/* The CUDA engine's face (engine_cuda.h): its life cycle (argument checks, the memory plan
 * against the card's free memory (engine_cuda_plan.c), allocation of weights, KV cache and
 * per-call buffers, and their release), its ops table, and the public calls that check they were given a CUDA
 * engine before reaching into it. The model kind is chosen here: an OPT engine's weights and
 * buffers are made below; a Qwen2 / Llama / Phi-3 engine's forward pass by
 * engine_cuda_decoder_setup.c, on the same lane, slots, staging buffers and ops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cuda.h"
#include "engine_cuda_alloc.h"
#include "engine_cuda_decoder_setup.h"
#include "engine_cuda_gemm_time.h"
#include "engine_cuda_ops.h"
#include "engine_cuda_overlap.h"
#include "engine_cuda_plan.h"
#include "engine_cuda_state.h"
#include "engine_cuda_tune.h"
#include "engine_cuda_weights.h"


int psamp_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError(); /* no driver or no device: not an error here */
        return 0;
    }
    return n;
}

/* Frees everything the engine holds (any partly built engine too). */
static void cuda_engine_destroy(psamp_engine *base) {
    cuda_engine *e = (cuda_engine *)base;
    if (!e) return;
    (void)cudaSetDevice(e->device);
    if (e->stream) (void)cudaStreamSynchronize(e->stream);
    cuda_buckets_free(e);
    cuda_overlap_free(e);
    cuda_decoder_engine_free(e); /* before the lane it borrows */
    if (e->lt) (void)cublasLtDestroy(e->lt);
    for (int32_t i = 0; i < e->n_allocs; i++) (void)cudaFree(e->allocs[i]);
    free(e->allocs);
    if (e->rows_host) (void)cudaFreeHost(e->rows_host);
    if (e->results_host) (void)cudaFreeHost(e->results_host);
    if (e->forks_host) (void)cudaFreeHost(e->forks_host);
    if (e->blas) (void)cublasDestroy(e->blas);
    if (e->stream) (void)cudaStreamDestroy(e->stream);
    (void)cudaGetLastError(); /* leave no error behind for the next user of the device */
    free(e->w.layers);
    psamp_slots_free(&e->slots);
    free(e);
}

static const char *dtype_name(psamp_dtype d) {
    return d == PSAMP_F16 ? "fp16" : d == PSAMP_BF16 ? "bf16" : "fp32";
}

static int32_t max3(int32_t a, int32_t b, int32_t c) {
    int32_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* The checks every model's engine makes: slots, max_len against the model's positions,
 * the dtype. */
static int check_sizes(int32_t n_slots, int32_t max_len, int32_t max_positions,
                       const psamp_cuda_options *o, psamp_err *err) {
    if (n_slots < 1) return psamp_fail(err, "cuda engine: n_slots must be >= 1, got %d", n_slots);
    if (max_len < 1 || max_len > max_positions)
        return psamp_fail(err, "cuda engine: max_len %d outside [1, %d] (max_position_embeddings)",
                          max_len, max_positions);
    if (o->dtype != PSAMP_F16 && o->dtype != PSAMP_BF16 && o->dtype != PSAMP_F32)
        return psamp_fail(err, "cuda engine: dtype %d is not fp16, bf16 or fp32", (int)o->dtype);
    /* The attention grid and buffer offsets are 32-bit in places: keep sizes in range. */
    if ((int64_t)n_slots * max_len > INT32_MAX / 4)
        return psamp_fail(err, "cuda engine: %d slots x %d tokens is too many positions", n_slots,
                          max_len);
    return 0;
}

static int check_device(const psamp_cuda_options *o, psamp_err *err) {
    const int count = psamp_cuda_device_count();
    if (o->device < 0 || o->device >= count)
        return psamp_fail(err, "cuda engine: no CUDA device %d (%d found)", o->device, count);
    return 0;
}

static int check_args(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                      const psamp_cuda_options *o, psamp_err *err) {
    const opt_config *c = &ck->cfg;
    if (check_sizes(n_slots, max_len, c->max_positions, o, err)) return -1;
    if (c->n_heads < 1 || c->hidden % c->n_heads != 0 ||
        c->hidden / c->n_heads > PSAMP_ATTN_MAX_HEAD_DIM)
        return psamp_fail(err, "cuda engine: head dim %d (hidden %d / %d heads) is not supported "
                          "(at most %d)", c->n_heads > 0 ? c->hidden / c->n_heads : 0, c->hidden,
                          c->n_heads, PSAMP_ATTN_MAX_HEAD_DIM);
    if (o->kv_fp8) {
        const int32_t hd = c->hidden / c->n_heads;
        if (o->dtype == PSAMP_F32)
            return psamp_fail(err, "cuda engine: the fp8 KV cache needs dtype fp16 or bf16, not fp32");
        if (hd != 16 && hd != 32 && hd != 64 && hd != 128)
            return psamp_fail(err, "cuda engine: the fp8 KV cache needs head dim 16, 32, 64 or 128, "
                              "not %d", hd);
    }
    return check_device(o, err);
}

static int setup_device(cuda_engine *e, psamp_err *err) {
    CUDA_TRY(err, cudaSetDevice(e->device));
    /* Priority 0: the default (and least) priority of CUDA streams. */
    const int rc = cuda_lane_create(e, &e->main_lane, 0, err);
    e->stream = e->main_lane.stream; /* destroy frees them (any made before a failure) */
    e->blas = e->main_lane.blas;
    if (rc) return -1;
    CUBLAS_TRY(err, cublasLtCreate(&e->lt));
    return 0;
}

static int alloc_state(cuda_engine *e, int32_t n_slots, int32_t max_len, psamp_err *err) {
    const opt_config *c = &e->cfg;
    const size_t r = (size_t)e->rows_cap, h = (size_t)c->hidden;
    const size_t wide_h = (size_t)max3(c->hidden, c->ffn_dim, c->word_embed_proj_dim);
    const size_t wide_y = (size_t)max3(3 * c->hidden, c->ffn_dim, c->word_embed_proj_dim);
    e->wide_h = wide_h;
    e->wide_y = wide_y;
    e->kv_layer_bytes = (size_t)n_slots * (size_t)max_len * h * (e->kv_fp8 ? 1 : e->elem);
    e->kv_scale_layer_floats = e->kv_fp8 ? (size_t)n_slots * (size_t)max_len * (size_t)c->n_heads : 0;
    const size_t scale_bytes = e->kv_scale_layer_floats * (size_t)c->n_layers * sizeof(float);
    cuda_buffers *d = &e->d;
    void *p[10];
    if (cuda_engine_alloc(e, &e->k_cache, e->kv_layer_bytes * (size_t)c->n_layers, "K cache", err) ||
        cuda_engine_alloc(e, &e->v_cache, e->kv_layer_bytes * (size_t)c->n_layers, "V cache", err) ||
        (e->kv_fp8 && (cuda_engine_alloc(e, (void **)&e->k_scale, scale_bytes, "K scales", err) ||
                       cuda_engine_alloc(e, (void **)&e->v_scale, scale_bytes, "V scales", err))) ||
        cuda_engine_alloc(e, &p[2], r * h * 4, "residual stream", err) ||
        cuda_engine_alloc(e, &p[3], r * wide_h * e->elem, "GEMM inputs", err) ||
        cuda_engine_alloc(e, &p[4], r * wide_y * 4, "GEMM outputs", err) ||
        cuda_engine_alloc(e, &p[5], r * h * 4, "queries", err) ||
        cuda_engine_alloc(e, &p[6], r * (size_t)c->vocab_size * 4, "logits", err) ||
        cuda_engine_alloc(e, &p[7],
                          psamp_attention_partial_floats(e->rows_cap, c->n_heads, e->head_dim,
                                                         max_len) * 4,
                          "attention splits", err) ||
        cuda_engine_alloc(e, &p[9], r * (size_t)c->ffn_dim * e->elem, "fc1 outputs", err))
        return -1;
    d->x = p[2];
    d->h = p[3];
    d->y = p[4];
    d->q = p[5];
    d->logits = p[6];
    d->partial = p[7];
    d->ffn_t = p[9];
    /* The uploads and memsets ran on the legacy stream, which the engine's non-blocking
     * stream does not wait for. */
    CUDA_TRY(err, cudaDeviceSynchronize());
    return 0;
}

/* What every model's ops use: the batch's rows, results and fork triples on the device and
 * their pinned staging on the host. */
static int alloc_io(cuda_engine *e, int32_t n_slots, psamp_err *err) {
    const size_t r = (size_t)e->rows_cap, forks = (size_t)n_slots * 3 * sizeof(int32_t);
    void *p[3];
    if (cuda_engine_alloc(e, &p[0], r * sizeof(psamp_k_row), "rows", err) ||
        cuda_engine_alloc(e, &p[1], r * sizeof(psamp_k_result), "results", err) ||
        cuda_engine_alloc(e, &p[2], forks, "fork list", err))
        return -1;
    e->d.rows = p[0];
    e->d.results = p[1];
    e->d.forks = p[2];
    CUDA_TRY(err, cudaMallocHost((void **)&e->rows_host, r * sizeof(psamp_k_row)));
    CUDA_TRY(err, cudaMallocHost((void **)&e->results_host, r * sizeof(psamp_k_result)));
    CUDA_TRY(err, cudaMallocHost((void **)&e->forks_host, forks));
    CUDA_TRY(err, cudaDeviceSynchronize()); /* the memsets, as above */
    return 0;
}

/* info.detail = detail_base + the variants' name (a decoder engine's: its kernels and its
 * sampler, the one variant it takes). */
static void cuda_describe_variants(cuda_engine *e) {
    if (e->dec.fwd) {
        snprintf(e->base.info.detail, sizeof e->base.info.detail, "%.120s, decoder kernels, sampling %s",
                 e->detail_base, e->variants.sample == PSAMP_CUDA_SAMPLE_ONEPASS ? "onepass" : "threepass");
        return;
    }
    char name[PSAMP_CUDA_VARIANTS_NAME_MAX];
    psamp_cuda_variants_name(&e->variants, name);
    snprintf(e->base.info.detail, sizeof e->base.info.detail, "%.96s, kernels %.53s", e->detail_base,
             name);
}

static int describe(cuda_engine *e, psamp_err *err) {
    struct cudaDeviceProp prop;
    CUDA_TRY(err, cudaGetDeviceProperties(&prop, e->device));
    const opt_config *c = &e->cfg;
    psamp_engine_info *info = &e->base.info;
    info->backend = "cuda";
    snprintf(e->detail_base, sizeof e->detail_base,
             "OPT %d layers, hidden %d, vocab %d, %s%s on %.40s (device %d)", c->n_layers,
             c->hidden, c->vocab_size, dtype_name(e->dtype), e->kv_fp8 ? ", KV fp8" : "",
             prop.name, e->device);
    cuda_describe_variants(e);
    info->vocab_size = c->vocab_size;
    info->n_slots = e->slots.n_slots;
    info->max_len = e->slots.max_len;
    info->min_prompt = 1;
    return 0;
}

static const psamp_engine_ops cuda_engine_ops = {cuda_engine_destroy, cuda_prefill, cuda_fork,
                                                 cuda_step};

int psamp_engine_cuda_max_slots(const opt_checkpoint *ck, int32_t max_len,
                                const psamp_cuda_options *opts, int32_t *slots, psamp_err *err) {
    const psamp_cuda_options defaults = {.dtype = PSAMP_F16};
    const psamp_cuda_options *o = opts ? opts : &defaults;
    size_t free_b = 0, total_b = 0;
    *slots = 0;
    if (check_args(ck, 1, max_len, o, err)) return -1;
    CUDA_TRY(err, cudaSetDevice(o->device));
    CUDA_TRY(err, cudaMemGetInfo(&free_b, &total_b));
    *slots = cuda_plan_slots(&ck->cfg, o->dtype == PSAMP_F32 ? 4 : 2, o->kv_fp8, max_len, free_b);
    return 0;
}

int psamp_engine_cuda_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                             const psamp_cuda_options *opts, psamp_engine **out,
                             psamp_err *err) {
    *out = NULL;
    const psamp_cuda_options defaults = {.dtype = PSAMP_F16};
    const psamp_cuda_options *o = opts ? opts : &defaults;
    if (check_args(ck, n_slots, max_len, o, err)) return -1;
    cuda_engine *e = calloc(1, sizeof *e);
    if (!e) return psamp_fail(err, "cuda engine: out of host memory");
    e->base.ops = &cuda_engine_ops;
    e->cfg = ck->cfg;
    e->dtype = o->dtype;
    e->elem = o->dtype == PSAMP_F32 ? 4 : 2;
    e->kv_fp8 = o->kv_fp8 != 0;
    e->device = o->device;
    e->head_dim = ck->cfg.hidden / ck->cfg.n_heads;
    e->rows_cap = cuda_plan_rows(n_slots, max_len);
    e->use_graphs = 1;
    e->eos_ids[0] = ck->cfg.eos_id;
    e->n_eos = 1;
    if (psamp_cuda_variants_from_env(&e->variants, err) || setup_device(e, err) ||
        cuda_plan_check(e, n_slots, max_len, err) ||
        cuda_weights_upload(e, ck, err) || alloc_state(e, n_slots, max_len, err) ||
        alloc_io(e, n_slots, err) ||
        psamp_slots_init(&e->slots, "cuda engine", n_slots, max_len, ck->cfg.vocab_size,
                         ck->cfg.eos_id, err) ||
        cuda_buckets_init(e, err) || describe(e, err) ||
        (e->variants.overlap != PSAMP_CUDA_OVERLAP_OFF && cuda_overlap_init(e, err)))
        goto fail;
    *out = &e->base;
    return 0;
fail:
    cuda_engine_destroy(&e->base);
    return -1;
}

/* ---- Qwen2 / Llama / Phi-3 checkpoints: the same engine over engine_cuda_decoder.h -------- */

static int check_decoder_args(const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                              const psamp_cuda_options *o, psamp_err *err) {
    if (check_sizes(n_slots, max_len, ck->cfg.max_positions, o, err) ||
        cuda_decoder_engine_check(&ck->cfg, o->dtype, err))
        return -1;
    if (o->kv_fp8)
        return psamp_fail(err, "cuda engine: the fp8 KV cache is for OPT models only so far, not %s",
                          ck->cfg.model_type);
    return check_device(o, err);
}

static int describe_decoder(cuda_engine *e, const decoder_config *c, psamp_err *err) {
    struct cudaDeviceProp prop;
    CUDA_TRY(err, cudaGetDeviceProperties(&prop, e->device));
    psamp_engine_info *info = &e->base.info;
    info->backend = "cuda";
    snprintf(e->detail_base, sizeof e->detail_base, "%.15s %d layers, hidden %d, %d/%d heads, vocab %d, %s on %.30s (device %d)",
             e->dec.model_type, c->n_layers, c->hidden, c->n_heads, c->n_kv_heads, c->vocab_size,
             dtype_name(e->dtype), prop.name, e->device);
    cuda_describe_variants(e);
    info->vocab_size = c->vocab_size;
    info->n_slots = e->slots.n_slots;
    info->max_len = e->slots.max_len;
    info->min_prompt = 1;
    return 0;
}

int psamp_engine_cuda_decoder_max_slots(const decoder_checkpoint *ck, int32_t max_len,
                                        const psamp_cuda_options *opts, int32_t *slots,
                                        psamp_err *err) {
    const psamp_cuda_options defaults = {.dtype = PSAMP_F16};
    const psamp_cuda_options *o = opts ? opts : &defaults;
    size_t free_b = 0, total_b = 0;
    *slots = 0;
    if (check_decoder_args(ck, 1, max_len, o, err)) return -1;
    CUDA_TRY(err, cudaSetDevice(o->device));
    CUDA_TRY(err, cudaMemGetInfo(&free_b, &total_b));
    *slots = cuda_plan_decoder_slots(&ck->cfg, o->dtype, max_len, free_b);
    return 0;
}

int psamp_engine_cuda_decoder_create(const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                                     const psamp_cuda_options *opts, psamp_engine **out,
                                     psamp_err *err) {
    *out = NULL;
    const psamp_cuda_options defaults = {.dtype = PSAMP_F16};
    const psamp_cuda_options *o = opts ? opts : &defaults;
    if (check_decoder_args(ck, n_slots, max_len, o, err)) return -1;
    const decoder_config *c = &ck->cfg;
    cuda_engine *e = calloc(1, sizeof *e);
    if (!e) return psamp_fail(err, "cuda engine: out of host memory");
    e->base.ops = &cuda_engine_ops;
    e->dtype = o->dtype;
    e->elem = o->dtype == PSAMP_F32 ? 4 : 2;
    e->device = o->device;
    e->head_dim = c->head_dim;
    e->rows_cap = cuda_plan_rows(n_slots, max_len);
    e->use_graphs = 1;
    e->n_eos = c->n_eos < CUDA_MAX_EOS ? c->n_eos : CUDA_MAX_EOS;
    for (int32_t i = 0; i < e->n_eos; i++) e->eos_ids[i] = c->eos_ids[i];
    if (psamp_cuda_variants_from_env(&e->variants, err)) goto fail;
    /* OPT's schedules: a decoder engine runs its one forward on the main lane */
    e->variants.overlap = PSAMP_CUDA_OVERLAP_OFF;
    e->variants.gemm_tune = PSAMP_CUDA_GEMM_TUNE_OFF;
    if (setup_device(e, err) || cuda_plan_check_decoder(e, c, n_slots, max_len, err) ||
        cuda_decoder_engine_init(e, ck, n_slots, max_len, err) || alloc_io(e, n_slots, err) ||
        psamp_slots_init(&e->slots, "cuda engine", n_slots, max_len, c->vocab_size,
                         e->n_eos > 0 ? e->eos_ids[0] : -1, err) ||
        cuda_buckets_init(e, err) || describe_decoder(e, c, err))
        goto fail;
    *out = &e->base;
    return 0;
fail:
    cuda_engine_destroy(&e->base);
    return -1;
}

/* The public calls on a live engine: each checks that e is a CUDA engine first. */

int psamp_engine_cuda_set_variants(psamp_engine *base, const psamp_cuda_variants *v,
                                   psamp_err *err) {
    if (!base || base->ops != &cuda_engine_ops)
        return psamp_fail(err, "cuda engine: set_variants on an engine that is not a cuda engine");
    if (!psamp_cuda_variants_valid(v))
        return psamp_fail(err, "cuda engine: variants (%d, %d, %d, %d, %d, %d, %d, %d) are not "
                          "one value of each variant field", (int)v->attention, (int)v->gemm,
                          (int)v->norm, (int)v->sample, (int)v->kv, (int)v->ffn, (int)v->overlap,
                          (int)v->gemm_tune);
    cuda_engine *e = (cuda_engine *)base;
    if (e->dec.fwd && v->overlap != PSAMP_CUDA_OVERLAP_OFF)
        return psamp_fail(err, "cuda engine: the overlapping halves (PSAMP_OVERLAP) run OPT only, not %s",
                          e->dec.model_type);
    if (v->overlap != PSAMP_CUDA_OVERLAP_OFF && cuda_overlap_init(e, err)) return -1;
    if (memcmp(&e->variants, v, sizeof *v) != 0) {
        e->variants = *v;
        cuda_buckets_reset(e);
        cuda_describe_variants(e);
    }
    return 0;
}

psamp_cuda_variants psamp_engine_cuda_variants(const psamp_engine *base) {
    const psamp_cuda_variants none = {PSAMP_CUDA_ATTN_WARP, PSAMP_CUDA_GEMM_GEMV,
                                      PSAMP_CUDA_NORM_ROWS, PSAMP_CUDA_SAMPLE_ONEPASS,
                                      PSAMP_CUDA_KV_FUSED,  PSAMP_CUDA_FFN_EPILOGUE,
                                      PSAMP_CUDA_OVERLAP_OFF, PSAMP_CUDA_GEMM_TUNE_OFF};
    if (!base || base->ops != &cuda_engine_ops) return none;
    return ((const cuda_engine *)base)->variants;
}

int psamp_engine_cuda_time_gemms(psamp_engine *base, int32_t rows, double *seconds,
                                 psamp_err *err) {
    *seconds = 0.0;
    if (!base || base->ops != &cuda_engine_ops)
        return psamp_fail(err, "cuda engine: time_gemms on an engine that is not a cuda engine");
    if (((cuda_engine *)base)->dec.fwd)
        return psamp_fail(err, "cuda engine: time_gemms times OPT's GEMMs, not %s's",
                          ((cuda_engine *)base)->dec.model_type);
    return cuda_time_gemms((cuda_engine *)base, rows, seconds, err);
}

void psamp_engine_cuda_tune_stats(const psamp_engine *base, int32_t *plans, double *seconds) {
    *plans = 0;
    *seconds = 0.0;
    if (!base || base->ops != &cuda_engine_ops) return;
    cuda_tune_stats((const cuda_engine *)base, plans, seconds);
}

void psamp_engine_cuda_use_graphs(psamp_engine *e, int on) {
    if (e && e->ops == &cuda_engine_ops) ((cuda_engine *)e)->use_graphs = on != 0;
}
