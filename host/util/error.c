#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Escapes s into buf[at..size), leaving room for `reserve` more bytes; returns the end. */
static size_t escape_into(char *buf, size_t at, size_t size, size_t reserve, const char *s) {
    static const char hex[] = "0123456789abcdef";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[5] = {0};
        if (c == '\n') memcpy(esc, "\\n", 2);
        else if (c == '\t') memcpy(esc, "\\t", 2);
        else if (c == '\r') memcpy(esc, "\\r", 2);
        else if (c == '\\' || c == '\'' || c == '"') esc[0] = '\\', esc[1] = (char)c;
        else if (c < 0x20 || c == 0x7f) esc[0] = '\\', esc[1] = 'x', esc[2] = hex[c >> 4], esc[3] = hex[c & 15];
        else esc[0] = (char)c;
        size_t n = strlen(esc);
        if (at + n + 4 + reserve > size) { /* room for "...", the NUL and what follows */
            memcpy(buf + at, "...", 3);
            at += 3;
            break;
        }
        memcpy(buf + at, esc, n);
        at += n;
    }
    buf[at] = '\0';
    return at;
}

const char *psamp_escape(char *buf, size_t size, const char *s) {
    escape_into(buf, 0, size, 0, s);
    return buf;
}

const char *psamp_quote(char *buf, size_t size, const char *s) {
    buf[0] = '\'';
    size_t at = escape_into(buf, 1, size, 1, s);
    buf[at++] = '\'';
    buf[at] = '\0';
    return buf;
}

/* No error may span lines or carry terminal escapes, whatever it echoes: control bytes left
 * in a message (from a path, say) become spaces. */
static void one_line(char *msg) {
    for (; *msg; msg++)
        if ((unsigned char)*msg < 0x20 || *msg == 0x7f) *msg = ' ';
}

int psamp_fail(psamp_err *err, const char *fmt, ...) {
    va_list ap;
    if (!err) return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    one_line(err->msg);
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
    one_line(err->msg);
    return -1;
}
