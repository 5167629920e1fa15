/* The CPU engine's weights: every tensor of an OPT checkpoint converted once to fp32 in one
 * arena, in the layouts the forward pass wants. Linear weights stay [out, in] (y = x W^T).
 * q, k and v are fused into one [3 * hidden, hidden] matrix so a layer runs one GEMM for
 * all three, and q's rows and bias carry the head_dim^-0.5 scaling. Absent tensors are NULL. */
#ifndef PSAMP_OPT_WEIGHTS_CPU_H
#define PSAMP_OPT_WEIGHTS_CPU_H

#include "opt_checkpoint.h"

typedef struct {
    float *qkv_w, *qkv_b;     /* [3h, h], [3h]: rows q (scaled), k, v */
    float *o_w, *o_b;         /* [h, h], [h] */
    float *attn_ln_w, *attn_ln_b;
    float *fc1_w, *fc1_b;     /* [ffn, h], [ffn] */
    float *fc2_w, *fc2_b;     /* [h, ffn], [h] */
    float *ffn_ln_w, *ffn_ln_b;
} opt_layer_f32;

typedef struct {
    opt_config cfg;
    float *embed_tokens;      /* [vocab, proj] */
    float *embed_positions;   /* [max_positions + 2, h] */
    float *project_in;        /* [h, proj] or NULL */
    float *project_out;       /* [proj, h] or NULL */
    float *final_ln_w, *final_ln_b;
    float *lm_head;           /* [vocab, proj]; == embed_tokens when tied */
    opt_layer_f32 *layers;
    float *arena;
} opt_weights_f32;

int opt_weights_f32_load(opt_weights_f32 *w, const opt_checkpoint *ck, psamp_err *err);
void opt_weights_f32_free(opt_weights_f32 *w);

#endif
