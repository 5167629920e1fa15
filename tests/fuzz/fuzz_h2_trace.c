/* `psamp generate --trace` files as `psamp h2 --from-trace` reads them
 * (host/experiments/h2_trace.c): the input is the trace file, fed into a tracker, whose JSON
 * report is then written. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "h2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write_file("trace.jsonl", data, size);
    h2_tracker t;
    psamp_err err = {{0}};
    if (h2_tracker_init(&t, 10, &err) != 0) fuzz_fail("h2_trace (init)", err.msg);
    if (h2_read_trace(path, &t, &err) != 0) {
        fuzz_check_error(&err, "h2_trace");
    } else {
        FILE *f = fopen("/dev/null", "w");
        if (!f) abort();
        h2_meta meta = {path, NULL, NULL, NAN, NAN};
        if (h2_write_json(f, &t, &meta, &err) != 0) fuzz_check_error(&err, "h2_trace (report)");
        fclose(f);
    }
    h2_tracker_free(&t);
    free(path);
    return 0;
}
