/* The CUDA engine for OPT (and Qwen2 / Llama / Phi-3, below): host/engine/engine.h on an
 * NVIDIA GPU.
 *
 * Weights live on the device in fp16 or bf16 (or fp32), GEMMs run on cuBLAS with fp32
 * accumulation, and the KV cache of every slot sits on the device in the weight dtype,
 * sized for n_slots x max_len up front (the create call fails, saying how many slots would
 * fit, when the card's free memory cannot hold it). A step runs every requested slot as one
 * batch, each at its own position: one GEMM per linear layer, attention over ragged KV
 * lengths, then sampling on the device; only the requests go in and the sampled tokens with
 * their log p / log q come out. Steps replay CUDA graphs captured per batch-size bucket.
 * Semantics (slots, pending last token, forks, errors) are the CPU engine's. */
#ifndef PSAMP_ENGINE_CUDA_H
#define PSAMP_ENGINE_CUDA_H

#include <stdint.h>

#include "decoder_checkpoint.h"
#include "engine.h"
#include "engine_cuda_variants.h"
#include "opt_checkpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    psamp_dtype dtype; /* PSAMP_F16, PSAMP_BF16 or PSAMP_F32 */
    int device;        /* CUDA device ordinal */
    /* 1: the KV cache in fp8 e4m3 with a scale per (position, head) (kernels.h
     * psamp_k_kv_fp8): about half the bytes of fp16, so twice the slots and less time per
     * decode step where reading the cache dominates; log p moves (docs: the measured
     * difference). OPT engines with dtype fp16 or bf16 and head dim 16/32/64/128 only;
     * attention then always runs the warp kernels. 0: the cache in dtype. */
    int kv_fp8;
} psamp_cuda_options;

/* CUDA devices usable by this process; 0 when there is no driver or no GPU (never fails). */
int psamp_cuda_device_count(void);

/* Builds the engine from ck (which may be closed afterwards). n_slots >= 1;
 * 2 <= max_len <= the model's max_position_embeddings. opts NULL: fp16 on device 0. */
int psamp_engine_cuda_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                             const psamp_cuda_options *opts, psamp_engine **out,
                             psamp_err *err);

/* The same engine for a Qwen2 / Llama / Phi-3 checkpoint (ck may be closed afterwards): its
 * forward pass is engine_cuda_decoder.h's (RMSNorm, fused RoPE and KV write, GQA attention,
 * SwiGLU, cuBLAS GEMMs in the dtype with fp32 accumulation), behind the same slots, prefill,
 * fork, batched step, on-device sampling and step graphs; a sampled token ends its sequence
 * when it is any of config.json's eos_token_id(s); Phi-3 longrope switches factor sets per
 * prefix as the CPU engine does (engine_cpu_decoder.h). The kernel variants do not apply
 * but for sampling's (PSAMP_SAMPLE); the overlapping halves and tuned plans are OPT's only. */
int psamp_engine_cuda_decoder_create(const decoder_checkpoint *ck, int32_t n_slots, int32_t max_len,
                                     const psamp_cuda_options *opts, psamp_engine **out,
                                     psamp_err *err);
/* psamp_engine_cuda_max_slots for such a checkpoint. */
int psamp_engine_cuda_decoder_max_slots(const decoder_checkpoint *ck, int32_t max_len,
                                        const psamp_cuda_options *opts, int32_t *slots,
                                        psamp_err *err);

/* How many slots of max_len tokens an engine made now with these options would have room
 * for in the device's free memory (the count psamp_engine_cuda_create's out-of-memory error
 * names; creating that many succeeds while the free memory stays as it is). */
int psamp_engine_cuda_max_slots(const opt_checkpoint *ck, int32_t max_len,
                                const psamp_cuda_options *opts, int32_t *slots, psamp_err *err);

/* Switches e's kernels (engine_cuda_variants.h) from the next call on; graphs captured so
 * far are dropped (each batch size captures again on its next step). e must come from
 * psamp_engine_cuda_create. */
int psamp_engine_cuda_set_variants(psamp_engine *e, const psamp_cuda_variants *v,
                                   psamp_err *err);
psamp_cuda_variants psamp_engine_cuda_variants(const psamp_engine *e);

/* For bench_cuda: the median seconds of one step's GEMMs at `rows` rows (every layer's QKV,
 * out_proj, fc1 (with its epilogue where the variants use it) and fc2, then lm_head) as e
 * runs them under its current variants, on e's own buffers (their contents are clobbered,
 * the slots are not); missing tuned plans are tuned first. 1 <= rows <= the rows a step
 * may carry (n_slots, or more). */
int psamp_engine_cuda_time_gemms(psamp_engine *e, int32_t rows, double *seconds, psamp_err *err);
/* The tuned GEMM plans e holds with an algorithm (PSAMP_GEMM_TUNE=on) and the host seconds
 * spent tuning, both since the last variant switch (bench_cuda's report). */
void psamp_engine_cuda_tune_stats(const psamp_engine *e, int32_t *plans, double *seconds);

/* Steps replay CUDA graphs by default; off launches every kernel directly (for debugging
 * and for tests that compare the two). e must come from psamp_engine_cuda_create. */
void psamp_engine_cuda_use_graphs(psamp_engine *e, int on);

#ifdef __cplusplus
}
#endif
#endif
