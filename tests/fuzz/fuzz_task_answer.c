/* Answers after a marker and their numeric comparison (host/experiments/task_answer.c): the
 * input is a marker, a NUL byte, a completion, a NUL byte, and two numbers separated by a
 * NUL byte. Numeric equality must be reflexive on decimals and symmetric; an extracted
 * answer lies inside the completion, after the marker's first occurrence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "task_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t marker_len, text_len, a_len, b_len;
    char *marker = fuzz_next_part(&data, &size, &marker_len);
    char *text = fuzz_next_part(&data, &size, &text_len);
    char *a = fuzz_next_part(&data, &size, &a_len);
    char *b = fuzz_next_part(&data, &size, &b_len);
    if (text) {
        const char *start = NULL;
        size_t n = 0;
        if (task_answer_after_marker(text, text_len, marker, &start, &n)) {
            if (marker_len == 0) fuzz_fail("task_answer", "an empty marker occurred");
            if (start < text || start + n > text + text_len) fuzz_fail("task_answer", "answer outside the text");
            if (memchr(start, '\n', n)) fuzz_fail("task_answer", "answer spans lines");
            if (n && (start[0] == ' ' || start[n - 1] == ' ')) fuzz_fail("task_answer", "answer not trimmed");
        }
    }
    if (a && b) {
        int da = task_answer_is_decimal(a, a_len), db = task_answer_is_decimal(b, b_len);
        int ab = task_answer_numeric_equal(a, a_len, b, b_len);
        if (ab != task_answer_numeric_equal(b, b_len, a, a_len)) fuzz_fail("task_answer", "numeric equality is not symmetric");
        if (ab && !(da && db)) fuzz_fail("task_answer", "a non-decimal equals something");
        if (da && !task_answer_numeric_equal(a, a_len, a, a_len)) fuzz_fail("task_answer", "a decimal differs from itself");
    }
    free(marker);
    free(text);
    free(a);
    free(b);
    return 0;
}
