/* Minimal test harness: CHECK records a failure with file:line and goes on, so one run
 * reports every broken assertion; psamp_test_finish() turns the count into the exit code. */
#ifndef PSAMP_TESTLIB_H
#define PSAMP_TESTLIB_H

#include <stdio.h>

#include "toy_world.h"

typedef struct {
    int checks;
    int failures;
} psamp_test_state;

void psamp_test_fail(psamp_test_state *t, const char *file, int line, const char *fmt, ...);
/* Prints a summary; returns 0 when every check passed, 1 otherwise. */
int psamp_test_finish(const psamp_test_state *t, const char *name);
/* The whole file, malloc'd and NUL-terminated (*len excludes the NUL); NULL if unreadable. */
char *psamp_test_read_file(const char *path, size_t *len);
/* A committed toy world, experiments/toy/NAME; NULL (and a failed check) when it does not
 * load. Free with toy_world_free. */
toy_world *psamp_test_toy_world(psamp_test_state *t, const char *name);
/* Exit code CTest reports as "skipped" (SKIP_RETURN_CODE). */
#define PSAMP_TEST_SKIP 77

#define CHECK(t, cond, ...)                                                   \
    do {                                                                      \
        (t)->checks++;                                                        \
        if (!(cond)) psamp_test_fail((t), __FILE__, __LINE__, __VA_ARGS__);   \
    } while (0)

/* |a - b| <= tol, with both values in the message on failure. */
#define CHECK_NEAR(t, a, b, tol, what)                                                 \
    do {                                                                               \
        double psamp_a_ = (double)(a), psamp_b_ = (double)(b);                         \
        (t)->checks++;                                                                 \
        if (!(psamp_a_ - psamp_b_ <= (tol) && psamp_b_ - psamp_a_ <= (tol)))           \
            psamp_test_fail((t), __FILE__, __LINE__, "%s: %.9g vs %.9g (tol %.3g)",    \
                            (what), psamp_a_, psamp_b_, (double)(tol));                \
    } while (0)

#endif
