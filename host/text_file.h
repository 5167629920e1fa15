/* Reading a whole small input file (configs, task lists) into memory. */
#ifndef PSAMP_TEXT_FILE_H
#define PSAMP_TEXT_FILE_H

#include <stddef.h>

#include "error.h"

/* Reads path into a malloc'd, NUL-terminated buffer (*len excludes the NUL). A file larger
 * than max_bytes is refused (these are hand-written inputs, not data sets). Errors name
 * `what` (e.g. "--tasks") and the path. */
int psamp_read_text_file(const char *path, size_t max_bytes, const char *what, char **data,
                         size_t *len, psamp_err *err);

#endif
