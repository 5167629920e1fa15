/* MATH-style answers: the last \boxed{...} of a completion and whether it equals a reference
 * answer, following the grader of the paper's code (Karan & Du, github.com/aakaran/
 * reasoning-with-sampling, llm_experiments/grader_utils/: parse_utils.parse_answer and
 * math_grader.grade_answer). psamp reimplements its string rules; it does not run sympy or
 * pylatexenc, so it never counts an answer right that the paper's grader counts wrong, and
 * may count wrong a few that the grader proves equal by algebra (docs/tasks.md, "boxed").
 *
 * Extraction (parse_answer): the last "\boxed" in the text (or, when there is none, the last
 * "\fbox"); from there the text up to the first "}" that closes every "{" opened since; the
 * answer is what lies between "\boxed{" and that "}". No such span, a "\fbox", or "\boxed"
 * not followed by "{" (e.g. "\boxed 5"): no answer.
 *
 * Equality (grade_answer), of the extracted answer G and the reference R:
 *   1. mathd: math_answer_normalize_mathd(G) == math_answer_normalize_mathd(R) (the
 *      Hendrycks MATH normaliser, rules in math_normalize.c);
 *   2. else the second normaliser's string steps up to its LaTeX parse
 *      (math_answer_normalize_pre_latex) give equal strings;
 *   3. else, when neither of those strings contains a backslash (the grader would hand them
 *      to pylatexenc), the rest of that normaliser (math_answer_normalize_post_latex) gives
 *      equal strings;
 *   4. else wrong (the grader would try sympy.simplify on G - R here).
 * Texts are bytes; letters are lowercased in ASCII only; "whitespace" is ASCII whitespace. */
#ifndef PSAMP_MATH_ANSWER_H
#define PSAMP_MATH_ANSWER_H

#include <stddef.h>

/* 1 and *answer (malloc'd, NUL-terminated) when text[0..len) has a boxed answer; 0 when it
 * has none or memory runs out (*answer NULL). */
int math_answer_last_boxed(const char *text, size_t len, char **answer);

/* 1 when the given answer equals the reference by the rules above, else 0 (also on OOM). */
int math_answer_equal(const char *given, const char *reference);

/* 1 when the completion's boxed answer equals the reference. */
int math_answer_judge(const char *text, size_t len, const char *reference);

/* The normalisers (malloc'd results; NULL on OOM), exposed for tests. */
char *math_answer_normalize_mathd(const char *answer);
char *math_answer_normalize_pre_latex(const char *answer);
char *math_answer_normalize_post_latex(const char *expr);

#endif
