/* The last \boxed{...} of a completion and the paper grader's equality (math_answer.h). */
#include "math_answer.h"

#include <stdlib.h>
#include <string.h>

/* The last occurrence of needle in text[0..len), or NULL. */
static const char *last_of(const char *text, size_t len, const char *needle) {
    size_t nl = strlen(needle);
    for (size_t i = len >= nl ? len - nl + 1 : 0; i-- > 0;)
        if (memcmp(text + i, needle, nl) == 0) return text + i;
    return NULL;
}

int math_answer_last_boxed(const char *text, size_t len, char **answer) {
    *answer = NULL;
    const char *at = last_of(text, len, "\\boxed");
    if (!at) at = last_of(text, len, "\\fbox");
    if (!at) return 0;
    /* last_boxed_only_string: up to the first '}' that brings the open count back to 0 */
    const char *end = text + len, *close = NULL;
    long open = 0;
    for (const char *p = at; p < end && !close; p++) {
        if (*p == '{') open++;
        if (*p == '}' && --open == 0) close = p;
    }
    /* remove_boxed: the span must read "\boxed{" ... "}" */
    if (!close || (size_t)(close - at) < 7 || memcmp(at, "\\boxed{", 7) != 0) return 0;
    size_t n = (size_t)(close - (at + 7));
    char *out = malloc(n + 1);
    if (!out) return 0;
    memcpy(out, at + 7, n);
    out[n] = '\0';
    *answer = out;
    return 1;
}

static int same(char *a, char *b) {
    int eq = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return eq;
}

int math_answer_equal(const char *given, const char *reference) {
    if (same(math_answer_normalize_mathd(given), math_answer_normalize_mathd(reference))) return 1;
    char *g = math_answer_normalize_pre_latex(given), *r = math_answer_normalize_pre_latex(reference);
    int eq = 0;
    if (g && r) {
        if (strcmp(g, r) == 0) eq = 1;
        else if (!strchr(g, '\\') && !strchr(r, '\\'))
            eq = same(math_answer_normalize_post_latex(g), math_answer_normalize_post_latex(r));
    }
    free(g);
    free(r);
    return eq;
}

int math_answer_judge(const char *text, size_t len, const char *reference) {
    char *answer;
    if (!math_answer_last_boxed(text, len, &answer)) return 0;
    int eq = math_answer_equal(answer, reference);
    free(answer);
    return eq;
}
