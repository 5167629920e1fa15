/* Task files (host/experiments/passk_tasks.c): the input is a JSONL file, a NUL byte and a
 * completion. Loaded tasks are judged against the completion and against their own answer;
 * a task judged by "answer" without a marker accepts its own answer as the completion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "passk_tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t file_len, text_len;
    char *file = fuzz_next_part(&data, &size, &file_len);
    char *text = fuzz_next_part(&data, &size, &text_len);
    for (int require = 0; require < 2; require++) {
        passk_task_set set;
        psamp_err err = {{0}};
        if (passk_tasks_parse(file, file_len, "tasks.jsonl", require, &set, &err) != 0) {
            fuzz_check_error(&err, "passk_tasks");
            if (set.n != 0 || set.items) fuzz_fail("passk_tasks", "a failed parse left tasks");
            continue;
        }
        for (int32_t i = 0; i < set.n; i++) {
            const passk_task *t = &set.items[i];
            if (!t->id || !t->prompt) fuzz_fail("passk_tasks", "a task without id or prompt");
            if (require && !t->answer && !t->regex) fuzz_fail("passk_tasks", "a task without a check");
            if (text) (void)passk_task_judge(t, text, text_len);
            if (t->answer && !t->marker && !passk_task_judge(t, t->answer, strlen(t->answer)))
                fuzz_fail("passk_tasks", "a task rejects its own answer");
        }
        passk_tasks_truncate(&set, set.n / 2);
        passk_tasks_free(&set);
    }
    free(file);
    free(text);
    return 0;
}
