#include "testlib.h"

#include <stdarg.h>
#include <stdlib.h>

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
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *buf = size >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf) return NULL;
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}
