#include "file_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "16 MiB" for whole mebibytes, else "N bytes". */
static void size_text(size_t n, char out[48]) {
    const size_t mib = (size_t)1 << 20;
    if (n >= mib && n % mib == 0) snprintf(out, 48, "%zu MiB", n / mib);
    else snprintf(out, 48, "%zu bytes", n);
}

int psamp_read_file(const char *path, size_t max_bytes, const char *what, char **data, size_t *len,
                    psamp_err *err) {
    const char *sep = what ? ": " : "";
    if (!what) what = "";
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return psamp_fail(err, "%s%s%s: cannot open: %s", what, sep, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return psamp_fail(err, "%s%s%s: is a directory, not a file", what, sep, path);
    }
    /* Grow a buffer until the file fits rather than trusting a size from stat: pipes and files
     * being replaced read right too, and memory stays within twice the limit. */
    size_t cap = (size_t)1 << 16, used = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        used += fread(buf + used, 1, cap - used, f);
        if (used < cap || used > max_bytes) break; /* the end (or an error), or too large */
        char *bigger = cap <= SIZE_MAX / 4 ? realloc(buf, cap * 2 + 1) : NULL;
        if (!bigger) free(buf);
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf) return psamp_fail(err, "%s%s%s: out of memory reading the file", what, sep, path);
    if (failed || used > max_bytes) {
        char limit[48];
        size_text(max_bytes, limit);
        free(buf);
        if (failed) return psamp_fail(err, "%s%s%s: read error", what, sep, path);
        return psamp_fail(err, "%s%s%s: larger than %s, too large for this input", what, sep, path, limit);
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}
