/* The CPU engine's weights for a Qwen2 / Llama / Phi-3 checkpoint: every tensor converted once
 * to fp32 in one arena. Linear weights stay [out, in] (y = x W^T). q, k and v are fused into
 * one [(heads + 2 kv_heads) * head_dim, hidden] matrix (rows q, k, v: Phi-3's own layout) and
 * gate and up into one [2 ffn, hidden] matrix (rows gate, up), so a layer runs one GEMM for
 * each; q's rows and bias carry the head_dim^-0.5 attention scaling (RoPE is linear, so
 * scaling before the rotation is the same as scaling the scores). */
#ifndef PSAMP_DECODER_WEIGHTS_CPU_H
#define PSAMP_DECODER_WEIGHTS_CPU_H

#include "decoder_checkpoint.h"

typedef struct {
    float *attn_norm, *mlp_norm; /* [h] */
    float *qkv_w, *qkv_b;        /* [(H + 2 KV) hd, h], [(H + 2 KV) hd] or NULL */
    float *o_w;                  /* [h, H hd] */
    float *gate_up_w;            /* [2 ffn, h] */
    float *down_w;               /* [h, ffn] */
} decoder_layer_f32;

typedef struct {
    decoder_config cfg;
    float *embed_tokens;         /* [vocab, h] */
    float *final_norm;           /* [h] */
    float *lm_head;              /* [vocab, h]; == embed_tokens when tied */
    decoder_layer_f32 *layers;
    float *arena;
} decoder_weights_f32;

int decoder_weights_f32_load(decoder_weights_f32 *w, const decoder_checkpoint *ck, psamp_err *err);
void decoder_weights_f32_free(decoder_weights_f32 *w);

/* One layer at a time, for engines that copy the weights elsewhere and should not hold the
 * whole fp32 model on the host: the floats one layer takes, and that layer converted into
 * buf (which must hold decoder_layer_f32_floats(c) floats; out's pointers point into it). */
size_t decoder_layer_f32_floats(const decoder_config *c);
void decoder_layer_f32_convert(const decoder_config *c, const decoder_layer *layer, float *buf, decoder_layer_f32 *out);

#endif
