/* The tokenizer.json pipeline behind a psamp_tokenizer (tok->hf), shared by the
 * host/tokenizer/tokenizer_hf_*.c files; not part of the public API. Each stage holds only what the
 * supported Hugging Face components need; anything else is refused when the file is read. */
#ifndef PSAMP_TOKENIZER_HF_INTERNAL_H
#define PSAMP_TOKENIZER_HF_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tokenizer_internal.h"

/* cJSON's strings end at a NUL, but tokens may contain one ("\u0000", a SentencePiece byte
 * character). The loader replaces that escape by this byte, which valid UTF-8 never holds,
 * and the vocabulary readers turn it back into NUL. */
#define PSAMP_HF_NUL_STAND_IN 0xFF

/* One normalizer step, applied in order to each stretch of text between added tokens. */
typedef enum { PSAMP_HF_NORM_NFC, PSAMP_HF_NORM_PREPEND, PSAMP_HF_NORM_REPLACE } psamp_hf_norm_kind;
typedef struct {
    psamp_hf_norm_kind kind;
    char *a, *b; /* PREPEND: a = the prefix; REPLACE: every a becomes b (a non-empty) */
    size_t a_len, b_len;
} psamp_hf_norm_step;

/* How a normalized stretch is cut into pieces for the model. */
typedef enum {
    PSAMP_HF_SPLIT_NONE,  /* no pre-tokenizer: the stretch is one piece */
    PSAMP_HF_SPLIT_GPT2,  /* ByteLevel with use_regex: GPT-2's pattern */
    PSAMP_HF_SPLIT_QWEN2, /* Split with Qwen2's pattern (numbers one digit at a time) */
    PSAMP_HF_SPLIT_LLAMA3 /* Split with Llama-3's pattern (numbers in runs of up to three) */
} psamp_hf_split_kind;

/* An entry of added_tokens: matched in the text before the model sees it. */
typedef struct {
    const char *text; /* content, pointing into the tokenizer's spelling pool */
    size_t len;
    int32_t id;
    unsigned special : 1, lstrip : 1, rstrip : 1, normalized : 1;
} psamp_hf_added;

typedef struct psamp_tok_hf psamp_tok_hf;
struct psamp_tok_hf {
    /* normalizer */
    psamp_hf_norm_step *norm;
    int n_norm;

    /* pre_tokenizer */
    psamp_hf_split_kind split;
    int byte_level; /* a ByteLevel pre-tokenizer: the model sees bytes as GPT-2's characters */

    /* model (BPE) */
    int ignore_merges;  /* a piece that is a whole vocabulary entry is not merged */
    int byte_fallback;  /* a character outside the vocabulary becomes <0xXX> tokens */
    int fuse_unk;
    int32_t unk_id;     /* -1: none */
    int32_t fallback_id[256]; /* <0xXX> ids when byte_fallback */
    uint8_t *in_model;  /* per id: 1 when model.vocab has it (lookups for BPE use only these) */

    /* added_tokens, in file order */
    psamp_hf_added *added;
    int n_added;
    uint8_t added_first[256]; /* 1 for each byte some added token starts with */
    uint8_t *is_special; /* per id: an added token marked special (skip_special_tokens) */

    /* post_processor: TemplateProcessing's "single" template around the sequence */
    int32_t *prefix, *suffix;
    int n_prefix, n_suffix;

    /* decoder: ByteLevel, or Replace* [ByteFallback] [Fuse] [Strip] (the SentencePiece style) */
    int decode_byte_level;
    int decode_byte_fallback;
    int strip_start, strip_stop; /* characters `strip_char` cut from the start / end */
    uint32_t strip_char;
    /* Per id the token as the decoder's first stage leaves it: ByteLevel: its bytes;
     * otherwise its content after the Replace steps. fallback_byte[id]: the byte of a
     * <0xXX> token (ByteFallback), else -1. */
    unsigned char *piece_pool;
    size_t *piece_off;
    int32_t *piece_len;
    int16_t *fallback_byte;
};

/* tokenizer_hf_model.c: model.vocab, model.merges and added_tokens into tok (spellings,
 * maps, tok->hf's model fields and added tokens). `path` names the file in errors. */
int psamp_hf_read_model(psamp_tokenizer *tok, const cJSON *root, const char *path, psamp_err *err);

/* tokenizer_hf_pipeline.c: normalizer, pre_tokenizer, post_processor and decoder. Needs the
 * vocabulary (template ids, decoder pieces). */
int psamp_hf_read_pipeline(psamp_tokenizer *tok, const cJSON *root, const char *path,
                           psamp_err *err);

/* tokenizer_hf_split.c: the Qwen2 / Llama-3 split pattern (PSAMP_HF_SPLIT_QWEN2 / _LLAMA3),
 * one piece at a time; returns 0 when none is left. */
int psamp_hf_next_piece(psamp_hf_split_kind kind, psamp_tok_pieces *it, size_t *start, size_t *end);

/* tokenizer_hf_nfc.c: Unicode NFC of s[0..len) appended to a malloc'd buffer; bytes that are
 * not valid UTF-8 pass through unchanged (and block composition). */
int psamp_hf_nfc(const unsigned char *s, size_t len, unsigned char **out, size_t *out_len,
                 psamp_err *err);


#endif
