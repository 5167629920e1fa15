/* What the libFuzzer harnesses of tests/fuzz share: a private scratch folder for the
 * parsers that read files (each fuzzer process gets its own), splitting one input into
 * several parts, and the property every parser owes its caller: an error is one non-empty
 * line (no newline, no raw control character). A broken property aborts, which libFuzzer
 * reports as a crash with the input that caused it. */
#ifndef PSAMP_FUZZ_COMMON_H
#define PSAMP_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The scratch folder (created on first use, removed at exit). */
const char *fuzz_scratch_dir(void);
/* Writes data[0..size) to scratch/name and returns the path (malloc'd; aborts on failure). */
char *fuzz_write_file(const char *name, const void *data, size_t size);
/* scratch/name (malloc'd). */
char *fuzz_path(const char *name);

/* The next part of *data: the bytes up to the next NUL byte (or the end), as a malloc'd,
 * NUL-terminated string of *len bytes. Returns NULL when no part is left. */
char *fuzz_next_part(const uint8_t **data, size_t *size, size_t *len);

/* Aborts unless err holds one non-empty line. `parser` names the caller in the report. */
void fuzz_check_error(const psamp_err *err, const char *parser);

/* Aborts with a message (a property other than the error line failed). */
void fuzz_fail(const char *parser, const char *what);
#endif
