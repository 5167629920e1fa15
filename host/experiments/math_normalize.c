/* The answer normalisers of the paper's MATH grader (math_answer.h), step for step:
 *
 * mathd (grader_utils/math_normalize.py, from the Hendrycks MATH release), in order:
 *   strip whitespace at both ends; a whole "\text{X}" becomes X (stripped again); then
 *   remove "\n"; remove "\!"; "\\" -> "\"; "tfrac" and "dfrac" -> "frac"; remove "\left" and
 *   "\right"; remove "^{\circ}" and "^\circ"; remove "\$"; "X\text{ unit}" -> "X" (two or
 *   more "\text{ " fail, below); remove "\%"; " ." -> " 0." and "{." -> "{0."; a leading "."
 *   gets a "0"; "k=X" -> "X" when the text has exactly one "=" and at most 2 bytes before it;
 *   "\sqrtN" -> "\sqrt{N}" (one character); remove spaces; "\fracAB" -> "\frac{A}{B}" and
 *   "\fracA{B}" -> "\frac{A}{B}" (one character each; a "\frac" followed by fewer than two
 *   characters leaves the whole text as it was before this step); "0.5" -> "\frac{1}{2}";
 *   "A/B" with A, B integers written canonically -> "\frac{A}{B}". Where the Python raises
 *   (a "\sqrt" or "\frac" at the very end, several "\text{ "), the result is the text after
 *   the "\text{}" step, as the grader's except clause returns it.
 *
 * pre_latex (grader_utils/math_grader.py _normalize, up to its LaTeX parse), in order:
 *   a whole "\text{X}" becomes X; "\%" -> "%", "\$" -> "$", remove "$" and "%"; " or " and
 *   " and " -> " , "; "million" / "billion" / "trillion" -> "*10^6" / "*10^9" / "*10^12";
 *   for each of degree cm centimeter meter mile second minute hour day week month year foot
 *   feet inch yard, in that order: remove it with an "es", then an "s", then spaces and a
 *   "^digits" following where present (anywhere, even inside words, as the regex does);
 *   remove "^", spaces, "\circ"; drop one enclosing "{...}"; remove ",\!" and the spaces
 *   after it; a decimal within 1e-7 of an integer becomes that integer.
 * post_latex (the rest): "- " runs -> "-"; "D D'" (digits with spaces between) ->
 *   "D+D'" (mixed numbers); remove spaces, "{" and "}"; lowercase; a number that is an
 *   integer (commas as thousands separators allowed) -> the integer, truncated.
 * Python's float() also takes "1_000"; psamp does not (the only step read differently). */
#include "math_answer.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string; s == NULL after an allocation failure (every later call is a no-op). */
typedef struct {
    char *s;
    size_t n, cap;
} mstr;

static void ms_put(mstr *b, const char *p, size_t n) {
    if (!b->s) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *g = realloc(b->s, cap);
        if (!g) {
            free(b->s);
            b->s = NULL;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static mstr ms_new(void) {
    mstr b = {malloc(16), 0, 16};
    if (b.s) b.s[0] = '\0';
    return b;
}

static void ms_puts(mstr *b, const char *p) { ms_put(b, p, strlen(p)); }

static char *dup_n(const char *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Python's str.replace(from, to): non-overlapping, left to right. Frees s. */
static char *replace(char *s, const char *from, const char *to) {
    if (!s) return NULL;
    size_t fl = strlen(from);
    if (!strstr(s, from)) return s;
    mstr b = ms_new();
    for (const char *p = s, *hit; b.s; p = hit + fl) {
        hit = strstr(p, from);
        if (!hit) {
            ms_puts(&b, p);
            break;
        }
        ms_put(&b, p, (size_t)(hit - p));
        ms_puts(&b, to);
    }
    free(s);
    return b.s;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static char *strip(char *s) {
    if (!s) return NULL;
    size_t a = 0, n = strlen(s);
    while (a < n && is_ws(s[a])) a++;
    while (n > a && is_ws(s[n - 1])) n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
    return s;
}

/* Bytes of the UTF-8 character at p (1 for a stray byte), for Python's one-character steps. */
static size_t char_len(const char *p) {
    unsigned char c = (unsigned char)*p;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)p[i] >> 6) != 2) return 1;
    return n;
}

/* Characters (UTF-8 code points, stray bytes one each) in p[0..n), as Python's len counts. */
static size_t chars_in(const char *p, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i += char_len(p + i)) count++;
    return count;
}

/* re.search(r"^\\text\{(?P<text>.+?)\}$", s): the inside of a whole "\text{...}", or NULL.
 * '.' takes no newline; '$' also matches before a final newline. */
static char *text_inside(const char *s) {
    size_t n = strlen(s);
    if (strncmp(s, "\\text{", 6) != 0) return NULL;
    size_t end = n > 0 && s[n - 1] == '\n' && n >= 2 && s[n - 2] == '}' ? n - 2 : n - 1;
    if (n < 8 || end < 7 || s[end] != '}') return NULL;
    for (size_t i = 6; i < end; i++)
        if (s[i] == '\n') return NULL;
    return dup_n(s + 6, end - 6);
}

/* ---- mathd ---- */

/* _fix_sqrt; -1 where Python raises (a "\sqrt" at the end). */
static int fix_sqrt(char **sp) {
    char *s = *sp;
    if (!strstr(s, "\\sqrt")) return 0;
    mstr b = ms_new();
    const char *p = strstr(s, "\\sqrt");
    ms_put(&b, s, (size_t)(p - s));
    while (p) {
        const char *part = p + 5, *next = strstr(part, "\\sqrt");
        size_t len = next ? (size_t)(next - part) : strlen(part);
        if (len == 0) {
            free(b.s);
            return -1;
        }
        if (part[0] != '{') {
            size_t c = char_len(part);
            if (c > len) c = len;
            ms_puts(&b, "\\sqrt{");
            ms_put(&b, part, c);
            ms_puts(&b, "}");
            ms_put(&b, part + c, len - c);
        } else {
            ms_puts(&b, "\\sqrt");
            ms_put(&b, part, len);
        }
        p = next;
    }
    if (!b.s) return -2;
    free(s);
    *sp = b.s;
    return 0;
}

/* _fix_fracs; -1 where Python raises (a "\frac" at the end). */
static int fix_fracs(char **sp) {
    char *s = *sp;
    const char *p = strstr(s, "\\frac");
    if (!p) return 0;
    mstr b = ms_new();
    ms_put(&b, s, (size_t)(p - s));
    while (p) {
        const char *part = p + 5, *next = strstr(part, "\\frac");
        size_t len = next ? (size_t)(next - part) : strlen(part);
        ms_puts(&b, "\\frac");
        if (len == 0) {
            free(b.s);
            return -1;
        }
        if (part[0] == '{') {
            ms_put(&b, part, len);
        } else {
            size_t ca = char_len(part);
            if (ca >= len) { /* fewer than two characters: the text stays as it was */
                free(b.s);
                return 0;
            }
            size_t cb = char_len(part + ca);
            if (ca + cb > len) cb = len - ca;
            ms_puts(&b, "{");
            ms_put(&b, part, ca);
            ms_puts(&b, "}");
            if (part[ca] != '{') {
                ms_puts(&b, "{");
                ms_put(&b, part + ca, cb);
                ms_puts(&b, "}");
            } else {
                ms_put(&b, part + ca, cb);
            }
            ms_put(&b, part + ca + cb, len - ca - cb);
        }
        p = next;
    }
    if (!b.s) return -2;
    free(s);
    *sp = b.s;
    return 0;
}

/* An integer as str(int(x)) writes it: -?(0|[1-9][0-9]*), and not "-0". */
static int canonical_int(const char *p, size_t n) {
    size_t i = p[0] == '-' ? 1 : 0;
    if (i == n) return 0;
    if (p[i] == '0') return n == i + 1 && i == 0;
    for (; i < n; i++)
        if (!is_digit(p[i])) return 0;
    return 1;
}

/* _fix_a_slash_b */
static char *fix_a_slash_b(char *s) {
    const char *slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/')) return s;
    size_t na = (size_t)(slash - s), nb = strlen(slash + 1);
    if (!canonical_int(s, na) || !canonical_int(slash + 1, nb)) return s;
    mstr b = ms_new();
    ms_puts(&b, "\\frac{");
    ms_put(&b, s, na);
    ms_puts(&b, "}{");
    ms_put(&b, slash + 1, nb);
    ms_puts(&b, "}");
    free(s);
    return b.s;
}

/* _strip_string; 1 where Python raises (then the caller keeps its input), -2 on OOM. */
static int strip_string(char **sp) {
    char *s = *sp;
    s = replace(s, "\n", "");
    s = replace(s, "\\!", "");
    s = replace(s, "\\\\", "\\");
    s = replace(s, "tfrac", "frac");
    s = replace(s, "dfrac", "frac");
    s = replace(s, "\\left", "");
    s = replace(s, "\\right", "");
    s = replace(s, "^{\\circ}", "");
    s = replace(s, "^\\circ", "");
    s = replace(s, "\\$", "");
    *sp = s;
    if (!s) return -2;
    char *unit = strstr(s, "\\text{ ");
    if (unit) {
        if (strstr(unit + 1, "\\text{ ")) return 1;
        *unit = '\0';
    }
    s = replace(s, "\\%", "");
    s = replace(s, " .", " 0.");
    s = replace(s, "{.", "{0.");
    *sp = s;
    if (!s) return -2;
    if (!*s) return 0;
    if (s[0] == '.') {
        char *z = malloc(strlen(s) + 2);
        if (!z) return -2;
        z[0] = '0';
        strcpy(z + 1, s);
        free(s);
        *sp = s = z;
    }
    const char *eq = strchr(s, '=');
    if (eq && !strchr(eq + 1, '=') && chars_in(s, (size_t)(eq - s)) <= 2) memmove(s, eq + 1, strlen(eq + 1) + 1);
    int rc = fix_sqrt(sp);
    if (rc != 0) return rc == -1 ? 1 : rc;
    *sp = replace(*sp, " ", "");
    if (!*sp) return -2;
    rc = fix_fracs(sp);
    if (rc != 0) return rc == -1 ? 1 : rc;
    if (strcmp(*sp, "0.5") == 0) {
        free(*sp);
        *sp = strdup("\\frac{1}{2}");
        if (!*sp) return -2;
    }
    *sp = fix_a_slash_b(*sp);
    return *sp ? 0 : -2;
}

char *math_answer_normalize_mathd(const char *answer) {
    char *s = strip(strdup(answer));
    if (!s) return NULL;
    char *inside = text_inside(s);
    if (inside) {
        free(s);
        s = strip(inside);
    }
    char *work = strdup(s);
    if (!work) {
        free(s);
        return NULL;
    }
    int rc = strip_string(&work);
    if (rc == 0) {
        free(s);
        return work;
    }
    free(work);
    if (rc == -2) {
        free(s);
        return NULL;
    }
    return s; /* the grader's except clause */
}

/* ---- the second normaliser ---- */

/* Python float(s) for the decimals and exponents it takes (no "_", no inf/nan: those are
 * never integers); 1 and *v when s is one. */
static int python_float(const char *s, double *v) {
    size_t i = 0, n = strlen(s), digits = 0;
    while (i < n && is_ws(s[i])) i++;
    size_t start = i;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && is_digit(s[i])) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = i + 1;
        if (e < n && (s[e] == '+' || s[e] == '-')) e++;
        if (e >= n || !is_digit(s[e])) return 0;
        while (e < n && is_digit(s[e])) e++;
        i = e;
    }
    size_t end = i;
    while (i < n && is_ws(s[i])) i++;
    if (i != n) return 0;
    char *copy = dup_n(s + start, end - start);
    if (!copy) return 0;
    *v = strtod(copy, NULL);
    free(copy);
    return isfinite(*v);
}

static char *int_string(double v) {
    char buf[400];
    if (v == 0) v = 0; /* no "-0" */
    snprintf(buf, sizeof buf, "%.0f", v);
    return strdup(buf);
}

/* Removes every match of `unit(es)?(s)? *(\^[0-9]+)?`. */
static char *remove_unit(char *s, const char *unit) {
    if (!s || !strstr(s, unit)) return s;
    size_t ul = strlen(unit);
    mstr b = ms_new();
    const char *p = s;
    for (const char *hit; (hit = strstr(p, unit)) != NULL;) {
        ms_put(&b, p, (size_t)(hit - p));
        const char *q = hit + ul;
        if (q[0] == 'e' && q[1] == 's') q += 2;
        if (q[0] == 's') q++;
        while (*q == ' ') q++;
        if (q[0] == '^' && is_digit(q[1])) {
            q++;
            while (is_digit(*q)) q++;
        }
        p = q;
    }
    ms_puts(&b, p);
    free(s);
    return b.s;
}

/* Removes every match of `pre` followed by spaces and then `post` (pre ` *` post). */
static char *remove_spaced(char *s, const char *pre, const char *post, int spaces_after) {
    if (!s || !strstr(s, pre)) return s;
    size_t pl = strlen(pre), ql = strlen(post);
    mstr b = ms_new();
    const char *p = s;
    for (const char *hit = strstr(p, pre); hit; hit = strstr(hit + 1, pre)) {
        const char *q = hit + pl;
        while (*q == ' ') q++;
        if (strncmp(q, post, ql) != 0) continue;
        q += ql;
        if (spaces_after)
            while (*q == ' ') q++;
        ms_put(&b, p, (size_t)(hit - p));
        p = q;
        hit = q - 1;
    }
    ms_puts(&b, p);
    free(s);
    return b.s;
}

char *math_answer_normalize_pre_latex(const char *answer) {
    static const char *const units[] = {"degree", "cm", "centimeter", "meter", "mile", "second",
                                        "minute", "hour", "day", "week", "month", "year",
                                        "foot", "feet", "inch", "yard"};
    char *s = text_inside(answer);
    if (!s) s = strdup(answer);
    s = replace(s, "\\%", "%");
    s = replace(s, "\\$", "$");
    s = replace(s, "$", "");
    s = replace(s, "%", "");
    s = replace(s, " or ", " , ");
    s = replace(s, " and ", " , ");
    s = replace(s, "million", "*10^6");
    s = replace(s, "billion", "*10^9");
    s = replace(s, "trillion", "*10^12");
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) s = remove_unit(s, units[u]);
    s = remove_spaced(s, "^", "\\circ", 0);
    if (!s) return NULL;
    size_t n = strlen(s);
    if (n > 0 && s[0] == '{' && s[n - 1] == '}') {
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
    }
    s = remove_spaced(s, ",\\!", "", 1);
    double v;
    if (s && python_float(s, &v) && fabs(v - round(v)) <= 1e-7) {
        free(s);
        s = int_string(round(v));
    }
    return s;
}

/* _strip_properly_formatted_commas: `(\d)(,)(\d\d\d)($|\D)` -> `\1\3\4` until nothing changes. */
static char *strip_thousands_commas(const char *in) {
    char *s = strdup(in);
    for (int changed = 1; s && changed;) {
        size_t n = strlen(s), o = 0;
        char *out = malloc(n + 1);
        if (!out) {
            free(s);
            return NULL;
        }
        changed = 0;
        for (size_t i = 0; i < n;) {
            if (is_digit(s[i]) && i + 4 < n && s[i + 1] == ',' && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
                is_digit(s[i + 4]) && (i + 5 == n || !is_digit(s[i + 5]))) {
                out[o++] = s[i];
                memcpy(out + o, s + i + 2, 3);
                o += 3;
                if (i + 5 < n) out[o++] = s[i + 5];
                i += 6;
                changed = 1;
            } else {
                out[o++] = s[i++];
            }
        }
        out[o] = '\0';
        free(s);
        s = out;
    }
    return s;
}

/* `- *` -> `-`: the spaces after every '-' go. */
static char *close_minus(const char *in) {
    char *s = strdup(in);
    if (!s) return NULL;
    size_t o = 0;
    for (size_t i = 0; s[i];) {
        char c = s[i++];
        s[o++] = c;
        if (c == '-')
            while (s[i] == ' ') i++;
    }
    s[o] = '\0';
    return s;
}

char *math_answer_normalize_post_latex(const char *expr) {
    char *s = close_minus(expr);
    if (!s) return NULL;
    /* `([0-9]) +([0-9])` -> `\1+\2`, left to right without overlap */
    mstr b = ms_new();
    for (size_t i = 0, n = strlen(s); i < n;) {
        size_t j = i + 1;
        while (j < n && s[j] == ' ') j++;
        if (is_digit(s[i]) && j > i + 1 && j < n && is_digit(s[j])) {
            ms_put(&b, s + i, 1);
            ms_puts(&b, "+");
            ms_put(&b, s + j, 1);
            i = j + 1;
        } else {
            ms_put(&b, s + i++, 1);
        }
    }
    free(s);
    s = b.s;
    s = replace(s, " ", "");
    s = replace(s, "{", "");
    s = replace(s, "}", "");
    if (!s) return NULL;
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    char *commas = strip_thousands_commas(s);
    double v;
    int is_int = commas && python_float(commas, &v) && fabs(v - round(v)) <= 1e-7;
    free(commas);
    if (is_int) {
        char *plain = replace(strdup(s), ",", "");
        if (plain && python_float(plain, &v)) {
            free(s);
            s = int_string(trunc(v));
        }
        free(plain);
    }
    return s;
}
