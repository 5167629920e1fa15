/* Shared by the tokenizer's files (host/tokenizer/tokenizer*.c); not part of the public API. */
#ifndef PSAMP_TOKENIZER_INTERNAL_H
#define PSAMP_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tokenizer.h"

/* vocab.json ids must be below this, so that per-id tables stay a sane size. */
#define PSAMP_TOK_MAX_ID (1 << 22)
/* Special tokens cut out of text before BPE (see tokenizer.h). */
#define PSAMP_TOK_MAX_SPECIALS 2

/* One merge: the pair (left, right) of ids becomes `merged`; lower rank merges first. */
typedef struct {
    uint64_t pair; /* left << 32 | right */
    int32_t rank;  /* -1: empty slot */
    int32_t merged;
} psamp_tok_merge;

struct psamp_tokenizer {
    int32_t vocab_size; /* max id + 1 */
    int32_t n_tokens;   /* entries in vocab.json (fewer than vocab_size when ids have gaps) */

    /* Per id: the token as spelled in vocab.json, and the raw bytes it decodes to.
     * spelling_len[id] < 0 marks an id that vocab.json does not use. */
    char *spelling_pool;
    size_t *spelling_off;
    int32_t *spelling_len;
    unsigned char *bytes_pool;
    size_t *bytes_off;
    int32_t *bytes_len;

    /* spelling -> id: open addressing, slots hold ids (-1 empty); capacity a power of two. */
    int32_t *vocab_slots;
    size_t vocab_mask;

    /* (left, right) -> merge: open addressing, capacity a power of two. */
    psamp_tok_merge *merge_slots;
    size_t merge_mask;
    int32_t n_merges;

    /* Byte-level alphabet: byte b is the character byte_char[b] (GPT-2's bytes_to_unicode)
     * and the vocabulary id byte_id[b]. */
    uint32_t byte_char[256];
    int32_t byte_id[256];

    int n_specials;
    struct {
        const char *text; /* points into spelling_pool */
        size_t len;
        int32_t id;
    } specials[PSAMP_TOK_MAX_SPECIALS];

    /* The tokenizer.json pipeline (tokenizer_hf_*.c); NULL for vocab.json + merges.txt. */
    struct psamp_tok_hf *hf;
};

/* tokenizer.c: GPT-2's bytes_to_unicode(): the character that stands for each byte. */
void psamp_tok_byte_chars(uint32_t byte_char[256]);

/* tokenizer_files.c: fill the vocabulary (spellings, spelling -> id map) and the merges. */
int psamp_tok_read_vocab(psamp_tokenizer *tok, const char *path, psamp_err *err);
int psamp_tok_read_merges(psamp_tokenizer *tok, const char *path, psamp_err *err);
/* A token for an error line: printable ASCII and UTF-8 as they are, other bytes as \xNN,
 * cut short when long; returns out. */
const char *psamp_tok_quote(const char *s, size_t len, char out[80]);

/* tokenizer_maps.c: the two hash maps. */
int psamp_tok_vocab_map_build(psamp_tokenizer *tok, psamp_err *err); /* from the spellings */
int32_t psamp_tok_vocab_find(const psamp_tokenizer *tok, const char *s, size_t len); /* -1 absent */
int psamp_tok_merge_map_init(psamp_tokenizer *tok, size_t expected, psamp_err *err);
void psamp_tok_merge_put(psamp_tokenizer *tok, int32_t left, int32_t right, int32_t rank,
                         int32_t merged); /* a repeated pair takes the new rank */
const psamp_tok_merge *psamp_tok_merge_find(const psamp_tokenizer *tok, int32_t left, int32_t right);

/* tokenizer_pretokenize.c: GPT-2's pattern, one piece at a time. */
typedef struct {
    const unsigned char *text;
    size_t len;
    size_t pos;
} psamp_tok_pieces;
/* Next piece [*start, *end) of it->text; returns 0 when none is left. */
int psamp_tok_next_piece(psamp_tok_pieces *it, size_t *start, size_t *end);

/* tokenizer_encode.c: the BPE merge loop, shared by both file formats. */
typedef struct {
    int32_t *ids;
    size_t n, cap;
} psamp_tok_ids;
typedef struct {
    int32_t rank, left; /* the pair (left, next[left]) */
} psamp_tok_candidate;
/* Scratch space for one encode call, grown to the longest piece seen. */
typedef struct {
    int32_t *sym, *prev, *next;
    psamp_tok_candidate *heap;
    size_t cap, heap_n;
} psamp_tok_bpe_work;
int psamp_tok_push_id(psamp_tok_ids *out, int32_t id, psamp_err *err);
int psamp_tok_bpe_reserve(psamp_tok_bpe_work *w, size_t m, psamp_err *err); /* room for m symbols */
/* Merges the symbols w->sym[0..n) (ids; n >= 0, reserved) by rank, lowest first and leftmost
 * among equals, and appends the result to out. */
int psamp_tok_bpe_merge(const psamp_tokenizer *tok, psamp_tok_bpe_work *w, int32_t n,
                        psamp_tok_ids *out, psamp_err *err);
void psamp_tok_bpe_work_free(psamp_tok_bpe_work *w);

/* tokenizer_hf*.c: releases tok->hf; encoding and decoding with it (add_special /
 * skip_special as Hugging Face's flags). */
void psamp_tok_hf_free(struct psamp_tok_hf *hf);
int psamp_hf_encode(const psamp_tokenizer *tok, const char *text, size_t len, int add_special,
                    int32_t **ids, int32_t *n, psamp_err *err);
int psamp_hf_decode(const psamp_tokenizer *tok, const int32_t *ids, int32_t n, int skip_special,
                    char **text, size_t *len, psamp_err *err);

#endif
