/* GPT-2 byte-level BPE tokenizer, id for id the same as Hugging Face's GPT2Tokenizer as OPT
 * configures it (checked against transformers' slow GPT2Tokenizer and GPT2TokenizerFast by
 * tests/fixtures/make_tokenizer.py).
 *
 * Encoding, step by step:
 *  1. Special tokens: the exact strings "</s>" and "<pad>" (OPT's registered bos/eos/unk and
 *     pad tokens), where vocab.json has them, are cut out of the text and become their ids,
 *     as HF's `tokenizer(text)` does. Other vocabulary entries such as "<s>" or "<unk>" are
 *     not special: their characters go through BPE like any text. No BOS is added: callers
 *     prepend </s> (id 2) for OPT.
 *  2. Each stretch between them is split by GPT-2's pattern
 *       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *     (case-sensitive contractions; classes as the Python `regex` package defines them).
 *  3. Each piece's UTF-8 bytes become byte-level symbols and are merged by BPE, lowest
 *     merges.txt rank first (leftmost first among equal pairs).
 * Invalid UTF-8 is accepted: every byte that is not part of a well-formed sequence is one
 * character of class "other" (not letter, number or space) and is encoded by its byte. HF
 * cannot take such bytes; this is what its pattern and BPE give on the text decoded with
 * errors="surrogateescape" (each stray byte a lone surrogate, category Cs).
 *
 * Decoding concatenates each token's bytes (special tokens included: 2 -> "</s>"). HF's
 * decode turns bytes that are not valid UTF-8 into U+FFFD (errors="replace") and, when
 * clean_up_tokenization_spaces is on, removes spaces before punctuation; psamp returns the
 * raw bytes unaltered, so decode(encode(x)) == x byte for byte for every input.
 *
 * Files: vocab.json (a JSON object token -> integer id; ids unique, below 2^22) and
 * merges.txt (one "left right" pair a line, rank = order; a first line starting with
 * "#version" is skipped; blank lines are ignored; a repeated pair takes its later rank, as in
 * HF). Every merge's parts and result, and all 256 byte symbols, must be in the vocabulary.
 *
 * A loaded tokenizer is read-only: encode/decode may run concurrently from many threads.
 *
 * The same object can come from a Hugging Face tokenizer.json (Qwen2.5, Llama-3, Phi-3.5):
 * see tokenizer_hf.h for its loaders and how encode/decode behave then. */
#ifndef PSAMP_TOKENIZER_H
#define PSAMP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psamp_tokenizer psamp_tokenizer;

/* Loads vocab.json and merges.txt. On failure *out is NULL and err names the file, line or
 * token at fault. */
int psamp_tokenizer_load(psamp_tokenizer **out, const char *vocab_json_path,
                         const char *merges_txt_path, psamp_err *err);
void psamp_tokenizer_free(psamp_tokenizer *tok);

/* Largest id in vocab.json + 1 (the model's embedding rows must cover it). */
int32_t psamp_tokenizer_vocab_size(const psamp_tokenizer *tok);
/* Whether vocab.json gives id an entry (ids past its largest, or in a gap of its ids, have
 * none). */
int psamp_tokenizer_has_id(const psamp_tokenizer *tok, int32_t id);
/* Id of a vocabulary entry by its vocab.json spelling ("</s>" -> 2 for OPT); -1 if absent. */
int32_t psamp_tokenizer_id(const psamp_tokenizer *tok, const char *token);

/* Encodes text[0..len) (any bytes). *ids is malloc'd (free() it; never NULL on success) and
 * holds *n ids. */
int psamp_tokenizer_encode(const psamp_tokenizer *tok, const char *text, size_t len,
                           int32_t **ids, int32_t *n, psamp_err *err);

/* Decodes ids[0..n) to the tokens' raw bytes. *text is malloc'd, NUL-terminated (the bytes
 * may contain NULs themselves; *len excludes the terminator). An id outside the vocabulary
 * fails with a message naming it and its index. */
int psamp_tokenizer_decode(const psamp_tokenizer *tok, const int32_t *ids, int32_t n, char **text,
                           size_t *len, psamp_err *err);

#ifdef __cplusplus
}
#endif
#endif
