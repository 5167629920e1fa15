/* GPT-2's pre-tokenization pattern, by hand over UTF-8 code points:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * A regex engine tries the alternatives in order at each position and takes the first that
 * matches; since letters, numbers, whitespace and "other" are disjoint classes, that comes
 * down to: a contraction if one starts here; else a run of one class, optionally after one
 * U+0020 space; else a whitespace run, which gives back its last character when a
 * non-space follows (the lookahead), unless that would leave it empty. */
#include "tokenizer_internal.h"
#include "unicode_classes.h"
#include "utf8.h"

static psamp_unicode_class class_at(const unsigned char *s, size_t len, size_t i, size_t *n) {
    uint32_t cp;
    *n = psamp_utf8_next(s, len, i, &cp);
    return cp == PSAMP_UTF8_INVALID ? PSAMP_UC_OTHER : psamp_unicode_class_of(cp);
}

/* Length of 's 't 're 've 'm 'll 'd at s[i] (s[i] is an apostrophe), or 0. */
static size_t contraction_len(const unsigned char *s, size_t len, size_t i) {
    if (i + 1 >= len) return 0;
    unsigned char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= len) return 0;
    unsigned char b = s[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

int psamp_tok_next_piece(psamp_tok_pieces *it, size_t *start, size_t *end) {
    const unsigned char *s = it->text;
    size_t len = it->len, i = it->pos, n;
    if (i >= len) return 0;
    *start = i;

    size_t contraction = s[i] == '\'' ? contraction_len(s, len, i) : 0;
    if (contraction) {
        it->pos = i + contraction;
        *end = it->pos;
        return 1;
    }

    /* ` ?X+` for X = letter, number, other: the optional space only when an X follows. */
    size_t run = i;
    psamp_unicode_class cls = class_at(s, len, i, &n);
    if (s[i] == ' ' && i + 1 < len) {
        size_t n1;
        psamp_unicode_class next = class_at(s, len, i + 1, &n1);
        if (next != PSAMP_UC_SPACE) {
            cls = next;
            run = i + 1;
            n = n1;
        }
    }
    if (cls != PSAMP_UC_SPACE) {
        size_t k = run + n;
        while (k < len && class_at(s, len, k, &n) == cls) k += n;
        it->pos = k;
        *end = k;
        return 1;
    }

    /* \s+(?!\S) then \s+: remember where the run's last character starts. */
    size_t k = i, last = i;
    while (k < len && class_at(s, len, k, &n) == PSAMP_UC_SPACE) {
        last = k;
        k += n;
    }
    it->pos = (k < len && last > i) ? last : k;
    *end = it->pos;
    return 1;
}
