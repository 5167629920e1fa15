/* The slot table shared by the OPT engines (host/engine/engine_slots.c): prefill / fork / step
 * argument checks with their one-line messages, forks applied as if simultaneous, appends
 * and EOS. */
#include <string.h>

#include "engine_slots.h"
#include "testlib.h"

static void expect_fail(psamp_test_state *t, int rc, const psamp_err *err, const char *want) {
    CHECK(t, rc == -1, "should fail with '%s'", want);
    CHECK(t, strstr(err->msg, want) != NULL, "message lacks '%s': %s", want, err->msg);
    CHECK(t, strncmp(err->msg, "test engine: ", 13) == 0, "message names the engine: %s", err->msg);
}

static psamp_step_request req(int32_t slot, float tau) {
    return (psamp_step_request){slot, tau, 1, 2, 3};
}

int main(void) {
    psamp_test_state t = {0, 0};
    psamp_err err = {{0}};
    psamp_slot_table s;
    CHECK(&t, psamp_slots_init(&s, "test engine", 4, 6, 10, 9, &err) == 0, "init: %s", err.msg);
    const int32_t toks[7] = {2, 3, 4, 5, 6, 7, 8};
    expect_fail(&t, psamp_slots_check_prefill(&s, 4, toks, 2, 0, 1.0f, &err), &err, "slot 4 outside [0, 4)");
    expect_fail(&t, psamp_slots_check_prefill(&s, 0, toks, 0, 0, 1.0f, &err), &err, "0 tokens");
    expect_fail(&t, psamp_slots_check_prefill(&s, 0, toks, 7, 0, 1.0f, &err), &err, "max_len");
    const int32_t bad[3] = {2, 10, 3};
    expect_fail(&t, psamp_slots_check_prefill(&s, 0, bad, 3, 0, 1.0f, &err), &err, "token 10 at index 1");
    expect_fail(&t, psamp_slots_check_prefill(&s, 0, toks, 6, 1, 0.0f, &err), &err, "temperature 0");
    CHECK(&t, psamp_slots_check_prefill(&s, 0, toks, 6, 0, 0.0f, &err) == 0, "tau unused without scores");
    CHECK(&t, psamp_slots_check_prefill(&s, 0, toks, 6, 1, 0.5f, &err) == 0, "prefill ok: %s", err.msg);
    psamp_slots_set(&s, 0, toks, 6);
    psamp_slots_set(&s, 1, toks + 1, 3);
    CHECK(&t, s.length[0] == 6 && psamp_slot_tokens(&s, 1)[0] == 3, "set");

    /* Steps: empty, full, twice, tau. */
    psamp_step_request q[2] = {req(2, 1.0f), req(1, 1.0f)};
    expect_fail(&t, psamp_slots_check_step(&s, q, 1, &err), &err, "empty");
    q[0] = req(0, 1.0f);
    expect_fail(&t, psamp_slots_check_step(&s, q, 1, &err), &err, "full");
    q[0] = req(1, 1.0f);
    expect_fail(&t, psamp_slots_check_step(&s, q, 2, &err), &err, "requested twice");
    q[0] = req(1, -0.5f);
    expect_fail(&t, psamp_slots_check_step(&s, q, 1, &err), &err, "tau");
    expect_fail(&t, psamp_slots_check_step(&s, q, 5, &err), &err, "5 requests");
    q[0] = req(1, 0.0f);
    CHECK(&t, psamp_slots_check_step(&s, q, 1, &err) == 0, "step ok: %s", err.msg);
    CHECK(&t, psamp_slots_append(&s, 1, 5) == 0 && psamp_slots_append(&s, 1, 9) == 1,
          "append; EOS ends");
    CHECK(&t, s.length[1] == 5 && psamp_slot_tokens(&s, 1)[4] == 9, "appended");

    /* Forks: checks, then simultaneous application. */
    psamp_fork_request f = {2, 0, 7};
    expect_fail(&t, psamp_slots_check_forks(&s, &f, 1, &err), &err, "keep 7");
    psamp_fork_request twice[2] = {{2, 0, 1}, {2, 1, 1}};
    expect_fail(&t, psamp_slots_check_forks(&s, twice, 2, &err), &err, "destination of two forks");
    psamp_fork_request chain[2] = {{2, 0, 1}, {3, 2, 0}};
    expect_fail(&t, psamp_slots_check_forks(&s, chain, 2, &err), &err, "also a fork destination");
    psamp_fork_request trunc_src[2] = {{0, 0, 1}, {3, 0, 2}};
    expect_fail(&t, psamp_slots_check_forks(&s, trunc_src, 2, &err), &err, "also a fork destination");
    /* Copy 0 -> 2 and 0 -> 3, truncate 1 in place. */
    psamp_fork_request ok[3] = {{2, 0, 4}, {1, 1, 2}, {3, 0, 2}};
    CHECK(&t, psamp_slots_check_forks(&s, ok, 3, &err) == 0, "forks ok: %s", err.msg);
    psamp_slots_apply_forks(&s, ok, 3);
    CHECK(&t, s.length[2] == 4 && s.length[1] == 2 && s.length[3] == 2, "fork lengths");
    CHECK(&t, memcmp(psamp_slot_tokens(&s, 2), toks, 4 * sizeof(int32_t)) == 0, "fork tokens");
    CHECK(&t, psamp_slot_tokens(&s, 3)[1] == 3 && psamp_slot_tokens(&s, 1)[1] == 4, "fork tokens 2");
    psamp_slots_free(&s);
    return psamp_test_finish(&t, "test_engine_slots");
}
