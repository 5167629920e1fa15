/* Reading the config.json of a Hugging Face Qwen2, Llama or Phi-3 checkpoint (model_type
 * "qwen2", "llama", "phi3"): the "decoder" family of RMSNorm, rotary positions, grouped-query
 * attention and a SwiGLU MLP.
 *
 * Both spellings transformers reads are accepted: version 4's rope_theta / rope_scaling /
 * torch_dtype at the top level (what the released Qwen2.5, Llama-3.1 and Phi-3.5 ship) and
 * version 5's rope_parameters / dtype / layer_types. Every key that changes the computation
 * and is not implemented (sliding windows that bite, llama's attention or MLP biases, rope
 * types other than default / llama3 / longrope, partial rotary factors, activations other
 * than silu) is refused with a one-line error naming the file and the key. */
#ifndef PSAMP_HF_CONFIG_H
#define PSAMP_HF_CONFIG_H

#include <stdint.h>

#include "error.h"

#define DECODER_MAX_EOS 8
#define DECODER_MAX_ROPE_PAIRS 256 /* head_dim / 2 */

typedef enum { DECODER_QWEN2, DECODER_LLAMA, DECODER_PHI3 } decoder_arch;
typedef enum { ROPE_DEFAULT, ROPE_LLAMA3, ROPE_LONGROPE } decoder_rope_type;

typedef struct {
    decoder_rope_type type;
    double theta;                /* rope_theta */
    /* llama3: factor, low_freq_factor, high_freq_factor, original_max_position_embeddings */
    double factor, low_freq_factor, high_freq_factor;
    int32_t original_max_positions; /* llama3 and longrope */
    /* longrope: head_dim / 2 factors each; attention_factor multiplies cos and sin */
    double short_factor[DECODER_MAX_ROPE_PAIRS], long_factor[DECODER_MAX_ROPE_PAIRS];
    double attention_factor;     /* 1 unless longrope */
} decoder_rope;

typedef struct {
    decoder_arch arch;
    const char *model_type;      /* "qwen2", "llama", "phi3" */
    int32_t vocab_size;
    int32_t hidden;              /* hidden_size */
    int32_t ffn_dim;             /* intermediate_size */
    int32_t n_layers;            /* num_hidden_layers */
    int32_t n_heads;             /* num_attention_heads */
    int32_t n_kv_heads;          /* num_key_value_heads (absent or null: n_heads) */
    int32_t head_dim;            /* head_dim (absent or null: hidden / n_heads) */
    int32_t max_positions;       /* max_position_embeddings */
    double rms_eps;              /* rms_norm_eps */
    int32_t tie_word_embeddings; /* lm_head is embed_tokens */
    int32_t qkv_bias;            /* qwen2: q, k and v projections have biases */
    int32_t fused;               /* phi3: qkv_proj and gate_up_proj */
    int32_t bos_id;              /* -1 when null or absent */
    int32_t eos_ids[DECODER_MAX_EOS];
    int32_t n_eos;               /* 0 when null or absent */
    decoder_rope rope;
} decoder_config;

/* Fills cfg from the JSON file at path. */
int hf_config_load(decoder_config *cfg, const char *path, psamp_err *err);

/* generation_config.json at path, when that file exists: its eos_token_id (a number or a list)
 * replaces config.json's, as transformers' generate() uses it (Phi-3.5-mini-instruct ends turns
 * with <|end|>, listed only there). Absent or null there: config.json's ids stay. A missing file
 * is no error; a malformed one is, naming the file and the field. */
int hf_generation_config_load(decoder_config *cfg, const char *path, psamp_err *err);

/* The model_type values hf_config_load reads, as error messages list them. */
#define HF_CONFIG_DECODER_TYPES "\"qwen2\", \"llama\", \"phi3\""

/* Whether model_type names an architecture hf_config_load reads. */
int hf_config_is_decoder_type(const char *model_type);

/* Checks sizes and ids for consistency (the loader calls it; random configs should too). */
int hf_config_check(const decoder_config *cfg, const char *where, psamp_err *err);

#endif
