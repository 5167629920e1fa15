/* DIR/results.json and DIR/results.csv: one row per finished point, in sweep order, both
 * rewritten atomically whenever a whole run finishes a point and by --merge. */
#ifndef PSAMP_SWEEP_RESULTS_H
#define PSAMP_SWEEP_RESULTS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "error.h"

/* rows[i]: a finished point's record (DIR/points/NAME.json). results.json is
 * {"name", "config_hash", "points": n_points, "finished": n_rows, "rows": [...]}; the CSV
 * holds sweep_results_columns() (null and missing values are empty cells). */
int sweep_results_write(const char *out, const char *name, uint64_t config_hash, int32_t n_points,
                        cJSON *const *rows, int32_t n_rows, psamp_err *err);

/* The CSV's columns, NULL-terminated. */
const char *const *sweep_results_columns(void);

#endif
