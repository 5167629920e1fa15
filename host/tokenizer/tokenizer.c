/* Tokenizer lifetime, the byte-level alphabet, lookups and decoding. Encoding lives in
 * tokenizer_encode.c, the file formats in tokenizer_files.c. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "utf8.h"

/* GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves; the other 68
 * bytes, in increasing order, become U+0100, U+0101, ... so every byte is a visible
 * character and none is whitespace. */
#define BYTE_CHAR_LIMIT (256 + 68)

void psamp_tok_byte_chars(uint32_t byte_char[256]) {
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        byte_char[b] = printable ? b : 256 + extra++;
    }
}

static int find_byte_ids(psamp_tokenizer *tok, const char *vocab_path, psamp_err *err) {
    psamp_tok_byte_chars(tok->byte_char);
    for (int b = 0; b < 256; b++) {
        unsigned char utf8[4];
        size_t n = psamp_utf8_encode(tok->byte_char[b], utf8);
        tok->byte_id[b] = psamp_tok_vocab_find(tok, (const char *)utf8, n);
        if (tok->byte_id[b] < 0)
            return psamp_fail(err, "%s: no token for byte 0x%02X (\"%.*s\"), which byte-level BPE needs",
                              vocab_path, b, (int)n, (const char *)utf8);
    }
    return 0;
}

/* The raw bytes of every token: each character of the alphabet back to its byte; any other
 * character (possible in added tokens) stays as its own UTF-8, like HF's fast decoder. */
static int make_token_bytes(psamp_tokenizer *tok, psamp_err *err) {
    int16_t char_byte[BYTE_CHAR_LIMIT];
    for (int c = 0; c < BYTE_CHAR_LIMIT; c++) char_byte[c] = -1;
    for (int b = 0; b < 256; b++) char_byte[tok->byte_char[b]] = (int16_t)b;

    size_t ids = (size_t)tok->vocab_size, pool = 0;
    for (size_t id = 0; id < ids; id++)
        if (tok->spelling_len[id] > 0) pool += (size_t)tok->spelling_len[id];
    tok->bytes_pool = malloc(pool + 1); /* decoding never lengthens a token */
    tok->bytes_off = malloc(ids * sizeof *tok->bytes_off);
    tok->bytes_len = malloc(ids * sizeof *tok->bytes_len);
    if (!tok->bytes_pool || !tok->bytes_off || !tok->bytes_len)
        return psamp_fail(err, "out of memory for the bytes of %zu tokens", ids);
    size_t used = 0;
    for (size_t id = 0; id < ids; id++) {
        tok->bytes_off[id] = used;
        tok->bytes_len[id] = -1;
        if (tok->spelling_len[id] < 0) continue;
        const unsigned char *s = (const unsigned char *)tok->spelling_pool + tok->spelling_off[id];
        size_t len = (size_t)tok->spelling_len[id];
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            size_t n = psamp_utf8_next(s, len, i, &cp);
            if (cp < BYTE_CHAR_LIMIT && char_byte[cp] >= 0) {
                tok->bytes_pool[used++] = (unsigned char)char_byte[cp];
            } else {
                memcpy(tok->bytes_pool + used, s + i, n);
                used += n;
            }
            i += n;
        }
        tok->bytes_len[id] = (int32_t)(used - tok->bytes_off[id]);
    }
    return 0;
}

static void find_specials(psamp_tokenizer *tok) {
    static const char *const names[PSAMP_TOK_MAX_SPECIALS] = {"</s>", "<pad>"};
    for (int k = 0; k < PSAMP_TOK_MAX_SPECIALS; k++) {
        int32_t id = psamp_tokenizer_id(tok, names[k]);
        if (id < 0) continue;
        tok->specials[tok->n_specials].text = tok->spelling_pool + tok->spelling_off[id];
        tok->specials[tok->n_specials].len = (size_t)tok->spelling_len[id];
        tok->specials[tok->n_specials].id = id;
        tok->n_specials++;
    }
}

int psamp_tokenizer_load(psamp_tokenizer **out, const char *vocab_json_path,
                         const char *merges_txt_path, psamp_err *err) {
    *out = NULL;
    if (!vocab_json_path || !merges_txt_path)
        return psamp_fail(err, "tokenizer: the vocab.json and merges.txt paths are required");
    psamp_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return psamp_fail(err, "out of memory for the tokenizer");
    if (psamp_tok_read_vocab(tok, vocab_json_path, err) || find_byte_ids(tok, vocab_json_path, err) ||
        psamp_tok_read_merges(tok, merges_txt_path, err) || make_token_bytes(tok, err)) {
        psamp_tokenizer_free(tok);
        return -1;
    }
    find_specials(tok);
    *out = tok;
    return 0;
}

void psamp_tokenizer_free(psamp_tokenizer *tok) {
    if (!tok) return;
    free(tok->spelling_pool);
    free(tok->spelling_off);
    free(tok->spelling_len);
    free(tok->bytes_pool);
    free(tok->bytes_off);
    free(tok->bytes_len);
    free(tok->vocab_slots);
    free(tok->merge_slots);
    psamp_tok_hf_free(tok->hf);
    free(tok);
}

int32_t psamp_tokenizer_vocab_size(const psamp_tokenizer *tok) { return tok->vocab_size; }

int psamp_tokenizer_has_id(const psamp_tokenizer *tok, int32_t id) {
    return id >= 0 && id < tok->vocab_size && tok->bytes_len[id] >= 0;
}

int32_t psamp_tokenizer_id(const psamp_tokenizer *tok, const char *token) {
    return token ? psamp_tok_vocab_find(tok, token, strlen(token)) : -1;
}

int psamp_tokenizer_decode(const psamp_tokenizer *tok, const int32_t *ids, int32_t n, char **text,
                           size_t *len, psamp_err *err) {
    if (tok->hf) return psamp_hf_decode(tok, ids, n, 0, text, len, err);
    *text = NULL;
    *len = 0;
    if (n < 0 || (n > 0 && !ids)) return psamp_fail(err, "decode: %d ids given without a valid array", n);
    size_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= tok->vocab_size || tok->bytes_len[id] < 0)
            return psamp_fail(err, "decode: ids[%d] = %d is not in the vocabulary (ids 0..%d)", i,
                              id, tok->vocab_size - 1);
        total += (size_t)tok->bytes_len[id];
    }
    char *buf = malloc(total + 1);
    if (!buf) return psamp_fail(err, "decode: out of memory for %zu bytes", total);
    size_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        memcpy(buf + used, tok->bytes_pool + tok->bytes_off[ids[i]], (size_t)tok->bytes_len[ids[i]]);
        used += (size_t)tok->bytes_len[ids[i]];
    }
    buf[used] = '\0';
    *text = buf;
    *len = used;
    return 0;
}
