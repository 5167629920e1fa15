/* Answers written after a marker, as worked solutions end ("... Answer: 42"), and the
 * numeric comparison used to judge them. The rules, shared by psamp's task files and the
 * Python judge of experiments/tasks/:
 *
 *   extraction: the FIRST occurrence of the marker in the completion; the answer is the
 *     text after it up to the next newline (or the end), spaces, tabs and CRs trimmed at
 *     both ends. A completion without the marker has no answer.
 *   numeric equality: both sides are decimals ([+-]digits[.digits]) and denote the same
 *     number, compared on their digits (leading zeros, trailing fractional zeros, a '+'
 *     and the sign of zero do not matter), never through floating point, so 10^30 + 1
 *     and 10^30 differ. */
#ifndef PSAMP_TASK_ANSWER_H
#define PSAMP_TASK_ANSWER_H

#include <stddef.h>

/* 1 and [*start, *start + *n) = the answer when the marker occurs in text[0..len), else 0.
 * An empty marker never occurs. */
int task_answer_after_marker(const char *text, size_t len, const char *marker, const char **start, size_t *n);

/* 1 when s[0..n) is a decimal: optional sign, at least one digit, optionally '.' and at
 * least one more digit. */
int task_answer_is_decimal(const char *s, size_t n);

/* 1 when both are decimals denoting the same number, else 0. */
int task_answer_numeric_equal(const char *a, size_t na, const char *b, size_t nb);

#endif
