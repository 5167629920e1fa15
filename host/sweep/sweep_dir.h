/* A sweep's output folder, shared by a whole run, its shards and --merge:
 *
 *   DIR/plan.json               the config (and its hash) and every point: written once,
 *                               checked by every later run (another config is an error)
 *   DIR/points/NAME.json        a finished point: settings + results (its completion mark)
 *   DIR/points/NAME.failed.json a point that failed, with the error (removed on success)
 *   DIR/samples/NAME.jsonl      the point's samples, one line per chain
 *   DIR/shards/shard-I-of-N.json  a shard's state (running / finished / interrupted) and
 *                               its points
 *   DIR/results.json, .csv      one row per finished point (a whole run or --merge)
 *   DIR/.lock, .lock-shard-I-of-N  the writers' locks (sweep_lock.h)
 *
 * Every file is written whole or not at all (host/util/atomic_file.h); a run killed midway leaves
 * only temporaries (NAME.tmp.PID), which the next run over the same points removes. */
#ifndef PSAMP_SWEEP_DIR_H
#define PSAMP_SWEEP_DIR_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "error.h"
#include "sweep_config.h"
#include "sweep_points.h"

/* Creates DIR and its subfolders and checks that files can be written there. */
int sweep_dir_prepare(const char *out, psamp_err *err);
/* "DIR/SUB/NAME" (sub may be NULL); malloc'd, NULL when out of memory. */
char *sweep_dir_file(const char *out, const char *sub, const char *name);

/* Writes DIR/plan.json, or checks that the one there is of the same config. */
int sweep_dir_claim(const char *out, const sweep_config *cfg, const sweep_point *pts, int32_t n,
                    psamp_err *err);
/* Reads DIR/plan.json (for --merge). */
int sweep_dir_read_plan(const char *out, cJSON **plan, uint64_t *config_hash, psamp_err *err);

/* Removes temporaries left by killed runs: of the points with mine[i] set, or (mine NULL)
 * every temporary in the folder, for a run that owns it whole. */
int sweep_dir_remove_stale(const char *out, const sweep_point *pts, int32_t n, const char *mine,
                           psamp_err *err);

typedef enum { SWEEP_POINT_MISSING, SWEEP_POINT_DONE, SWEEP_POINT_FAILED } sweep_point_state;

/* The state of point `name` (id_hex: its id). DONE: *row holds its results (caller frees);
 * FAILED: *why holds the error (caller frees). A point file of another config or another id
 * is an error that names the file. */
int sweep_dir_point_state(const char *out, const char *name, const char *id_hex, uint64_t config_hash,
                          sweep_point_state *state, cJSON **row, char **why, psamp_err *err);

/* Writes `json` (consumed) to DIR/SUB/NAME atomically. */
int sweep_dir_write_json(const char *out, const char *sub, const char *name, cJSON *json,
                         psamp_err *err);
/* Parses a JSON file; a missing file is *json = NULL and 0 when missing_ok. */
int sweep_read_json(const char *path, int missing_ok, cJSON **json, psamp_err *err);

#endif
