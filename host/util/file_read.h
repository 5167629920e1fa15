/* Reading a whole input file into memory: configs, checkpoint configs, vocabularies, task
 * lists, toy worlds, sweep records. The one place that opens and reads such a file, so every
 * reader fails the same way. */
#ifndef PSAMP_FILE_READ_H
#define PSAMP_FILE_READ_H

#include <stddef.h>

#include "error.h"

/* *data = the file's bytes plus a terminating NUL (*len excludes it); malloc'd. A file over
 * max_bytes is refused: the bound is what a wrong path (a checkpoint, a device) makes us read.
 * Errors name the path, after `what` when given (the file's role: "task file"; NULL for none):
 * "task file: x.jsonl: cannot open: No such file or directory". */
int psamp_read_file(const char *path, size_t max_bytes, const char *what, char **data, size_t *len,
                    psamp_err *err);

#endif
