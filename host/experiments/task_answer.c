#include "task_answer.h"

#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

int task_answer_after_marker(const char *text, size_t len, const char *marker, const char **start, size_t *n) {
    size_t m = strlen(marker);
    if (m == 0 || len < m) return 0;
    for (size_t at = 0; at + m <= len; at++) {
        if (memcmp(text + at, marker, m) != 0) continue;
        size_t b = at + m, e = b;
        while (e < len && text[e] != '\n') e++;
        while (b < e && is_blank(text[b])) b++;
        while (e > b && is_blank(text[e - 1])) e--;
        *start = text + b;
        *n = e - b;
        return 1;
    }
    return 0;
}

int task_answer_is_decimal(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && is_digit(s[i])) i++, digits++;
    if (digits == 0) return 0;
    if (i < n && s[i] == '.') {
        size_t frac = 0;
        for (i++; i < n && is_digit(s[i]); i++) frac++;
        if (frac == 0) return 0;
    }
    return i == n;
}

/* A decimal split into sign and significant digits: integer part without leading zeros,
 * fraction without trailing zeros; zero has no digits and a positive sign. */
typedef struct {
    int negative;
    const char *int_digits, *frac_digits;
    size_t n_int, n_frac;
} decimal_parts;

static decimal_parts split_decimal(const char *s, size_t n) {
    decimal_parts d = {0, NULL, NULL, 0, 0};
    size_t i = 0;
    if (s[i] == '+' || s[i] == '-') d.negative = s[i++] == '-';
    while (i < n && s[i] == '0') i++;
    d.int_digits = s + i;
    while (i < n && is_digit(s[i])) i++, d.n_int++;
    if (i < n && s[i] == '.') {
        d.frac_digits = s + i + 1;
        d.n_frac = n - i - 1;
        while (d.n_frac > 0 && d.frac_digits[d.n_frac - 1] == '0') d.n_frac--;
    }
    if (d.n_int == 0 && d.n_frac == 0) d.negative = 0;
    return d;
}

int task_answer_numeric_equal(const char *a, size_t na, const char *b, size_t nb) {
    if (!task_answer_is_decimal(a, na) || !task_answer_is_decimal(b, nb)) return 0;
    decimal_parts x = split_decimal(a, na), y = split_decimal(b, nb);
    return x.negative == y.negative && x.n_int == y.n_int && x.n_frac == y.n_frac &&
           memcmp(x.int_digits, y.int_digits, x.n_int) == 0 &&
           (x.n_frac == 0 || memcmp(x.frac_digits, y.frac_digits, x.n_frac) == 0);
}
