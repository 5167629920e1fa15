/* The toy engine against host/engine/engine.h: exact log p / log q, ends on null transitions and
 * at the world's length, prefill/fork/truncate, batch validation that leaves slots intact,
 * draws keyed by (seed, stream, counter) only, and sequence frequencies equal to p. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_testlib.h"
#include "engine_toy.h"
#include "testlib.h"

/* A world with EOS: from s, "a" loops (0.5), "b" ends (0.3), "c" goes to t (0.2); in t
 * only "b" (ending). Length 4. */
static const char EOS_WORLD[] =
    "{\"tokens\": [\"a\", \"b\", \"c\"], \"length\": 4, \"start\": \"s\", \"states\": {"
    "\"s\": {\"a\": [0.5, \"s\"], \"b\": [0.3, null], \"c\": [0.2, \"t\"]},"
    "\"t\": {\"b\": [1.0, null]}}}";

static int slot_len(const psamp_engine *e, int32_t slot) {
    const int32_t *toks;
    int32_t len, ended;
    psamp_err err;
    if (psamp_engine_toy_slot(e, slot, &toks, &len, &ended, &err) != 0) return -1;
    return len;
}

static void check_create_and_info(psamp_test_state *t, const toy_world *w) {
    psamp_engine *e = (psamp_engine *)1;
    psamp_err err = {{0}};
    CHECK(t, psamp_engine_toy_create(w, 0, 8, &e, &err) == -1 && e == NULL && strstr(err.msg, "n_slots 0"),
          "n_slots 0 refused: %s", err.msg);
    CHECK(t, psamp_engine_toy_create(w, 4, 0, &e, &err) == -1 && strstr(err.msg, "max_len 0"),
          "max_len 0 refused: %s", err.msg);
    CHECK(t, psamp_engine_toy_create(w, 4, 8, &e, &err) == 0, "create: %s", err.msg);
    CHECK(t, strcmp(e->info.backend, "toy") == 0 && e->info.vocab_size == 3 && e->info.n_slots == 4 &&
                 e->info.max_len == 8 && e->info.min_prompt == 0,
          "info");
    CHECK(t, strstr(e->info.detail, "3 tokens, 2 states, length 4") != NULL, "detail: %s", e->info.detail);
    psamp_engine_destroy(e);
}

static void check_step_values(psamp_test_state *t, const toy_world *w) {
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    if (psamp_engine_toy_create(w, 2, 4, &e, &err) != 0) return;
    /* Greedy from an empty slot: "a" (0.5) three times, then the length ends it. */
    for (int i = 0; i < 4; i++) {
        psamp_step_request r = test_req(0, 0.0f, 0, (uint64_t)i);
        psamp_step_result out;
        CHECK(t, e->ops->step(e, &r, 1, &out, &err) == 0, "greedy step %d: %s", i, err.msg);
        CHECK(t, out.token == 0, "greedy takes a");
        CHECK_NEAR(t, out.logp, log(0.5), 1e-6, "greedy logp");
        CHECK(t, out.logq == 0.0f, "greedy logq is 0");
        CHECK(t, out.ended == (i == 3), "step %d ended = %d (length 4 ends at the 4th token)", i, out.ended);
    }
    psamp_step_request again = test_req(0, 1.0f, 0, 9);
    psamp_step_result out;
    CHECK(t, e->ops->step(e, &again, 1, &out, &err) == -1 && strstr(err.msg, "slot 0 has ended"),
          "stepping an ended slot: %s", err.msg);
    /* logq at tau = 0.5 is log of p^2 renormalised, whatever the token. */
    double z2 = 0.25 + 0.09 + 0.04;
    const double p[3] = {0.5, 0.3, 0.2};
    for (uint64_t c = 0; c < 20; c++) {
        psamp_step_request r = test_req(1, 0.5f, 1, c);
        psamp_fork_request reset = {1, 1, 0};
        CHECK(t, e->ops->fork(e, &reset, 1, &err) == 0, "reset slot 1");
        CHECK(t, e->ops->step(e, &r, 1, &out, &err) == 0, "tau 0.5 step: %s", err.msg);
        CHECK_NEAR(t, out.logp, log(p[out.token]), 1e-6, "logp at tau 0.5");
        CHECK_NEAR(t, out.logq, log(p[out.token] * p[out.token] / z2), 1e-6, "logq at tau 0.5");
        CHECK(t, out.ended == (out.token == 1), "b ends at once, a/c do not");
    }
    psamp_engine_destroy(e);
}

static void check_prefill(psamp_test_state *t, const toy_world *w) {
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    if (psamp_engine_toy_create(w, 2, 3, &e, &err) != 0) return;
    const int32_t acb[3] = {0, 2, 1};
    float lp[3] = {1, 1, 1};
    CHECK(t, e->ops->prefill(e, 0, acb, 3, 1.0f, lp, &err) == 0, "prefill acb: %s", err.msg);
    CHECK_NEAR(t, lp[0], log(0.5), 1e-6, "logp[0] is the real log p of the first token");
    CHECK_NEAR(t, lp[1], log(0.2), 1e-6, "logp[1]");
    CHECK_NEAR(t, lp[2], 0.0, 1e-7, "logp[2]: b is certain in t");
    const int32_t *toks;
    int32_t len, ended;
    CHECK(t, psamp_engine_toy_slot(e, 0, &toks, &len, &ended, &err) == 0 && len == 3 && ended == 1 &&
                 toks[1] == 2,
          "prefilled slot holds acb and has ended");
    /* An impossible sequence names the position and the token, and leaves the slot as it was. */
    const int32_t cc[2] = {2, 2};
    CHECK(t, e->ops->prefill(e, 0, cc, 2, 1.0f, NULL, &err) == -1 &&
                 strstr(err.msg, "prefill slot 0") && strstr(err.msg, "position 1: token c is impossible in state t"),
          "impossible prefill: %s", err.msg);
    CHECK(t, slot_len(e, 0) == 3, "failed prefill left slot 0 intact");
    const int32_t ba[2] = {1, 0};
    CHECK(t, e->ops->prefill(e, 0, ba, 2, 1.0f, NULL, &err) == -1 && strstr(err.msg, "position 1: token a follows the end"),
          "token after the end: %s", err.msg);
    const int32_t aaaa[4] = {0, 0, 0, 0};
    CHECK(t, e->ops->prefill(e, 1, aaaa, 4, 1.0f, NULL, &err) == -1 && strstr(err.msg, "outside [0, 3]"),
          "more than max_len: %s", err.msg);
    const int32_t bad_id[1] = {7};
    CHECK(t, e->ops->prefill(e, 1, bad_id, 1, 1.0f, NULL, &err) == -1 && strstr(err.msg, "token id 7"),
          "id outside the vocabulary: %s", err.msg);
    CHECK(t, e->ops->prefill(e, 2, acb, 1, 1.0f, NULL, &err) == -1 && strstr(err.msg, "slot 2 is outside [0, 2)"),
          "bad slot id: %s", err.msg);
    /* A full slot that has not ended: max_len 3 < length 4. */
    CHECK(t, e->ops->prefill(e, 1, aaaa, 3, 1.0f, NULL, &err) == 0, "prefill aaa");
    psamp_step_request r = test_req(1, 1.0f, 0, 0);
    psamp_step_result out;
    CHECK(t, e->ops->step(e, &r, 1, &out, &err) == -1 && strstr(err.msg, "slot 1 is full (max_len 3)"),
          "stepping a full slot: %s", err.msg);
    psamp_engine_destroy(e);
}

static void check_fork(psamp_test_state *t, const toy_world *w) {
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    if (psamp_engine_toy_create(w, 4, 4, &e, &err) != 0) return;
    const int32_t acb[3] = {0, 2, 1};
    e->ops->prefill(e, 0, acb, 3, 1.0f, NULL, &err);
    psamp_fork_request f[2] = {{1, 0, 2}, {2, 0, 1}};
    CHECK(t, e->ops->fork(e, f, 2, &err) == 0, "two forks from one src: %s", err.msg);
    const int32_t *toks;
    int32_t len, ended;
    psamp_engine_toy_slot(e, 1, &toks, &len, &ended, &err);
    CHECK(t, len == 2 && ended == 0 && toks[0] == 0 && toks[1] == 2, "slot 1 = ac, not ended");
    /* The fork continues from the copied state: in t only b is possible. */
    psamp_step_request r = test_req(1, 1.0f, 5, 0);
    psamp_step_result out;
    CHECK(t, e->ops->step(e, &r, 1, &out, &err) == 0 && out.token == 1 && out.ended == 1,
          "fork resumes in state t");
    /* Truncation in place re-opens an ended slot. */
    psamp_fork_request trunc = {0, 0, 1};
    CHECK(t, e->ops->fork(e, &trunc, 1, &err) == 0, "truncate");
    psamp_engine_toy_slot(e, 0, &toks, &len, &ended, &err);
    CHECK(t, len == 1 && ended == 0, "truncated slot is open again");

    /* Broken batches fail whole: nothing is applied. */
    psamp_fork_request chain[2] = {{3, 0, 1}, {0, 2, 1}};
    CHECK(t, e->ops->fork(e, chain, 2, &err) == -1 && strstr(err.msg, "src slot 0 is the dst of fork 1"),
          "dst of one fork is the src of another: %s", err.msg);
    CHECK(t, slot_len(e, 3) == 0, "refused batch applied nothing");
    psamp_fork_request twice[2] = {{3, 0, 1}, {3, 1, 1}};
    CHECK(t, e->ops->fork(e, twice, 2, &err) == -1 && strstr(err.msg, "slot 3 is the dst of fork 0 too"),
          "duplicate dst: %s", err.msg);
    psamp_fork_request too_long = {3, 0, 2};
    CHECK(t, e->ops->fork(e, &too_long, 1, &err) == -1 && strstr(err.msg, "keep 2 is outside [0, 1]"),
          "keep beyond the source: %s", err.msg);
    psamp_fork_request bad_slot = {-1, 0, 0};
    CHECK(t, e->ops->fork(e, &bad_slot, 1, &err) == -1 && strstr(err.msg, "slot -1 is outside"),
          "bad dst: %s", err.msg);
    psamp_step_request dup[2] = {test_req(2, 1.0f, 0, 0), test_req(2, 1.0f, 1, 0)};
    psamp_step_result outs[2];
    CHECK(t, e->ops->step(e, dup, 2, outs, &err) == -1 && strstr(err.msg, "slot 2 is also stepped by request 0"),
          "same slot twice in a step: %s", err.msg);
    CHECK(t, slot_len(e, 2) == 1, "refused step applied nothing");
    psamp_step_request nan_tau = test_req(2, NAN, 0, 0);
    CHECK(t, e->ops->step(e, &nan_tau, 1, outs, &err) == -1 && strstr(err.msg, "tau"), "NaN tau: %s", err.msg);
    psamp_engine_destroy(e);
}

/* The token of a draw depends on (seed, stream, counter) only, not on the batch around it. */
static void check_batch_independence(psamp_test_state *t, const toy_world *w) {
    enum { N = 16 };
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    if (psamp_engine_toy_create(w, N, 4, &e, &err) != 0) return;
    psamp_step_request batch[N];
    psamp_step_result together[N], alone;
    for (int i = 0; i < N; i++) batch[i] = test_req(i, 1.0f, (uint64_t)i, 0);
    CHECK(t, e->ops->step(e, batch, N, together, &err) == 0, "batch step");
    for (int i = N - 1; i >= 0; i--) {
        psamp_fork_request reset = {i, i, 0};
        e->ops->fork(e, &reset, 1, &err);
        e->ops->step(e, &batch[i], 1, &alone, &err);
        CHECK(t, alone.token == together[i].token && alone.logq == together[i].logq, "chain %d alone", i);
    }
    psamp_engine_destroy(e);
}

/* Whole sequences drawn at tau = 1 have the world's probabilities: P(aab...) etc. In the
 * EOS world P(b) = 0.3, P(cb) = 0.2, P(ab) = 0.15, P(aaaa) = 0.0625. */
static void check_sequence_frequencies(psamp_test_state *t, const toy_world *w) {
    enum { CHAINS = 20000 };
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    if (psamp_engine_toy_create(w, CHAINS, 4, &e, &err) != 0) return;
    psamp_step_request *reqs = malloc(CHAINS * sizeof *reqs);
    psamp_step_result *outs = malloc(CHAINS * sizeof *outs);
    int32_t *open = malloc(CHAINS * sizeof *open);
    if (!reqs || !outs || !open) {
        CHECK(t, 0, "out of memory");
        free(reqs), free(outs), free(open);
        psamp_engine_destroy(e);
        return;
    }
    int32_t n_open = CHAINS;
    for (int32_t i = 0; i < CHAINS; i++) open[i] = i;
    for (uint64_t step = 0; n_open > 0; step++) {
        for (int32_t k = 0; k < n_open; k++) reqs[k] = test_req(open[k], 1.0f, (uint64_t)open[k], step);
        CHECK(t, e->ops->step(e, reqs, n_open, outs, &err) == 0, "step %d: %s", (int)step, err.msg);
        int32_t kept = 0;
        for (int32_t k = 0; k < n_open; k++)
            if (!outs[k].ended) open[kept++] = open[k];
        n_open = kept;
    }
    double n_b = 0, n_cb = 0, n_ab = 0, n_aaaa = 0;
    for (int32_t i = 0; i < CHAINS; i++) {
        const int32_t *toks;
        int32_t len, ended;
        psamp_engine_toy_slot(e, i, &toks, &len, &ended, &err);
        n_b += len == 1 && toks[0] == 1;
        n_cb += len == 2 && toks[0] == 2;
        n_ab += len == 2 && toks[0] == 0;
        n_aaaa += len == 4 && toks[3] == 0;
    }
    /* Tolerances are 5 standard errors of a binomial frequency over 20,000 draws. */
    CHECK_NEAR(t, n_b / CHAINS, 0.3, 5 * sqrt(0.3 * 0.7 / CHAINS), "P(b)");
    CHECK_NEAR(t, n_cb / CHAINS, 0.2, 5 * sqrt(0.2 * 0.8 / CHAINS), "P(cb)");
    CHECK_NEAR(t, n_ab / CHAINS, 0.15, 5 * sqrt(0.15 * 0.85 / CHAINS), "P(ab)");
    CHECK_NEAR(t, n_aaaa / CHAINS, 0.0625, 5 * sqrt(0.0625 * 0.9375 / CHAINS), "P(aaaa)");
    free(reqs), free(outs), free(open);
    psamp_engine_destroy(e);
}

int main(void) {
    psamp_test_state t = {0, 0};
    toy_world *w = NULL;
    psamp_err err = {{0}};
    if (toy_world_parse(EOS_WORLD, sizeof EOS_WORLD - 1, "eos.json", &w, &err) != 0) {
        CHECK(&t, 0, "test world: %s", err.msg);
        return psamp_test_finish(&t, "test_engine_toy");
    }
    check_create_and_info(&t, w);
    check_step_values(&t, w);
    check_prefill(&t, w);
    check_fork(&t, w);
    check_batch_independence(&t, w);
    check_sequence_frequencies(&t, w);
    toy_world_free(w);
    return psamp_test_finish(&t, "test_engine_toy");
}
