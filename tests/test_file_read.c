/* The one whole-file reader: every byte of a file larger than its first buffer, empty files,
 * the size bound at the byte, and one-line errors that name the file and its role. */
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "test_files.h"
#include "testlib.h"

static void test_reads(psamp_test_state *t, const char *dir) {
    char path[4096];
    psamp_err err = {{0}};
    char *data = NULL;
    size_t len = 1;
    /* 200,000 bytes: more than the first 64 KiB buffer, so it grows twice. */
    size_t n = 200000;
    char *big = malloc(n);
    if (!big) {
        CHECK(t, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 26);
    test_write_bytes(test_path(path, dir, "big.txt"), big, n);
    CHECK(t, psamp_read_file(path, n, NULL, &data, &len, &err) == 0 && len == n && memcmp(data, big, n) == 0 &&
                 data[n] == '\0',
          "a file of exactly max_bytes reads whole: %s", err.msg);
    free(data);
    CHECK(t, psamp_read_file(path, n - 1, "--config", &data, &len, &err) == -1 && data == NULL && len == 0,
          "one byte over the bound is refused");
    CHECK(t, strstr(err.msg, "--config: ") == err.msg && strstr(err.msg, "big.txt: larger than 199999 bytes"),
          "too large names the role, the file and the bound: %s", err.msg);
    CHECK(t, psamp_read_file(path, 100000, NULL, &data, &len, &err) == -1 && strstr(err.msg, path) == err.msg,
          "without a role the message starts with the path: %s", err.msg);
    free(big);
    /* Whole mebibytes are said so. */
    size_t mib = (size_t)1 << 20;
    char *over = calloc(mib + 1, 1);
    if (over) test_write_bytes(test_path(path, dir, "over.bin"), over, mib + 1);
    free(over);
    CHECK(t, psamp_read_file(path, mib, NULL, &data, &len, &err) == -1 && strstr(err.msg, "larger than 1 MiB"),
          "a bound of 1 MiB: %s", err.msg);

    test_write_bytes(test_path(path, dir, "empty.txt"), "", 0);
    CHECK(t, psamp_read_file(path, 16, NULL, &data, &len, &err) == 0 && len == 0 && data && data[0] == '\0',
          "an empty file is an empty string: %s", err.msg);
    free(data);
}

static void test_errors(psamp_test_state *t, const char *dir) {
    char path[4096];
    psamp_err err = {{0}};
    char *data = NULL;
    size_t len = 0;
    test_path(path, dir, "absent.json");
    CHECK(t, psamp_read_file(path, 1 << 20, "task file", &data, &len, &err) == -1 && data == NULL,
          "a missing file fails");
    CHECK(t, strstr(err.msg, "task file: ") == err.msg && strstr(err.msg, "absent.json: cannot open: ") &&
                 strstr(err.msg, "No such file") && !strchr(err.msg, '\n'),
          "missing file: %s", err.msg);
    /* A directory is named as one (it opens, then every read fails with EISDIR). */
    CHECK(t, psamp_read_file(dir, 1 << 20, NULL, &data, &len, &err) == -1 && data == NULL &&
                 strstr(err.msg, dir) == err.msg && strstr(err.msg, "is a directory, not a file"),
          "a directory: %s", err.msg);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    if (!dir) {
        fprintf(stderr, "no temp dir\n");
        return 1;
    }
    test_reads(&t, dir);
    test_errors(&t, dir);
    test_dir_remove(dir);
    return psamp_test_finish(&t, "test_file_read");
}
