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
};

/* tokenizer_files.c: fill the vocabulary (spellings, spelling -> id map) and the merges. */
int psamp_tok_read_vocab(psamp_tokenizer *tok, const char *path, psamp_err *err);
int psamp_tok_read_merges(psamp_tokenizer *tok, const char *path, psamp_err *err);

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

#endif
