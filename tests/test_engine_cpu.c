/* The CPU engine's slot semantics on the fixture models: a step continues a prefill exactly;
 * a fork or truncation then a step equals a fresh prefill then a step; one batched step over
 * slots at different lengths equals stepping them one at a time; the same seed gives the
 * same samples; bad arguments fail with one-line errors and change nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_cpu.h"
#include "engine_testlib.h"
#include "philox.h"
#include "testlib.h"

#define N_SLOTS 8
#define MAX_LEN 96
#define TOL 2e-5

static psamp_engine *make_engine(psamp_test_state *t, const char *name, int n_slots, int threads,
                                 int32_t eos) {
    opt_checkpoint ck;
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    psamp_cpu_options opts = {threads};
    if (test_open_fixture(name, &ck, &err) == 0) {
        if (eos >= 0) ck.cfg.eos_id = eos;
        psamp_engine_cpu_create(&ck, n_slots, MAX_LEN, &opts, &e, &err);
    }
    CHECK(t, e != NULL, "%s: engine: %s", name, err.msg);
    opt_checkpoint_close(&ck);
    return e;
}

/* Prefill then 6 sampled steps; a fresh prefill of the whole sequence gives the same log p. */
static void check_step_continues_prefill(psamp_test_state *t, psamp_engine *e, const char *name) {
    int32_t seq[64];
    float logp[64], step_logp[64];
    psamp_err err = {{0}};
    test_prompt_of(seq, 9, 1);
    CHECK(t, e->ops->prefill(e, 0, seq, 9, 1.0f, NULL, &err) == 0, "%s: prefill: %s", name, err.msg);
    int n = 9;
    for (int i = 0; i < 6; i++) {
        psamp_step_request q = test_req(0, 1.0f, 0, (uint64_t)i);
        psamp_step_result r;
        CHECK(t, e->ops->step(e, &q, 1, &r, &err) == 0, "%s: step: %s", name, err.msg);
        CHECK_NEAR(t, r.logq, r.logp, 1e-6, "logq = logp at tau 1");
        step_logp[n] = r.logp;
        seq[n++] = r.token;
    }
    CHECK(t, e->ops->prefill(e, 1, seq, n, 1.0f, logp, &err) == 0, "%s: long prefill: %s", name, err.msg);
    for (int i = 9; i < n; i++) CHECK_NEAR(t, step_logp[i], logp[i], TOL, "step log p vs prefill log p");

    /* Scoring at a temperature gives the log q that sampling at that temperature reports. */
    float step_logq[64];
    n = 9;
    for (int i = 0; i < 6; i++) {
        psamp_step_request q = test_req(0, 0.5f, 1, (uint64_t)i);
        psamp_step_result r;
        if (i == 0) e->ops->prefill(e, 0, seq, 9, 1.0f, NULL, &err);
        CHECK(t, e->ops->step(e, &q, 1, &r, &err) == 0, "%s: step at tau 0.5: %s", name, err.msg);
        step_logq[n] = r.logq;
        seq[n++] = r.token;
    }
    CHECK(t, e->ops->prefill(e, 1, seq, n, 0.5f, logp, &err) == 0, "%s: prefill at tau 0.5: %s", name, err.msg);
    for (int i = 9; i < n; i++) CHECK_NEAR(t, step_logq[i], logp[i], TOL, "step log q vs prefill at tau 0.5");
    CHECK(t, e->ops->prefill(e, 1, seq, n, 0.0f, logp, &err) == -1 && strstr(err.msg, "temperature"),
          "%s: scoring at tau 0 is refused", name);
    /* tau = +inf is the uniform distribution: every token scores -log V. */
    CHECK(t, e->ops->prefill(e, 1, seq, n, INFINITY, logp, &err) == 0, "%s: prefill at tau inf: %s", name, err.msg);
    for (int i = 1; i < n; i++) CHECK_NEAR(t, logp[i], -log((double)e->info.vocab_size), TOL, "log q at tau inf");
}

/* Slot 0 holds a 20-token sequence; forks and truncations then one step must equal a fresh
 * prefill of the kept prefix then the same step. */
static void check_fork(psamp_test_state *t, psamp_engine *e, const char *name) {
    int32_t seq[20];
    psamp_err err = {{0}};
    test_prompt_of(seq, 20, 2);
    const int keeps[] = {1, 2, 7, 19, 20};
    for (int k = 0; k < 5; k++) {
        int keep = keeps[k];
        e->ops->prefill(e, 0, seq, 20, 1.0f, NULL, &err);
        e->ops->prefill(e, 3, seq, 5, 1.0f, NULL, &err); /* dst had other contents */
        /* A fork, then a truncation in place (two calls: a call's dsts may not be its srcs). */
        psamp_fork_request forks[2] = {{3, 0, keep}, {0, 0, keep}};
        CHECK(t, e->ops->fork(e, &forks[0], 1, &err) == 0, "%s: fork: %s", name, err.msg);
        CHECK(t, e->ops->fork(e, &forks[1], 1, &err) == 0, "%s: truncate: %s", name, err.msg);
        CHECK(t, e->ops->prefill(e, 5, seq, keep, 1.0f, NULL, &err) == 0, "%s: prefill: %s", name, err.msg);
        psamp_step_request q[3] = {test_req(3, 0.7f, 9, 0), test_req(0, 0.7f, 9, 0), test_req(5, 0.7f, 9, 0)};
        psamp_step_result r[3];
        for (int i = 0; i < 3; i++)
            CHECK(t, e->ops->step(e, &q[i], 1, &r[i], &err) == 0, "%s: step: %s", name, err.msg);
        CHECK(t, r[0].token == r[2].token && r[1].token == r[2].token,
              "%s keep %d: fork %d, truncate %d, fresh %d", name, keep, r[0].token, r[1].token, r[2].token);
        CHECK_NEAR(t, r[0].logp, r[2].logp, TOL, "fork log p");
        CHECK_NEAR(t, r[1].logp, r[2].logp, TOL, "truncate log p");
        CHECK_NEAR(t, r[0].logq, r[2].logq, TOL, "fork log q");
    }
}

/* Eight slots at lengths 1..57 stepped together for 5 rounds, then re-run one at a time. */
static void check_batch(psamp_test_state *t, psamp_engine *e, const char *name) {
    psamp_err err = {{0}};
    psamp_step_result batched[5][N_SLOTS], single[5][N_SLOTS];
    psamp_step_request q[N_SLOTS];
    for (int pass = 0; pass < 2; pass++) {
        for (int s = 0; s < N_SLOTS; s++) {
            int32_t p[64];
            test_prompt_of(p, 1 + 8 * s, s);
            e->ops->prefill(e, s, p, 1 + 8 * s, 1.0f, NULL, &err);
        }
        for (int round = 0; round < 5; round++) {
            /* Requests out of slot order, with their own temperatures and chains. */
            for (int i = 0; i < N_SLOTS; i++) {
                int s = (i * 3) % N_SLOTS;
                q[i] = test_req(s, 0.5f + 0.25f * (float)(s % 3), (uint64_t)s, (uint64_t)round);
            }
            if (pass == 0) {
                CHECK(t, e->ops->step(e, q, N_SLOTS, batched[round], &err) == 0, "%s: batch: %s",
                      name, err.msg);
            } else {
                for (int i = N_SLOTS - 1; i >= 0; i--)
                    CHECK(t, e->ops->step(e, &q[i], 1, &single[round][i], &err) == 0, "%s: single: %s",
                          name, err.msg);
            }
        }
    }
    int diff = 0;
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < N_SLOTS; i++) {
            diff += batched[round][i].token != single[round][i].token;
            CHECK_NEAR(t, batched[round][i].logp, single[round][i].logp, TOL, "batched vs single log p");
            CHECK_NEAR(t, batched[round][i].logq, single[round][i].logq, TOL, "batched vs single log q");
        }
    CHECK(t, diff == 0, "%s: %d tokens differ between batched and one-at-a-time steps", name, diff);
}

/* Two engines (1 and 2 threads) with the same seed draw the same tokens; another seed does not. */
static void check_determinism(psamp_test_state *t, const char *name) {
    int32_t tokens[3][N_SLOTS * 10];
    const uint64_t seeds[3] = {77, 77, 78};
    for (int run = 0; run < 3; run++) {
        psamp_engine *e = make_engine(t, name, N_SLOTS, run == 1 ? 1 : 2, -1);
        if (!e) return;
        psamp_err err = {{0}};
        int32_t p[4] = {2, 10, 20, 30};
        for (int s = 0; s < N_SLOTS; s++) e->ops->prefill(e, s, p, 4, 1.0f, NULL, &err);
        for (int round = 0; round < 10; round++) {
            psamp_step_request q[N_SLOTS];
            psamp_step_result r[N_SLOTS];
            for (int s = 0; s < N_SLOTS; s++)
                q[s] = (psamp_step_request){s, 1.0f, seeds[run], psamp_stream_tokens((uint64_t)s), (uint64_t)round};
            e->ops->step(e, q, N_SLOTS, r, &err);
            for (int s = 0; s < N_SLOTS; s++) tokens[run][round * N_SLOTS + s] = r[s].token;
        }
        psamp_engine_destroy(e);
    }
    CHECK(t, memcmp(tokens[0], tokens[1], sizeof tokens[0]) == 0, "%s: same seed, same samples", name);
    CHECK(t, memcmp(tokens[0], tokens[2], sizeof tokens[0]) != 0, "%s: another seed, other samples", name);
    /* Chains with the same prompt but different streams must not move in lockstep. */
    CHECK(t, memcmp(tokens[0], tokens[0] + 1, sizeof(int32_t) * (N_SLOTS * 10 - 1)) != 0,
          "%s: streams differ between chains", name);
}

static void check_errors(psamp_test_state *t, psamp_engine *e) {
    psamp_err err = {{0}};
    int32_t p[MAX_LEN + 1];
    test_prompt_of(p, MAX_LEN + 1, 3);
    test_expect_fail(t, e->ops->prefill(e, N_SLOTS, p, 4, 1.0f, NULL, &err), &err, "prefill bad slot", "slot 8");
    test_expect_fail(t, e->ops->prefill(e, 0, p, 0, 1.0f, NULL, &err), &err, "empty prefill", "0 tokens");
    test_expect_fail(t, e->ops->prefill(e, 0, p, MAX_LEN + 1, 1.0f, NULL, &err), &err, "prefill too long", "max_len");
    p[3] = 1024;
    test_expect_fail(t, e->ops->prefill(e, 0, p, 5, 1.0f, NULL, &err), &err, "token outside vocabulary", "index 3");
    p[3] = -1;
    test_expect_fail(t, e->ops->prefill(e, 0, p, 5, 1.0f, NULL, &err), &err, "negative token", "vocabulary");
    test_prompt_of(p, MAX_LEN, 3);
    CHECK(t, e->ops->prefill(e, 0, p, 6, 1.0f, NULL, &err) == 0, "prefill: %s", err.msg);
    CHECK(t, e->ops->prefill(e, 1, p, MAX_LEN, 1.0f, NULL, &err) == 0, "full prefill: %s", err.msg);
    psamp_fork_request f = {2, 0, 7};
    test_expect_fail(t, e->ops->fork(e, &f, 1, &err), &err, "fork keep > length", "keep 7");
    psamp_fork_request two[2] = {{2, 0, 3}, {2, 0, 2}};
    test_expect_fail(t, e->ops->fork(e, two, 2, &err), &err, "fork same dst twice", "two forks");
    psamp_fork_request chain[2] = {{2, 0, 3}, {4, 2, 0}};
    test_expect_fail(t, e->ops->fork(e, chain, 2, &err), &err, "fork from a dst", "also a fork destination");
    test_expect_fail(t, e->ops->fork(e, &f, -1, &err), &err, "negative fork count", "fork of -1 requests");
    f = (psamp_fork_request){2, 0, 0};
    CHECK(t, e->ops->fork(e, &f, 1, &err) == 0, "fork keep 0: %s", err.msg);
    psamp_step_request q = test_req(2, 1.0f, 0, 0);
    psamp_step_result r;
    test_expect_fail(t, e->ops->step(e, &q, 1, &r, &err), &err, "step an empty slot", "empty");
    q.slot = 1;
    test_expect_fail(t, e->ops->step(e, &q, 1, &r, &err), &err, "step a full slot", "full");
    psamp_step_request dup[2] = {test_req(0, 1.0f, 0, 0), test_req(0, 1.0f, 1, 0)};
    test_expect_fail(t, e->ops->step(e, dup, 2, &r, &err), &err, "step a slot twice", "twice");
    q = test_req(0, -1.0f, 0, 0);
    test_expect_fail(t, e->ops->step(e, &q, 1, &r, &err), &err, "negative tau", "tau");
    /* Failed calls changed nothing: slot 0 still steps from its 6 tokens like a fresh copy. */
    psamp_step_result a, b;
    q = test_req(0, 1.0f, 5, 5);
    e->ops->step(e, &q, 1, &a, &err);
    e->ops->prefill(e, 3, p, 6, 1.0f, NULL, &err);
    q.slot = 3;
    e->ops->step(e, &q, 1, &b, &err);
    CHECK(t, a.token == b.token, "failed calls left slot 0 alone");

    opt_checkpoint ck;
    psamp_engine *bad = NULL;
    if (test_open_fixture("opt-tiny-pre", &ck, &err) == 0) {
        test_expect_fail(t, psamp_engine_cpu_create(&ck, 2, ck.cfg.max_positions + 1, NULL, &bad, &err),
                    &err, "max_len > positions", "max_position_embeddings");
        test_expect_fail(t, psamp_engine_cpu_create(&ck, 0, 8, NULL, &bad, &err), &err, "zero slots", "n_slots");
        CHECK(t, bad == NULL, "no engine on failure");
        opt_checkpoint_close(&ck);
    }
}

/* With EOS set to the greedy first token, the step reports the sequence ended. */
static void check_ended(psamp_test_state *t, const char *name) {
    psamp_engine *e = make_engine(t, name, 1, 1, -1);
    psamp_err err = {{0}};
    int32_t p[1] = {2};
    psamp_step_request q = test_req(0, 0.0f, 0, 0);
    psamp_step_result r;
    if (!e) return;
    e->ops->prefill(e, 0, p, 1, 1.0f, NULL, &err);
    e->ops->step(e, &q, 1, &r, &err);
    psamp_engine_destroy(e);
    e = make_engine(t, name, 1, 1, r.token);
    if (!e) return;
    e->ops->prefill(e, 0, p, 1, 1.0f, NULL, &err);
    psamp_step_result again;
    e->ops->step(e, &q, 1, &again, &err);
    CHECK(t, again.token == r.token && again.ended == 1 && r.ended == (r.token == 2),
          "%s: ended follows config eos", name);
    psamp_engine_destroy(e);
}

/* A 90-token prefill runs in chunks of 64 rows on an 8-slot engine and in one chunk on a
 * 128-slot engine: the log p must agree. */
static void check_chunked_prefill(psamp_test_state *t, const char *name) {
    psamp_engine *small = make_engine(t, name, N_SLOTS, 2, -1), *big = make_engine(t, name, 128, 2, -1);
    int32_t p[90];
    float a[90], b[90];
    psamp_err err = {{0}};
    test_prompt_of(p, 90, 4);
    if (small && big) {
        CHECK(t, small->ops->prefill(small, 0, p, 90, 1.0f, a, &err) == 0, "chunked prefill: %s", err.msg);
        CHECK(t, big->ops->prefill(big, 0, p, 90, 1.0f, b, &err) == 0, "whole prefill: %s", err.msg);
        for (int i = 0; i < 90; i++) CHECK_NEAR(t, a[i], b[i], TOL, "chunked vs whole prefill log p");
        /* and the caches agree: the next greedy token is the same */
        psamp_step_request q = test_req(0, 0.0f, 0, 0);
        psamp_step_result ra, rb;
        small->ops->step(small, &q, 1, &ra, &err);
        big->ops->step(big, &q, 1, &rb, &err);
        CHECK(t, ra.token == rb.token, "%s: step after chunked prefill", name);
        CHECK_NEAR(t, ra.logp, rb.logp, TOL, "step log p after chunked prefill");
    }
    psamp_engine_destroy(small);
    psamp_engine_destroy(big);
}

/* The room for slots: OPT-125M's slot of 288 tokens is 12 layers x K and V x 768 x 288 fp32
 * (21,233,664 bytes) + its 288 token ids and 8 bytes of state, and each slot adds a row of
 * scratch: 6 x 768 + 3072 (ffn) + 768 (embedding) + 50272 (logits) floats = 234,880 bytes,
 * + a row and a step result (28 bytes). Usable memory is nine tenths of what is available,
 * less 512 MiB. The old estimate left out the row (its 1 M chains asked for 34 GB of a 24 GB
 * machine); the count must be the largest whose bytes fit. */
static void check_room(psamp_test_state *t) {
    opt_config c = opt_config_125m();
    const uint64_t gib = 1ull << 30, threads = (uint64_t)psamp_engine_cpu_default_threads();
    const uint64_t per_slot = 21233664ull + 288 * 4 + 8 + 234880 + 28;
    const uint64_t fixed = threads * 288 * 4;
    CHECK(t, psamp_engine_cpu_bytes(&c, 1000, 288, (int)threads) == fixed + 1000 * per_slot,
          "bytes of 1000 slots: %llu, expected %llu", (unsigned long long)psamp_engine_cpu_bytes(&c, 1000, 288, (int)threads),
          (unsigned long long)(fixed + 1000 * per_slot));
    const uint64_t usable = 24 * gib - 24 * gib / 10 - (512ull << 20);
    CHECK(t, psamp_engine_cpu_slots_in(&c, 288, 24 * gib) == (int32_t)((usable - fixed) / per_slot),
          "24 GiB: room for %d slots, expected %d", psamp_engine_cpu_slots_in(&c, 288, 24 * gib),
          (int32_t)((usable - fixed) / per_slot));
    CHECK(t, psamp_engine_cpu_slots_in(&c, 288, 512ull << 20) == 0, "room in 512 MiB");
    CHECK(t, psamp_engine_cpu_slots_in(&c, 144, 24 * gib) > psamp_engine_cpu_slots_in(&c, 288, 24 * gib),
          "shorter slots, no more of them");
    /* The estimate is what an engine allocates: few slots (64 rows of scratch) and many. */
    opt_checkpoint tiny;
    psamp_err terr = {{0}};
    if (test_open_fixture("opt-tiny-pre", &tiny, &terr) == 0) {
        const int32_t counts[2] = {3, 150};
        for (int i = 0; i < 2; i++) {
            psamp_cpu_options o = {2};
            psamp_engine *e = NULL;
            CHECK(t, psamp_engine_cpu_create(&tiny, counts[i], 40, &o, &e, &terr) == 0, "engine: %s", terr.msg);
            if (!e) continue;
            uint64_t want = psamp_engine_cpu_bytes(&tiny.cfg, counts[i], 40, 2);
            CHECK(t, e->info.host_bytes == want, "%d slots: engine took %llu bytes, estimate %llu", counts[i],
                  (unsigned long long)e->info.host_bytes, (unsigned long long)want);
            psamp_engine_destroy(e);
        }
        opt_checkpoint_close(&tiny);
    }
    opt_checkpoint ck;
    psamp_err err = {{0}};
    int32_t room = -1;
    if (test_open_fixture("opt-tiny-pre", &ck, &err) != 0) {
        CHECK(t, 0, "%s", err.msg);
        return;
    }
    CHECK(t, psamp_engine_cpu_max_slots(&ck, MAX_LEN, &room, &err) == 0 && room > N_SLOTS,
          "this machine: room for %d tiny slots (%s)", room, err.msg);
    CHECK(t, psamp_engine_cpu_max_slots(&ck, 100000, &room, &err) != 0 && strstr(err.msg, "max_len"),
          "max_len past the model's positions accepted");
    opt_checkpoint_close(&ck);
}

int main(void) {
    psamp_test_state t = {0, 0};
    check_room(&t);
    const char *models[] = {"opt-tiny-pre", "opt-tiny-post"};
    for (int m = 0; m < 2; m++) {
        psamp_engine *e = make_engine(&t, models[m], N_SLOTS, 2, -1);
        if (!e) continue;
        CHECK(&t, strcmp(e->info.backend, "cpu") == 0 && e->info.vocab_size == 1024 &&
                      e->info.n_slots == N_SLOTS && e->info.max_len == MAX_LEN && e->info.min_prompt == 1,
              "engine info");
        check_step_continues_prefill(&t, e, models[m]);
        check_fork(&t, e, models[m]);
        check_batch(&t, e, models[m]);
        if (m == 0) check_errors(&t, e);
        psamp_engine_destroy(e);
    }
    check_determinism(&t, "opt-tiny-pre");
    check_chunked_prefill(&t, "opt-tiny-post");
    check_ended(&t, "opt-tiny-post");
    return psamp_test_finish(&t, "test_engine_cpu");
}
