/* Task files for pass@k and H3: JSONL, one problem a line,
 *
 *     {"id": "capital-france", "prompt": "The capital of France is", "answer": "Paris"}
 *     {"id": "count-6", "prompt": "1, 2, 3, 4, 5,", "regex": "^6([^0-9]|$)"}
 *
 * Keys: "id" (non-empty string, unique in the file), "prompt" (string), exactly one of
 * "answer" (non-empty string without leading whitespace) or "regex" (a POSIX extended
 * regular expression), and optionally "source" (a string saying where the item comes
 * from). Worked solutions that end in "Answer: 42" add "marker" (a non-empty string; needs
 * "answer") and optionally "numeric": true (the answer must then be a decimal). MATH-style
 * problems add "checker": "boxed" (needs "answer", the reference as the dataset writes it,
 * e.g. "\frac{1}{2}"; the checker of math_answer.h). Blank lines are skipped; anything else is
 * an error naming the line.
 *
 * Judging a completion (the decoded generated text, a final EOS token excluded):
 *   1. strip its leading whitespace (space, tab, newline, CR, VT, FF);
 *   2. "answer": the stripped text starts with the answer, byte for byte (case matters),
 *      and, when the answer ends in an ASCII letter or digit, the byte after it is not one
 *      (so "Paris" is right in " Paris, the city" and " Paris." but not in " Parisian");
 *   2'. with "marker": the answer is extracted after the marker's first occurrence in the
 *      completion (task_answer.h) and must equal "answer" byte for byte, or, with
 *      "numeric", as a number; no marker in the completion: wrong;
 *   2''. with "checker": "boxed": the completion's last \boxed{...} equals "answer" by the
 *      paper grader's rules (math_answer.h); no boxed answer: wrong;
 *   3. "regex": regexec finds a match anywhere in the stripped text (up to its first NUL
 *      byte); anchor with ^ to demand a prefix. */
#ifndef PSAMP_PASSK_TASKS_H
#define PSAMP_PASSK_TASKS_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    char *id, *prompt;
    char *answer;    /* NULL unless judged by exact answer */
    char *marker;    /* NULL, or the text the answer follows ("Answer:") */
    int numeric;     /* with marker: compare answers as decimals */
    char *checker;   /* NULL, or "boxed" */
    int boxed;       /* checker "boxed": the last \boxed{...} against answer (math_answer.h) */
    char *regex;     /* NULL unless judged by regular expression */
    char *source;    /* NULL when the line gives none */
    regex_t *re;     /* compiled regex (heap: regex_t must not move after regcomp) */
    int32_t line;    /* 1-based line in the file */
} passk_task;

typedef struct {
    passk_task *items;
    int32_t n;
} passk_task_set;

/* Parses a task file. With require_check = 0 (H3: prompts only) "answer"/"regex" may be
 * absent. Errors: "FILE:LINE: what is wrong". On failure *out is empty. */
int passk_tasks_load(const char *path, int require_check, passk_task_set *out, psamp_err *err);
/* The same from text in memory; `label` stands for the file name in messages. */
int passk_tasks_parse(const char *text, size_t len, const char *label, int require_check,
                      passk_task_set *out, psamp_err *err);
void passk_tasks_free(passk_task_set *s);
/* Keeps the first n tasks (all when n >= s->n) and frees the rest. */
void passk_tasks_truncate(passk_task_set *s, int32_t n);

/* 1 when the completion text[0..len) is right for the task (rules above), 0 otherwise; 0
 * for a task without answer or regex. text[len] must be '\0' (as psamp_model_decode
 * returns it): regexec reads a C string. */
int passk_task_judge(const passk_task *t, const char *text, size_t len);

#endif
