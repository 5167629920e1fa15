/* Decoding with a tokenizer.json decoder, as Hugging Face's tokenizer.decode does:
 *  - ids the tokenizer does not know (a model's padded rows) are skipped, and with
 *    skip_special the added tokens marked special;
 *  - ByteLevel: the tokens' bytes joined, then made valid UTF-8 with one U+FFFD for each
 *    maximal ill-formed subsequence (Rust's String::from_utf8_lossy);
 *  - otherwise each token after the Replace steps, runs of <0xXX> tokens (ByteFallback)
 *    joined into their bytes when those are valid UTF-8 and else one U+FFFD per byte, all
 *    fused, then Strip's characters cut from the start and end.
 * The result is always valid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_hf_internal.h"
#include "utf8.h"

static const unsigned char REPLACEMENT[3] = {0xEF, 0xBF, 0xBD}; /* U+FFFD */

/* Length of the maximal prefix of s[i..len) that could start a well-formed sequence (at
 * least 1): the part one U+FFFD replaces when the sequence at i is ill-formed. */
static size_t maximal_subpart(const unsigned char *s, size_t len, size_t i) {
    unsigned char b = s[i];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        return 1;
    }
    size_t k = 1;
    while (k < need && i + k < len) {
        unsigned char c = s[i + k];
        if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) break;
        k++;
    }
    return k;
}

typedef struct {
    unsigned char *buf;
    size_t n, cap;
} byte_buf;

static int put(byte_buf *b, const void *s, size_t len, psamp_err *err) {
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1) cap *= 2;
        unsigned char *bigger = realloc(b->buf, cap);
        if (!bigger) return psamp_fail(err, "decode: out of memory for %zu bytes", cap);
        b->buf = bigger;
        b->cap = cap;
    }
    if (len) memcpy(b->buf + b->n, s, len);
    b->n += len;
    return 0;
}

/* Appends s[0..len) with every ill-formed part replaced by U+FFFD. */
static int put_lossy(byte_buf *b, const unsigned char *s, size_t len, psamp_err *err) {
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = psamp_utf8_next(s, len, i, &cp);
        if (cp == PSAMP_UTF8_INVALID) {
            k = maximal_subpart(s, len, i);
            if (put(b, REPLACEMENT, 3, err)) return -1;
        } else if (put(b, s + i, k, err)) {
            return -1;
        }
        i += k;
    }
    return 0;
}

static int is_valid_utf8(const unsigned char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += psamp_utf8_next(s, len, i, &cp);
        if (cp == PSAMP_UTF8_INVALID) return 0;
    }
    return 1;
}

/* ByteFallback: a finished run of <0xXX> bytes. */
static int flush_bytes(byte_buf *b, const unsigned char *run, size_t n, psamp_err *err) {
    if (is_valid_utf8(run, n)) return put(b, run, n, err);
    for (size_t i = 0; i < n; i++)
        if (put(b, REPLACEMENT, 3, err)) return -1;
    return 0;
}

/* Strip: up to strip_start leading and strip_stop trailing strip_char characters. */
static void strip(const psamp_tok_hf *hf, byte_buf *b, size_t *from) {
    unsigned char c[4];
    size_t cl = psamp_utf8_encode(hf->strip_char, c);
    *from = 0;
    for (int k = 0; k < hf->strip_start && b->n - *from >= cl && memcmp(b->buf + *from, c, cl) == 0; k++)
        *from += cl;
    for (int k = 0; k < hf->strip_stop && b->n - *from >= cl && memcmp(b->buf + b->n - cl, c, cl) == 0; k++)
        b->n -= cl;
}

int psamp_hf_decode(const psamp_tokenizer *tok, const int32_t *ids, int32_t n, int skip_special,
                    char **text, size_t *len, psamp_err *err) {
    const psamp_tok_hf *hf = tok->hf;
    *text = NULL;
    *len = 0;
    if (n < 0 || (n > 0 && !ids)) return psamp_fail(err, "decode: %d ids given without a valid array", n);
    byte_buf raw = {NULL, 0, 0}, out = {NULL, 0, 0};
    unsigned char *run = malloc((size_t)n + 1); /* <0xXX> bytes waiting for the next token */
    size_t run_n = 0;
    int rc = run ? put(&out, "", 0, err) : psamp_fail(err, "decode: out of memory");
    for (int32_t i = 0; rc == 0 && i < n; i++) {
        int32_t id = ids[i];
        if (id < 0) {
            rc = psamp_fail(err, "decode: ids[%d] = %d is negative", i, id);
            break;
        }
        if (id >= tok->vocab_size || tok->spelling_len[id] < 0 || (skip_special && hf->is_special[id]))
            continue;
        const unsigned char *piece = hf->piece_pool + hf->piece_off[id];
        size_t piece_len = (size_t)hf->piece_len[id];
        if (hf->decode_byte_level) {
            rc = put(&raw, piece, piece_len, err);
        } else if (hf->fallback_byte[id] >= 0) {
            run[run_n++] = (unsigned char)hf->fallback_byte[id];
        } else {
            if (run_n) rc = flush_bytes(&out, run, run_n, err);
            run_n = 0;
            if (rc == 0) rc = put(&out, piece, piece_len, err);
        }
    }
    if (rc == 0 && run_n) rc = flush_bytes(&out, run, run_n, err);
    if (rc == 0 && hf->decode_byte_level) rc = put_lossy(&out, raw.buf, raw.n, err);
    free(run);
    free(raw.buf);
    if (rc) {
        free(out.buf);
        return -1;
    }
    size_t from = 0;
    strip(hf, &out, &from);
    if (from) memmove(out.buf, out.buf + from, out.n - from);
    out.n -= from;
    out.buf[out.n] = '\0';
    *text = (char *)out.buf;
    *len = out.n;
    return 0;
}
