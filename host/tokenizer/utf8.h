/* UTF-8 scanning that never fails: a byte that does not start a well-formed sequence
 * (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF, no truncation)
 * is reported as a character of its own. This matches Python's decoder with
 * errors="surrogateescape", which turns each such byte into one lone surrogate. */
#ifndef PSAMP_UTF8_H
#define PSAMP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Code point reported for a byte that is not part of valid UTF-8. */
#define PSAMP_UTF8_INVALID UINT32_C(0xFFFFFFFF)

/* Decodes the character starting at s[i] (requires i < len): stores its code point (or
 * PSAMP_UTF8_INVALID) in *cp and returns its length in bytes (1 for an invalid byte). */
size_t psamp_utf8_next(const unsigned char *s, size_t len, size_t i, uint32_t *cp);

/* Writes the UTF-8 encoding of code point cp (<= U+10FFFF) to out; returns its length. */
size_t psamp_utf8_encode(uint32_t cp, unsigned char out[4]);

#endif
