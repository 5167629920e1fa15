/* Shared pieces of the harnesses (fuzz_common.h). */
#include "fuzz_common.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One scratch folder per process, made on first use: libFuzzer calls the harness from
 * one thread, and -fork/-jobs workers are separate processes. */
static char scratch[256];

static void remove_scratch(void) {
    /* The harnesses write only plain files directly inside the folder. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", scratch);
}

const char *fuzz_scratch_dir(void) {
    if (scratch[0]) return scratch;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/psamp-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

char *fuzz_path(const char *name) {
    const char *dir = fuzz_scratch_dir();
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path) abort();
    snprintf(path, n, "%s/%s", dir, name);
    return path;
}

char *fuzz_write_file(const char *name, const void *data, size_t size) {
    char *path = fuzz_path(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *p = data;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w <= 0) {
            perror(path);
            abort();
        }
        p += w;
        size -= (size_t)w;
    }
    close(fd);
    return path;
}

char *fuzz_next_part(const uint8_t **data, size_t *size, size_t *len) {
    if (*size == 0 && *data == NULL) return NULL;
    const uint8_t *end = *data ? memchr(*data, 0, *size) : NULL;
    size_t n = end ? (size_t)(end - *data) : *size;
    char *part = malloc(n + 1);
    if (!part) abort();
    if (n) memcpy(part, *data, n);
    part[n] = '\0';
    *len = n;
    if (end) {
        *data = end + 1;
        *size -= n + 1;
    } else {
        *data = NULL; /* the last part was taken */
        *size = 0;
    }
    return part;
}

void fuzz_fail(const char *parser, const char *what) {
    fprintf(stderr, "\nfuzz: %s: %s\n", parser, what);
    abort();
}

/* FUZZ_RAW_ECHO (set by tests/fuzz/CMakeLists.txt for the targets it lists): the parser is
 * known to copy input text unquoted into its messages (issue 11: "Quote what you echo"), so a
 * control character there is noted once per process instead of failing the run. Every other
 * property still fails it. */
#ifndef FUZZ_RAW_ECHO
#define FUZZ_RAW_ECHO 0
#endif

void fuzz_check_error(const psamp_err *err, const char *parser) {
    static int noted;
    size_t n = strnlen(err->msg, sizeof err->msg);
    if (n == 0) fuzz_fail(parser, "failed with an empty error message");
    if (n == sizeof err->msg) fuzz_fail(parser, "error message is not NUL-terminated");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)err->msg[i];
        if (c >= 0x20 && c != 0x7f) continue;
        if (FUZZ_RAW_ECHO) {
            if (!noted++)
                fprintf(stderr, "fuzz: %s: known (FUZZ_RAW_ECHO): raw control character 0x%02x in "
                        "an error message\n", parser, c);
            return;
        }
        fprintf(stderr, "\nfuzz: %s: raw control character 0x%02x at byte %zu of the error message "
                "(it must be one line): %s\n", parser, c, i, err->msg);
        abort();
    }
}
