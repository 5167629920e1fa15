/* An OPT checkpoint as the engines see it: the config, and a view of every tensor in the
 * memory-mapped model.safetensors (nothing is copied until an engine converts it).
 *
 * Linear weights keep Hugging Face's layout: [out_features, in_features], row-major, so
 * y = x W^T + b. Absent optional tensors have data == NULL. */
#ifndef PSAMP_OPT_CHECKPOINT_H
#define PSAMP_OPT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PSAMP_F32 = 0, PSAMP_F16 = 1, PSAMP_BF16 = 2 } psamp_dtype;

typedef struct {
    const void *data;   /* into the mapping; NULL when the tensor is absent */
    psamp_dtype dtype;
    int32_t ndim;       /* 1 or 2 */
    int64_t shape[2];
    const char *name;   /* the name found in the file (owned by the checkpoint) */
} psamp_tensor;

typedef struct {
    int32_t vocab_size;
    int32_t hidden;               /* hidden_size */
    int32_t ffn_dim;
    int32_t n_layers;             /* num_hidden_layers */
    int32_t n_heads;              /* num_attention_heads */
    int32_t max_positions;        /* max_position_embeddings */
    int32_t word_embed_proj_dim;  /* == hidden unless project_in/out exist */
    int32_t pre_ln;               /* do_layer_norm_before */
    int32_t enable_bias;
    int32_t ln_affine;            /* layer_norm_elementwise_affine */
    int32_t has_final_ln;         /* pre_ln and not _remove_final_layer_norm */
    int32_t bos_id, eos_id, pad_id; /* -1 when the config sets them to null */
    int32_t tie_word_embeddings;  /* lm_head is embed_tokens (the file may omit lm_head) */
} opt_config;

typedef struct {
    psamp_tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b; /* self_attn.{q,k,v,out}_proj */
    psamp_tensor attn_ln_w, attn_ln_b;                    /* self_attn_layer_norm */
    psamp_tensor fc1_w, fc1_b, fc2_w, fc2_b;
    psamp_tensor ffn_ln_w, ffn_ln_b;                      /* final_layer_norm (per layer) */
} opt_layer;

typedef struct {
    opt_config cfg;
    psamp_tensor embed_tokens;    /* [vocab, word_embed_proj_dim] */
    psamp_tensor embed_positions; /* [max_positions + 2, hidden]; row = position + 2 */
    psamp_tensor project_in;      /* [hidden, word_embed_proj_dim] or absent */
    psamp_tensor project_out;     /* [word_embed_proj_dim, hidden] or absent */
    psamp_tensor final_ln_w, final_ln_b; /* decoder.final_layer_norm, when has_final_ln */
    psamp_tensor lm_head;         /* [vocab, word_embed_proj_dim]; embed_tokens when tied */
    opt_layer *layers;            /* n_layers entries */
    void *impl;                   /* mapping and parsed header, owned by the loader */
} opt_checkpoint;

/* Loads DIR/config.json and DIR/model.safetensors (or the shards its
 * model.safetensors.index.json lists), checking every tensor against the
 * config. Errors name the file, tensor or field. */
int opt_checkpoint_open(opt_checkpoint *ck, const char *dir, psamp_err *err);
void opt_checkpoint_close(opt_checkpoint *ck);

/* Checks a config's sizes and ids for consistency (positive sizes, hidden divisible by the
 * heads, special ids inside the vocabulary). */
int opt_config_check(const opt_config *cfg, const char *where, psamp_err *err);

/* The shape of facebook/opt-125m: vocab 50272, hidden 768, ffn 3072, 12 layers, 12 heads,
 * 2048 positions, pre-LN, tied lm_head. */
opt_config opt_config_125m(void);

/* An in-memory checkpoint of the given shape with random fp32 weights (deterministic in
 * seed; layer norms start at weight 1, bias 0). For benchmarks and tests without a file;
 * freed by opt_checkpoint_close. */
int opt_checkpoint_random(opt_checkpoint *ck, const opt_config *cfg, uint64_t seed,
                          psamp_err *err);

/* Converts a tensor's elements to fp32 (count = product of its shape). */
void psamp_tensor_to_f32(const psamp_tensor *t, float *dst);
int64_t psamp_tensor_numel(const psamp_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
