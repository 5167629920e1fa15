#include "atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void release(psamp_atomic_file *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

int psamp_atomic_open(psamp_atomic_file *a, const char *path, const char *what, psamp_err *err) {
    size_t n = strlen(path) + 32;
    memset(a, 0, sizeof *a);
    a->path = strdup(path);
    a->tmp = malloc(n);
    if (!a->path || !a->tmp) {
        release(a);
        return psamp_fail(err, "%s: out of memory", what);
    }
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "w");
    if (!a->f) {
        int e = errno;
        release(a);
        return psamp_fail(err, "%s: cannot write '%s': %s", what, path, strerror(e));
    }
    return 0;
}

int psamp_atomic_commit(psamp_atomic_file *a, psamp_err *err) {
    int bad = ferror(a->f) != 0;
    bad |= fclose(a->f) != 0;
    a->f = NULL;
    if (bad || rename(a->tmp, a->path) != 0) {
        int e = errno;
        remove(a->tmp);
        psamp_fail(err, "cannot write '%s': %s", a->path, strerror(e));
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
