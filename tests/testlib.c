#include "testlib.h"

#include <stdarg.h>

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
