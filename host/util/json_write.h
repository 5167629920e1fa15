/* Small helpers for streaming JSON (JSONL samples, traces) without building trees. */
#ifndef PSAMP_JSON_WRITE_H
#define PSAMP_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s[0..n) as a JSON string literal. Bytes that are not valid UTF-8 (a sample cut
 * inside a multi-byte character) become U+FFFD so the output is always valid JSON. */
void psamp_json_string(FILE *f, const char *s, size_t n);
/* Writes a number; non-finite values (which JSON lacks) become null. */
void psamp_json_number(FILE *f, double v);
/* Writes "key":v (a member, no comma); key is a plain name, written as it is. */
void psamp_json_key_number(FILE *f, const char *key, double v);
/* Writes [a, b, ...]. */
void psamp_json_int_array(FILE *f, const int32_t *v, int32_t n);
void psamp_json_float_array(FILE *f, const float *v, int32_t n);

#endif
