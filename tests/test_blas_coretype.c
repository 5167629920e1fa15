/* psamp_blas_coretype_reexec(), called first thing in main as the psamp program and the CPU
 * benchmark do.
 *   test_blas_coretype               (OPENBLAS_CORETYPE unset): on a CPU that OpenBLAS
 *       misdetects, the program runs again exactly once, with the hint in OPENBLAS_CORETYPE
 *       and OpenBLAS on those kernels (no hint left); elsewhere it runs once, unchanged.
 *   test_blas_coretype --user VALUE  (OPENBLAS_CORETYPE=VALUE, e.g. Prescott, the value the
 *       hint replaces): the user's value is kept and nothing runs again.
 * The runs are counted, and the first run's hint kept, in environment variables the
 * re-run inherits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_cpu.h"
#include "testlib.h"

char *openblas_get_corename(void);

#define RUNS_VAR "PSAMP_TEST_BLAS_RUNS"
#define HINT_VAR "PSAMP_TEST_BLAS_FIRST_HINT"

int main(int argc, char **argv) {
    /* Nothing may be printed before the call: a re-run would lose buffered output. */
    const char *runs_text = getenv(RUNS_VAR);
    const int runs = runs_text ? atoi(runs_text) + 1 : 1;
    char runs_now[16];
    snprintf(runs_now, sizeof runs_now, "%d", runs);
    setenv(RUNS_VAR, runs_now, 1);
    if (runs == 1) {
        const char *hint = psamp_blas_coretype_hint();
        setenv(HINT_VAR, hint ? hint : "", 1);
    }
    psamp_err err = {{0}};
    const int rc = psamp_blas_coretype_reexec(argv, &err);

    psamp_test_state t = {0, 0};
    const char *core = openblas_get_corename();
    const char *value = getenv("OPENBLAS_CORETYPE");
    const char *first_hint = getenv(HINT_VAR);
    printf("runs %d, first hint '%s', OPENBLAS_CORETYPE %s, OpenBLAS core %s\n", runs,
           first_hint ? first_hint : "?", value ? value : "unset", core);
    CHECK(&t, rc == 0, "re-run failed: %s", err.msg);
    if (argc == 3 && strcmp(argv[1], "--user") == 0) {
        CHECK(&t, runs == 1, "the user's OPENBLAS_CORETYPE made it run %d times", runs);
        CHECK(&t, value && strcmp(value, argv[2]) == 0, "OPENBLAS_CORETYPE %s, the user set %s",
              value ? value : "unset", argv[2]);
    } else if (argc == 1) {
        CHECK(&t, first_hint != NULL, "%s lost on the re-run", HINT_VAR);
        if (first_hint && first_hint[0]) {
            CHECK(&t, runs == 2, "hint %s: ran %d times, expected one re-run", first_hint, runs);
            CHECK(&t, value && strcmp(value, first_hint) == 0, "OPENBLAS_CORETYPE %s, hint %s",
                  value ? value : "unset", first_hint);
            CHECK(&t, psamp_blas_coretype_hint() == NULL && strcasecmp(core, first_hint) == 0,
                  "after the re-run OpenBLAS still runs %s (hint %s)", core, first_hint);
        } else {
            CHECK(&t, runs == 1 && value == NULL, "no hint, yet %d runs and OPENBLAS_CORETYPE %s",
                  runs, value ? value : "unset");
        }
    } else {
        CHECK(&t, 0, "usage: test_blas_coretype [--user VALUE]");
    }
    return psamp_test_finish(&t, "test_blas_coretype");
}
