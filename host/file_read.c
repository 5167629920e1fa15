#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int psamp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, psamp_err *err) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return psamp_fail(err, "cannot read '%s': %s", path, strerror(errno));
    /* Grow a buffer until the file fits: works for pipes and files being replaced too. */
    size_t cap = 1 << 12, used = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        used += fread(buf + used, 1, cap - used, f);
        if (used < cap || cap > max_bytes) break;
        char *bigger = realloc(buf, cap * 2 + 1);
        if (!bigger) free(buf);
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf) return psamp_fail(err, "cannot read '%s': out of memory", path);
    if (failed || used > max_bytes) {
        free(buf);
        return psamp_fail(err, "cannot read '%s': %s", path, failed ? "read error" : "file too large");
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}
