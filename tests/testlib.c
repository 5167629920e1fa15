#include "testlib.h"

#include <stdarg.h>
#include <stdlib.h>

#include "file_read.h"

void psamp_test_fail(psamp_test_state *t, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    t->failures++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int psamp_test_finish(const psamp_test_state *t, const char *name) {
    printf("%s: %d checks, %d failed\n", name, t->checks, t->failures);
    return t->failures == 0 && t->checks > 0 ? 0 : 1;
}

char *psamp_test_read_file(const char *path, size_t *len) {
    char *data;
    if (psamp_read_file(path, (size_t)1 << 30, NULL, &data, len, NULL) != 0) return NULL;
    return data;
}

toy_world *psamp_test_toy_world(psamp_test_state *t, const char *name) {
    char path[1024];
    toy_world *w = NULL;
    psamp_err err = {{0}};
    snprintf(path, sizeof path, "%s/experiments/toy/%s", PSAMP_SOURCE_DIR, name);
    CHECK(t, toy_world_load(path, &w, &err) == 0, "load %s: %s", name, err.msg);
    return w;
}
