#include "engine_testlib.h"

#include <stdio.h>
#include <string.h>

#include "philox.h"

int test_open_fixture(const char *name, opt_checkpoint *ck, psamp_err *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, name);
    return opt_checkpoint_open(ck, dir, err);
}

void test_prompt_of(int32_t *out, int n, int k) {
    out[0] = 2;
    for (int i = 1; i < n; i++) out[i] = (int32_t)((37 * i + 101 * k + 5) % 1024);
}

psamp_step_request test_req(int32_t slot, float tau, uint64_t chain, uint64_t counter) {
    return (psamp_step_request){slot, tau, 1234, psamp_stream_tokens(chain), counter};
}

void test_expect_fail(psamp_test_state *t, int rc, const psamp_err *err, const char *what,
                      const char *want) {
    CHECK(t, rc == -1, "%s: should fail", what);
    CHECK(t, strstr(err->msg, want) != NULL, "%s: message lacks '%s': %s", what, want, err->msg);
    printf("  %-26s %s\n", what, err->msg);
}
