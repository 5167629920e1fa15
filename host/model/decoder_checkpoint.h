/* A Qwen2, Llama or Phi-3 checkpoint as the engines see it: the config (hf_config.h) and a
 * view of every tensor in the memory-mapped safetensors file(s), bound by Hugging Face name
 * and checked against the config's shapes. Nothing is copied until an engine converts it.
 *
 * Linear weights keep Hugging Face's [out_features, in_features] layout (y = x W^T + b).
 * Phi-3 stores q, k, v fused (qkv_w: rows q, k, v) and gate, up fused (gate_up_w: rows gate,
 * up); Qwen2 and Llama store them apart. Absent tensors have data == NULL. */
#ifndef PSAMP_DECODER_CHECKPOINT_H
#define PSAMP_DECODER_CHECKPOINT_H

#include "hf_config.h"
#include "opt_checkpoint.h" /* psamp_tensor, psamp_dtype */

typedef struct {
    psamp_tensor attn_norm, mlp_norm;   /* input_layernorm, post_attention_layernorm */
    psamp_tensor q_w, k_w, v_w;         /* qwen2, llama */
    psamp_tensor q_b, k_b, v_b;         /* qwen2 */
    psamp_tensor qkv_w;                 /* phi3: [(heads + 2 kv_heads) * head_dim, hidden] */
    psamp_tensor o_w;                   /* [hidden, heads * head_dim] */
    psamp_tensor gate_w, up_w;          /* qwen2, llama: [ffn, hidden] */
    psamp_tensor gate_up_w;             /* phi3: [2 ffn, hidden] */
    psamp_tensor down_w;                /* [hidden, ffn] */
} decoder_layer;

typedef struct {
    decoder_config cfg;
    psamp_tensor embed_tokens;          /* [vocab, hidden] */
    psamp_tensor final_norm;            /* model.norm */
    psamp_tensor lm_head;               /* [vocab, hidden]; embed_tokens when tied */
    decoder_layer *layers;              /* n_layers */
    void *files;                        /* the mapped files (psamp_st_set), owned */
} decoder_checkpoint;

/* Loads DIR/config.json and DIR/model.safetensors (or its sharded index). Errors name the
 * file, tensor or field. */
int decoder_checkpoint_open(decoder_checkpoint *ck, const char *dir, psamp_err *err);
void decoder_checkpoint_close(decoder_checkpoint *ck);

#endif
