/* realpath (XSI) resolves a symbolic link output. */
#define _XOPEN_SOURCE 700

#include "atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(psamp_atomic_file *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

/* The file the output replaces: path itself, or what a symbolic link at path names (the link
 * stays, its target is replaced). Refuses anything but a regular file or a new name: renaming
 * over a device or FIFO would replace it (as root, /dev/full became a file). malloc'd. */
static char *target_of(const char *path, const char *what, psamp_err *err) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            psamp_fail(err, "%s: cannot write '%s': %s", what, path, strerror(errno));
            return NULL;
        }
        char *copy = strdup(path);
        if (!copy) psamp_fail(err, "%s: out of memory", what);
        return copy;
    }
    if (S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (!real || stat(real, &st) != 0) {
            psamp_fail(err, "%s: '%s' is a symbolic link to a file that does not exist", what, path);
            free(real);
            return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
            psamp_fail(err, "%s: '%s' links to something that is not a regular file; psamp writes regular files only",
                       what, path);
            free(real);
            return NULL;
        }
        return real;
    }
    if (!S_ISREG(st.st_mode)) {
        psamp_fail(err, "%s: '%s' is not a regular file (a device, FIFO, socket or directory); psamp writes regular files only",
                   what, path);
        return NULL;
    }
    char *copy = strdup(path);
    if (!copy) psamp_fail(err, "%s: out of memory", what);
    return copy;
}

int psamp_atomic_open(psamp_atomic_file *a, const char *path, const char *what, psamp_err *err) {
    memset(a, 0, sizeof *a);
    a->what = what;
    a->path = target_of(path, what, err);
    if (!a->path) return -1;
    size_t n = strlen(a->path) + 32;
    a->tmp = malloc(n);
    if (!a->tmp) {
        release(a);
        return psamp_fail(err, "%s: out of memory", what);
    }
    snprintf(a->tmp, n, "%s.tmp.%ld", a->path, (long)getpid());
    a->f = fopen(a->tmp, "w");
    if (!a->f) {
        int e = errno;
        release(a);
        return psamp_fail(err, "%s: cannot write '%s': %s", what, path, strerror(e));
    }
    return 0;
}

int psamp_atomic_commit(psamp_atomic_file *a, psamp_err *err) {
    /* A write that failed earlier (disk full, file size limit) leaves the stream's error flag
     * set; flushing and closing report what is still buffered. */
    errno = 0;
    int bad = fflush(a->f) != 0 || ferror(a->f) != 0;
    int e = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    if (!bad && rename(a->tmp, a->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        remove(a->tmp);
        psamp_fail(err, "%s: cannot write '%s': %s", a->what ? a->what : "output", a->path,
                   e ? strerror(e) : "write error");
        release(a);
        return -1;
    }
    release(a);
    return 0;
}

void psamp_atomic_abort(psamp_atomic_file *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    release(a);
}
