/* Prompt templates (prompt_template.h). */
#include "prompt_template.h"

#include <stdlib.h>
#include <string.h>

#include "file_read.h"

#define PLACEHOLDER "{problem}"

int prompt_template_load(const char *path, char **out, psamp_err *err) {
    char *text;
    size_t len;
    *out = NULL;
    if (psamp_read_file(path, 1u << 20, "prompt template", &text, &len, err) != 0) return -1;
    if (memchr(text, '\0', len)) {
        free(text);
        return psamp_fail(err, "%s: prompt template holds a NUL byte", path);
    }
    if (len > 0 && text[len - 1] == '\n') text[--len] = '\0';
    if (!strstr(text, PLACEHOLDER)) {
        free(text);
        return psamp_fail(err, "%s: prompt template has no %s to put the problem in", path, PLACEHOLDER);
    }
    *out = text;
    return 0;
}

int prompt_template_apply(const char *tmpl, const char *problem, char **out, psamp_err *err) {
    size_t pl = strlen(PLACEHOLDER), np = strlen(problem), count = 0;
    for (const char *p = strstr(tmpl, PLACEHOLDER); p; p = strstr(p + pl, PLACEHOLDER)) count++;
    size_t n = strlen(tmpl) - count * pl + count * np;
    char *s = malloc(n + 1), *o = s;
    *out = NULL;
    if (!s) return psamp_fail(err, "out of memory");
    for (const char *p = tmpl, *hit;; p = hit + pl) {
        hit = strstr(p, PLACEHOLDER);
        size_t run = hit ? (size_t)(hit - p) : strlen(p);
        memcpy(o, p, run);
        o += run;
        if (!hit) break;
        memcpy(o, problem, np);
        o += np;
    }
    *o = '\0';
    *out = s;
    return 0;
}

int prompt_template_apply_tasks(const char *tmpl, passk_task_set *tasks, psamp_err *err) {
    for (int32_t i = 0; i < tasks->n; i++) {
        char *full;
        if (prompt_template_apply(tmpl, tasks->items[i].prompt, &full, err) != 0) return -1;
        free(tasks->items[i].prompt);
        tasks->items[i].prompt = full;
    }
    return 0;
}
