#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int psamp_fail(psamp_err *err, const char *fmt, ...) {
    va_list ap;
    if (!err) return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int psamp_fail_context(psamp_err *err, const char *fmt, ...) {
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    if (!err) return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable for an error line; build it piecewise to say so. */
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    n += 2;
    size_t m = strnlen(old, sizeof old);
    if (m > sizeof err->msg - 1 - n) m = sizeof err->msg - 1 - n;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
    return -1;
}
