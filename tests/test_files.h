/* Writing small, possibly broken input files for loader tests: a private temp directory,
 * raw bytes, text, and safetensors files with a caller-supplied header. */
#ifndef PSAMP_TEST_FILES_H
#define PSAMP_TEST_FILES_H

#include <stddef.h>
#include <stdint.h>

/* A fresh directory under $TMPDIR (or /tmp); NULL on failure. Free with test_dir_remove. */
char *test_dir_create(void);
/* Removes every file in dir, the directory itself, and frees the string. */
void test_dir_remove(char *dir);
/* dir + "/" + name in a static-free buffer of size 4096 supplied by the caller. */
const char *test_path(char *buf, const char *dir, const char *name);

int test_write_bytes(const char *path, const void *data, size_t n);
int test_write_text(const char *path, const char *text);
/* A safetensors file: 8-byte little-endian length of header, header, then data. */
int test_write_safetensors(const char *path, const char *header, const void *data, size_t n);

#endif
