#include "text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int psamp_read_text_file(const char *path, size_t max_bytes, const char *what, char **data,
                         size_t *len, psamp_err *err) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return psamp_fail(err, "%s: cannot open '%s': %s", what, path, strerror(errno));
    char *buf = malloc(max_bytes + 1);
    if (!buf) {
        fclose(f);
        return psamp_fail(err, "%s: out of memory reading '%s'", what, path);
    }
    /* One byte past the limit tells "exactly max_bytes" from "too large". */
    size_t n = fread(buf, 1, max_bytes + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || n > max_bytes) {
        free(buf);
        if (failed) return psamp_fail(err, "%s: read error on '%s'", what, path);
        return psamp_fail(err, "%s: '%s' is larger than %zu bytes", what, path, max_bytes);
    }
    buf[n] = '\0';
    char *fit = realloc(buf, n + 1);
    *data = fit ? fit : buf;
    *len = n;
    return 0;
}
