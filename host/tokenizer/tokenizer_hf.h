/* Tokenizers from Hugging Face's tokenizer.json, behind the same psamp_tokenizer as
 * vocab.json + merges.txt (tokenizer.h): ids identical to transformers' fast tokenizer
 * (PreTrainedTokenizerFast, i.e. the `tokenizers` library reading the file) for the
 * pipelines of Qwen2.5, Llama-3 and Phi-3.5 / Llama-2:
 *   - byte-level BPE with Qwen2's or Llama-3's split pattern (or GPT-2's), NFC where the
 *     file asks for it, added and special tokens (lstrip / rstrip honoured), the post-
 *     processor's TemplateProcessing (Llama-3's <|begin_of_text|>);
 *   - SentencePiece-style BPE (Prepend("▁") + Replace(" ", "▁"), byte_fallback, fuse_unk,
 *     decoder Replace / ByteFallback / Fuse / Strip).
 * Everything else in a file is refused on load by name (see host/tokenizer/tokenizer_hf_pipeline.c and
 * host/tokenizer/tokenizer_hf_model.c), never guessed.
 *
 * With a tokenizer.json tokenizer:
 *   psamp_tokenizer_encode         = HF encode(text, add_special_tokens=False)
 *   psamp_tokenizer_encode_special = HF encode(text, add_special_tokens=True): the
 *       post-processor's template as the file gives it. Phi-3.5's file prepends <s> although
 *       its tokenizer_config.json says add_bos_token false; transformers 5 follows the file
 *       and so does psamp (transformers 4's LlamaTokenizerFast drops the <s>).
 *   psamp_tokenizer_decode(_skip_special) = HF decode(ids, skip_special_tokens): valid UTF-8
 *       (U+FFFD where the bytes are not), ids the tokenizer does not know are skipped (a
 *       model's padded embedding rows), a negative id fails. transformers 4 also applied
 *       clean_up_tokenization_spaces where tokenizer_config.json asks; transformers 5 and psamp
 *       do not.
 *   Invalid UTF-8 in the text (which HF cannot take) is encoded byte by byte: a stray byte
 *   is one "other" character, normalizers leave it alone, it becomes its byte's token.
 * A loaded tokenizer is read-only: encode/decode may run concurrently. */
#ifndef PSAMP_TOKENIZER_HF_H
#define PSAMP_TOKENIZER_HF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads a tokenizer.json. On failure *out is NULL and err names the file and the field. */
int psamp_tokenizer_load_json(psamp_tokenizer **out, const char *tokenizer_json_path, psamp_err *err);

/* The tokenizer of a checkpoint directory: vocab.json + merges.txt when both are there (the
 * GPT-2 / OPT files, even beside a tokenizer.json), else tokenizer.json; neither fails naming
 * the directory. */
int psamp_tokenizer_load_dir(psamp_tokenizer **out, const char *dir, psamp_err *err);

/* 1 when the tokenizer came from tokenizer.json. */
int psamp_tokenizer_is_json(const psamp_tokenizer *tok);

/* encode() plus the post-processor's special tokens. For vocab.json tokenizers, which have
 * no post-processor, the same as encode() (the OPT model layer prepends </s> itself). */
int psamp_tokenizer_encode_special(const psamp_tokenizer *tok, const char *text, size_t len,
                                   int32_t **ids, int32_t *n, psamp_err *err);

/* decode() leaving out special tokens (HF's skip_special_tokens=True): for tokenizer.json the
 * added tokens marked special; for vocab.json the tokens encode() cuts out ("</s>", "<pad>"). */
int psamp_tokenizer_decode_skip_special(const psamp_tokenizer *tok, const int32_t *ids, int32_t n,
                                        char **text, size_t *len, psamp_err *err);

#ifdef __cplusplus
}
#endif
#endif
