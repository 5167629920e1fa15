/* H2's tracker: hand-made decisions land in the right positions, bins and (block, step)
 * cells with the right totals; trace lines parse, and broken ones are refused with the
 * file, line and field; a live toy run through the sampler hook matches its samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_toy.h"
#include "h2.h"
#include "sampler.h"
#include "testlib.h"

static h2_step step(uint64_t chain, int32_t block, int32_t st, int32_t idx, int32_t len_cur, int32_t len_prop,
                    int accepted, double prefix, double cur, double prop) {
    h2_step s;
    memset(&s, 0, sizeof s);
    s.chain = chain;
    s.block = block;
    s.step = st;
    s.idx = idx;
    s.len_current = len_cur;
    s.len_proposal = len_prop;
    s.accepted = accepted;
    s.logp_prefix = prefix;
    s.logp_current = cur;
    s.logp_proposal = prop;
    return s;
}

static void test_tracker(psamp_test_state *t) {
    h2_tracker tr;
    psamp_err err;
    CHECK(t, h2_tracker_init(&tr, 4, &err) == 0, "init: %s", err.msg);
    h2_step s[4] = {step(0, 0, 0, 0, 4, 3, 1, 0.0, -4.0, -2.0),  /* bin 0, gain +2 */
                    step(1, 0, 0, 3, 4, 4, 0, -3.0, -1.0, -5.0), /* bin 3 */
                    step(0, 0, 1, 2, 3, 3, 1, -1.0, -1.0, -0.5), /* bin 2 (2*4/3), gain +0.5 */
                    step(0, 1, 0, 1, 6, 6, 0, -1.0, -4.0, -3.0)}; /* bin 0 (4/6) */
    for (int i = 0; i < 4; i++) CHECK(t, h2_tracker_add(&tr, &s[i], &err) == 0, "add %d: %s", i, err.msg);
    CHECK(t, tr.proposals == 4 && tr.accepted == 2 && tr.chains == 2, "totals %lld %lld %lld", (long long)tr.proposals,
          (long long)tr.accepted, (long long)tr.chains);
    CHECK(t, tr.proposal_tokens == 3 + 1 + 1 + 5, "proposal tokens %lld", (long long)tr.proposal_tokens);
    CHECK(t, tr.n_pos == 4 && tr.pos[0].accepted == 1 && tr.pos[3].proposals == 1 && tr.pos[3].accepted == 0,
          "by position");
    CHECK_NEAR(t, tr.pos[0].gain, 2.0, 1e-12, "gain at 0");
    CHECK(t, tr.bins[0].proposals == 2 && tr.bins[1].proposals == 0 && tr.bins[2].accepted == 1 &&
                 tr.bins[3].proposals == 1,
          "relative bins %lld %lld %lld %lld", (long long)tr.bins[0].proposals, (long long)tr.bins[1].proposals,
          (long long)tr.bins[2].proposals, (long long)tr.bins[3].proposals);
    CHECK(t, tr.n_blocks == 2 && tr.blocks[0].n_steps == 2 && tr.blocks[1].n_steps == 1, "cells");
    const h2_cell *c = &tr.blocks[0].cells[0];
    CHECK(t, c->n == 2 && c->accepted == 1, "cell (0,0)");
    CHECK_NEAR(t, c->logp_before, -4.0 + -4.0, 1e-12, "cell (0,0) log p before");
    CHECK_NEAR(t, c->logp_after, -2.0 + -4.0, 1e-12, "cell (0,0) log p after");
    CHECK_NEAR(t, c->len_after, 3 + 4, 1e-12, "cell (0,0) length after");
    CHECK(t, tr.n_traj == 2 && tr.traj[0].chain == 0 && tr.traj[0].n == 3, "trajectory of chain 0");
    CHECK_NEAR(t, tr.traj[0].logp[1], -1.5, 1e-12, "chain 0 after its second decision");
    h2_step bad = step(0, 0, 0, 4, 4, 5, 0, 0, 0, 0);
    CHECK(t, h2_tracker_add(&tr, &bad, &err) != 0 && strstr(err.msg, "idx 4 is outside"), "idx = len: %s", err.msg);
    bad = step(0, 0, 0, 2, 4, 2, 0, 0, 0, 0);
    CHECK(t, h2_tracker_add(&tr, &bad, &err) != 0 && strstr(err.msg, "len_proposal"), "empty proposal: %s", err.msg);
    bad = step(0, H2_MAX_BLOCKS, 0, 0, 1, 1, 0, 0, 0, 0);
    CHECK(t, h2_tracker_add(&tr, &bad, &err) != 0 && strstr(err.msg, "block"), "huge block: %s", err.msg);
    h2_tracker_free(&tr);
    CHECK(t, h2_tracker_init(&tr, 0, &err) != 0 && strstr(err.msg, "--bins"), "zero bins");
}

static void test_lines(psamp_test_state *t) {
    static const char GOOD[] = "{\"chain\":3,\"block\":1,\"step\":2,\"idx\":1,\"len_current\":4,\"len_proposal\":3,"
                               "\"logp_prefix\":-0.5,\"logp_current\":-2,\"logp_proposal\":-1,\"log_r\":1,"
                               "\"accepted\":true,\"suffix_current\":\"x\"}";
    h2_step s;
    psamp_err err;
    CHECK(t, h2_parse_trace_line(GOOD, "t:1", &s, &err) == 0, "good line: %s", err.msg);
    CHECK(t, s.chain == 3 && s.block == 1 && s.step == 2 && s.idx == 1 && s.len_current == 4 && s.len_proposal == 3 &&
                 s.accepted == 1 && s.logp_prefix == -0.5 && s.logp_current == -2 && s.logp_proposal == -1,
          "fields");
    static const struct {
        const char *line, *expect;
    } broken[] = {
        {"{\"chain\":1", "t:1: not a JSON object"},
        {"[1]", "t:1: not a JSON object"},
        {"{\"block\":0}", "t:1: chain is missing"},
        {"{\"chain\":-1}", "t:1: chain must be a non-negative integer"},
        {"{\"chain\":1e20}", "t:1: chain must be a non-negative integer below 2^64"},
        {"{\"chain\":18446744073709551616}", "t:1: chain must be a non-negative integer below 2^64"},
        {"{\"chain\":0,\"suffix_current\":\"a\\u0000b\"}", "t:1: a JSON string holds U+0000"},
        {"{\"chain\":0,\"block\":\"0\"}", "t:1: block must be a finite number"},
        {"{\"chain\":0,\"block\":0.5}", "t:1: block must be a non-negative integer"},
        {"{\"chain\":0,\"block\":0,\"step\":0,\"idx\":0,\"len_current\":1,\"len_proposal\":1,\"logp_current\":null}",
         "t:1: logp_current must be a finite number"},
        {"{\"chain\":0,\"block\":0,\"step\":0,\"idx\":0,\"len_current\":1,\"len_proposal\":1,\"logp_current\":0,"
         "\"logp_proposal\":0,\"accepted\":true}",
         "t:1: logp_prefix is missing"},
        {"{\"chain\":0,\"block\":0,\"step\":0,\"idx\":0,\"len_current\":1,\"len_proposal\":1,\"logp_current\":0,"
         "\"logp_proposal\":0,\"logp_prefix\":0,\"accepted\":1}",
         "t:1: accepted must be true or false"},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        CHECK(t, h2_parse_trace_line(broken[i].line, "t:1", &s, &err) != 0, "broken %zu accepted", i);
        CHECK(t, strstr(err.msg, broken[i].expect) != NULL, "broken %zu: '%s' lacks '%s'", i, err.msg, broken[i].expect);
    }
    /* A file: the error names its line; blank lines are skipped; an empty trace is refused. */
    char path[] = "/tmp/psamp_test_h2_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(t, f != NULL, "temporary file");
    if (!f) return;
    fprintf(f, "%s\n\n%s\n{\"chain\":0,\"block\":0,\"step\":0,\"idx\":5,\"len_current\":4,\"len_proposal\":6,"
               "\"logp_prefix\":0,\"logp_current\":0,\"logp_proposal\":0,\"accepted\":false}\n", GOOD, GOOD);
    fclose(f);
    h2_tracker tr;
    CHECK(t, h2_tracker_init(&tr, 10, &err) == 0, "init");
    CHECK(t, h2_read_trace(path, &tr, &err) != 0 && strstr(err.msg, ":4: idx 5 is outside"), "bad idx on line 4: %s",
          err.msg);
    h2_tracker_free(&tr);
    f = fopen(path, "w");
    if (f) fclose(f);
    CHECK(t, h2_tracker_init(&tr, 10, &err) == 0, "init");
    CHECK(t, h2_read_trace(path, &tr, &err) != 0 && strstr(err.msg, "no MH steps"), "empty trace: %s", err.msg);
    h2_tracker_free(&tr);
    remove(path);
    CHECK(t, h2_tracker_init(&tr, 10, &err) == 0 && h2_read_trace("/nonexistent/t.jsonl", &tr, &err) != 0 &&
                 strstr(err.msg, "cannot open"),
          "missing file");
    h2_tracker_free(&tr);
}

/* The hook's records carry the prefix: the tracker's last cell must hold the chains' final
 * mean log p and length exactly as the sampler reports them. */
static int feed(void *ctx, const psamp_mh_record *r, psamp_err *err) {
    h2_step s = {r->chain, r->block, r->step, r->idx, r->len_current, r->len_proposal, r->accepted,
                 r->logp_prefix, r->logp_current, r->logp_proposal, 0, 0, 0, 0, 0};
    return h2_tracker_add(ctx, &s, err);
}

static void test_live(psamp_test_state *t) {
    psamp_err err;
    psamp_engine *e = NULL;
    h2_tracker tr;
    psamp_run_result res;
    toy_world *w = psamp_test_toy_world(t, "eos_world.json");
    if (!w) return;
    psamp_sampler_config cfg = psamp_sampler_defaults();
    cfg.alpha = 2.0;
    cfg.block_size = 2;
    cfg.mcmc_steps = 5;
    cfg.max_new_tokens = w->length;
    cfg.n_chains = 50;
    cfg.seed = 9;
    CHECK(t, h2_tracker_init(&tr, 10, &err) == 0, "init");
    psamp_sampler_hooks hooks = {feed, NULL, &tr, NULL};
    CHECK(t, psamp_engine_toy_create(w, psamp_sampler_slots_needed(&cfg), w->length, &e, &err) == 0, "engine");
    if (e && psamp_sample(e, &cfg, NULL, 0, &hooks, &res, &err) == 0) {
        double lp = 0.0, len = 0.0;
        for (int32_t c = 0; c < res.n_chains; c++) {
            lp += res.chains[c].logp_sum;
            len += res.chains[c].n_tokens;
        }
        const h2_block *last = &tr.blocks[tr.n_blocks - 1];
        const h2_cell *cell = &last->cells[last->n_steps - 1];
        CHECK(t, tr.n_blocks == 3 && last->n_steps == 5 && cell->n == 50, "3 blocks of 5 steps for 50 chains");
        CHECK_NEAR(t, cell->logp_after / cell->n, lp / res.n_chains, 1e-9, "final mean log p from the records");
        CHECK_NEAR(t, cell->len_after / cell->n, len / res.n_chains, 1e-12, "final mean length from the records");
        psamp_run_result_free(&res);
    } else {
        CHECK(t, 0, "run: %s", err.msg);
    }
    h2_tracker_free(&tr);
    psamp_engine_destroy(e);
    toy_world_free(w);
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_tracker(&t);
    test_lines(&t);
    test_live(&t);
    return psamp_test_finish(&t, "test_h2");
}
