/* Output files that appear whole or not at all: write to a temporary name beside the
 * target, rename over it on success, delete it on failure. The target is a regular file or a
 * new name; a symbolic link is followed (its target is replaced, the link stays); a device,
 * FIFO, socket or directory is refused. Every write is checked: a failed write, flush or
 * close (a full disk) fails the commit and leaves nothing. */
#ifndef PSAMP_ATOMIC_FILE_H
#define PSAMP_ATOMIC_FILE_H

#include <stdio.h>

#include "error.h"

typedef struct {
    FILE *f;
    char *path; /* the final name (a symbolic link's target) */
    char *tmp;  /* where the bytes go until commit */
    const char *what; /* the option named in errors (a string literal) */
} psamp_atomic_file;

/* Opens PATH.tmp.PID for writing; err names `what` (e.g. "--samples-out") and the path. */
int psamp_atomic_open(psamp_atomic_file *a, const char *path, const char *what, psamp_err *err);
/* Flushes, closes and renames into place. On failure the temporary file is removed. */
int psamp_atomic_commit(psamp_atomic_file *a, psamp_err *err);
/* Closes and removes the temporary file (safe on a zeroed or already finished struct). */
void psamp_atomic_abort(psamp_atomic_file *a);

#endif
