/* One writer per sweep folder. Two runs writing the same points at once corrupt the folder (a
 * point failed, a stale .failed.json, a point missing from results), so every writer holds a
 * POSIX record lock (fcntl) while it runs:
 *
 *   a whole run                   DIR/.lock exclusively
 *   a shard I/N                   DIR/.lock shared (shards of one sweep run side by side)
 *                                 and DIR/.lock-shard-I-of-N exclusively
 *   --merge                       DIR/.lock shared: it writes only results.*, which shards
 *                                 never write, so it may watch running shards (what is
 *                                 missing so far), but not run beside a whole run
 *
 * A second writer is refused at once with one line naming the folder and the holder's pid
 * (when the system tells it). The kernel drops the locks when the process ends, however it
 * ends; the lock files stay (removing them would race) and are empty. */
#ifndef PSAMP_SWEEP_LOCK_H
#define PSAMP_SWEEP_LOCK_H

#include <stdint.h>

#include "error.h"

typedef struct {
    int fd_dir;   /* DIR/.lock, or -1 */
    int fd_shard; /* DIR/.lock-shard-I-of-N, or -1 */
} sweep_lock;

typedef enum { SWEEP_LOCK_WHOLE, SWEEP_LOCK_SHARD, SWEEP_LOCK_MERGE } sweep_lock_kind;

/* Locks folder `out` (which exists) for `kind`; shard_index / shard_count name a shard
 * (SWEEP_LOCK_SHARD only). `what` names the option in errors ("--out", "--merge"). */
int sweep_lock_take(const char *out, sweep_lock_kind kind, int32_t shard_index, int32_t shard_count,
                    const char *what, sweep_lock *lock, psamp_err *err);
/* Releases the locks (safe on a zeroed lock that was never taken: pass one set by
 * sweep_lock_init). */
void sweep_lock_release(sweep_lock *lock);
void sweep_lock_init(sweep_lock *lock);

#endif
