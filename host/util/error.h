/* Error reporting without global state: every fallible function takes a psamp_err and
 * returns 0 on success, -1 on failure with a one-line message naming the file, field or
 * argument at fault. */
#ifndef PSAMP_ERROR_H
#define PSAMP_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char msg[512];
} psamp_err;

#if defined(__GNUC__)
#define PSAMP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PSAMP_PRINTF(a, b)
#endif

/* Sets the message (printf-style) and returns -1, so callers can `return psamp_fail(...)`. */
int psamp_fail(psamp_err *err, const char *fmt, ...) PSAMP_PRINTF(2, 3);
/* How a name or value read from an input file is echoed in an error: control bytes, DEL,
 * backslash and both quote characters written as C escapes (\n, \t, \x1b, \\, \', \"), cut
 * with "..." to fit the buffer, so an error stays one line, cannot put terminal escapes on
 * stderr, and shows where the text ends. psamp_escape writes the escaped text alone (for
 * messages that put their own quotes around it), psamp_quote between single quotes. Both
 * return buf; size >= 8 (PSAMP_QUOTE_MAX fits any error line's share). */
#define PSAMP_QUOTE_MAX 160
const char *psamp_escape(char *buf, size_t size, const char *s);
const char *psamp_quote(char *buf, size_t size, const char *s);

/* Prepends "prefix: " to an existing message (adds context on the way up) and returns -1. */
int psamp_fail_context(psamp_err *err, const char *fmt, ...) PSAMP_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif
