/* Helpers shared by the engine tests (tests/test_engine_*.c, tests/gpu/test_gpu_engine.c):
 * the fixture models, the prompts and step requests they run, and the check that a call
 * fails with a message naming what is wrong. */
#ifndef PSAMP_ENGINE_TESTLIB_H
#define PSAMP_ENGINE_TESTLIB_H

#include <stdint.h>

#include "engine.h"
#include "opt_checkpoint.h"
#include "testlib.h"

/* Opens tests/fixtures/NAME (e.g. "opt-tiny-pre"); 0 / -1 with err, like opt_checkpoint_open. */
int test_open_fixture(const char *name, opt_checkpoint *ck, psamp_err *err);
/* A prompt of n tokens: BOS (2), then a pattern that depends on k (tokens < 1024). */
void test_prompt_of(int32_t *out, int n, int k);
/* A step of slot at temperature tau with seed 1234, drawing from chain's token stream at
 * counter. */
psamp_step_request test_req(int32_t slot, float tau, uint64_t chain, uint64_t counter);
/* Checks rc is -1 and err names want; prints the message (so a run shows every error). */
void test_expect_fail(psamp_test_state *t, int rc, const psamp_err *err, const char *what,
                      const char *want);

#endif
