/* The pre-tokenization pattern of Qwen2 and Llama-3 (tokenizer.json Split, Isolated), by
 * hand over UTF-8 code points:
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
 *   \s*[\r\n]+|\s+(?!\S)|\s+
 *
 * with \p{N}{1,3} in place of \p{N} for Llama-3. Hugging Face runs it with Oniguruma, which
 * tries the alternatives in order at each position and takes the first that matches (greedy
 * quantifiers, backtracking). Letters, numbers, whitespace and "other" are disjoint classes
 * (host/tokenizer/unicode_classes.c), so each alternative comes down to a scan:
 *  1. an apostrophe and s, t, re, ve, m, ll or d in either case;
 *  2. letters, optionally after one character that is not CR, LF, a letter or a number;
 *  3. one number character (Qwen2) or a run of up to three (Llama-3);
 *  4. "other" characters, optionally after one U+0020, then any CRs and LFs;
 *  5. whitespace up to and including its last CR or LF;
 *  6./7. whitespace: all of it at the end of the text or before a non-space only when the
 *     run has more than one character (the last one is given back), else all of it.
 * A byte that is not valid UTF-8 is one character of class "other". */
#include "tokenizer_hf_internal.h"
#include "unicode_classes.h"
#include "utf8.h"

static psamp_unicode_class class_at(const unsigned char *s, size_t len, size_t i, size_t *n) {
    uint32_t cp;
    *n = psamp_utf8_next(s, len, i, &cp);
    return cp == PSAMP_UTF8_INVALID ? PSAMP_UC_OTHER : psamp_unicode_class_of(cp);
}

static int is_crlf(unsigned char c) { return c == '\r' || c == '\n'; }

static int lower_is(unsigned char c, char want) { return (c | 0x20) == want; }

/* Alternative 1 at s[i] == '\'': its length, or 0. */
static size_t contraction_len(const unsigned char *s, size_t len, size_t i) {
    if (i + 1 >= len) return 0;
    unsigned char a = s[i + 1];
    if (lower_is(a, 's') || lower_is(a, 't') || lower_is(a, 'm') || lower_is(a, 'd')) return 2;
    if (i + 2 >= len) return 0;
    unsigned char b = s[i + 2];
    if ((lower_is(a, 'r') && lower_is(b, 'e')) || (lower_is(a, 'v') && lower_is(b, 'e')) ||
        (lower_is(a, 'l') && lower_is(b, 'l')))
        return 3;
    return 0;
}

/* End of the run of class cls starting at k, at most `max` characters (0: no limit). */
static size_t run_end(const unsigned char *s, size_t len, size_t k, psamp_unicode_class cls,
                      size_t max) {
    size_t n, count = 0;
    while (k < len && (max == 0 || count < max) && class_at(s, len, k, &n) == cls) {
        k += n;
        count++;
    }
    return k;
}

/* Alternatives 5-7 at a whitespace character s[i]. */
static size_t whitespace_end(const unsigned char *s, size_t len, size_t i) {
    size_t k = i, n, last = i, last_crlf = 0;
    int crlf = 0, chars = 0;
    while (k < len && class_at(s, len, k, &n) == PSAMP_UC_SPACE) {
        if (is_crlf(s[k])) {
            crlf = 1;
            last_crlf = k;
        }
        last = k;
        k += n;
        chars++;
    }
    if (crlf) return last_crlf + 1;
    if (k == len || chars == 1) return k;
    return last;
}

int psamp_hf_next_piece(psamp_hf_split_kind kind, psamp_tok_pieces *it, size_t *start, size_t *end) {
    const unsigned char *s = it->text;
    size_t len = it->len, i = it->pos, n0, n1 = 0, k;
    if (i >= len) return 0;
    *start = i;
    psamp_unicode_class c0 = class_at(s, len, i, &n0);
    psamp_unicode_class c1 = i + n0 < len ? class_at(s, len, i + n0, &n1) : PSAMP_UC_OTHER;
    int has_next = i + n0 < len;

    if (s[i] == '\'' && (k = contraction_len(s, len, i)) > 0) {
        k += i;
    } else if (c0 == PSAMP_UC_LETTER) {
        k = run_end(s, len, i, PSAMP_UC_LETTER, 0);
    } else if (c0 != PSAMP_UC_NUMBER && !is_crlf(s[i]) && has_next && c1 == PSAMP_UC_LETTER) {
        k = run_end(s, len, i + n0, PSAMP_UC_LETTER, 0);
    } else if (c0 == PSAMP_UC_NUMBER) {
        k = run_end(s, len, i, PSAMP_UC_NUMBER, kind == PSAMP_HF_SPLIT_LLAMA3 ? 3 : 1);
    } else if (c0 == PSAMP_UC_OTHER || (s[i] == ' ' && has_next && c1 == PSAMP_UC_OTHER)) {
        k = run_end(s, len, c0 == PSAMP_UC_OTHER ? i : i + n0, PSAMP_UC_OTHER, 0);
        while (k < len && is_crlf(s[k])) k++;
    } else {
        k = whitespace_end(s, len, i);
    }
    it->pos = k;
    *end = k;
    return 1;
}
