/* Reading a whole (small) file into memory: configs, plans, point records. */
#ifndef PSAMP_FILE_READ_H
#define PSAMP_FILE_READ_H

#include <stddef.h>

#include "error.h"

/* *data = the file's bytes plus a terminating NUL (*len excludes it); malloc'd. Files over
 * max_bytes are refused. Errors: "cannot read 'PATH': reason". */
int psamp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, psamp_err *err);

#endif
