/* Error reporting without global state: every fallible function takes a psamp_err and
 * returns 0 on success, -1 on failure with a one-line message naming the file, field or
 * argument at fault. */
#ifndef PSAMP_ERROR_H
#define PSAMP_ERROR_H

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
/* Prepends "prefix: " to an existing message (adds context on the way up) and returns -1. */
int psamp_fail_context(psamp_err *err, const char *fmt, ...) PSAMP_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif
