/* The sweep folder's writer lock (sweep_lock.h): fcntl record locks, POSIX. */
#include "sweep_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sweep_lock_init(sweep_lock *lock) {
    lock->fd_dir = lock->fd_shard = -1;
}

/* Locks the whole of file DIR/NAME (made if absent): type F_RDLCK (shared) or F_WRLCK. */
static int lock_file(const char *out, const char *name, short type, const char *what, int *fd_out,
                     psamp_err *err) {
    size_t n = strlen(out) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path) return psamp_fail(err, "out of memory");
    snprintf(path, n, "%s/%s", out, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        psamp_fail(err, "%s: cannot open the lock file '%s': %s", what, path, strerror(errno));
        free(path);
        return -1;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file */
    if (fcntl(fd, F_SETLK, &fl) == 0) {
        free(path);
        *fd_out = fd;
        return 0;
    }
    int e = errno;
    if (e != EACCES && e != EAGAIN) {
        psamp_fail(err, "%s: cannot lock '%s': %s", what, path, strerror(e));
    } else {
        /* Who holds it: F_GETLK reports one conflicting lock's process (0 or -1 where the
         * system cannot tell, as on some network file systems). */
        struct flock who;
        memset(&who, 0, sizeof who);
        who.l_type = type;
        who.l_whence = SEEK_SET;
        char pid[48] = "";
        if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK && who.l_pid > 0)
            snprintf(pid, sizeof pid, " (pid %ld)", (long)who.l_pid);
        psamp_fail(err, "%s: '%s' is being written by another psamp sweep%s; wait for it to finish or use another folder",
                   what, out, pid);
    }
    close(fd);
    free(path);
    return -1;
}

int sweep_lock_take(const char *out, sweep_lock_kind kind, int32_t shard_index, int32_t shard_count,
                    const char *what, sweep_lock *lock, psamp_err *err) {
    sweep_lock_init(lock);
    if (lock_file(out, ".lock", kind == SWEEP_LOCK_WHOLE ? F_WRLCK : F_RDLCK, what, &lock->fd_dir, err) != 0)
        return -1;
    if (kind != SWEEP_LOCK_SHARD) return 0;
    char name[64];
    snprintf(name, sizeof name, ".lock-shard-%d-of-%d", (int)shard_index, (int)shard_count);
    if (lock_file(out, name, F_WRLCK, what, &lock->fd_shard, err) != 0) {
        sweep_lock_release(lock);
        return -1;
    }
    return 0;
}

void sweep_lock_release(sweep_lock *lock) {
    if (lock->fd_shard >= 0) close(lock->fd_shard);
    if (lock->fd_dir >= 0) close(lock->fd_dir);
    sweep_lock_init(lock);
}
