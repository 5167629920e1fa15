/* psamp_sample_prompts: many prompts in one batch give, prompt by prompt, what psamp_sample
 * gives for each prompt alone (the toy engine's rows do not depend on the batch, so token for
 * token), with every method, with chains queued through fewer lanes than jobs (lanes then
 * pass from one prompt's chains to the next's), and after a stop (each prompt keeps its
 * finished chains), with each prompt's own Philox key. The batch takes fewer engine steps
 * than the runs one by one; bad
 * batches fail with one line. */
#include <stdlib.h>
#include <string.h>

#include "engine_toy.h"
#include "sampler.h"
#include "testlib.h"
#include "toy_world.h"

#define N_PROMPTS 4
#define T_NEW 4
#define MAX_PROMPT 2

/* eos_world's tokens: a = 0, b = 1, c = 2, '.' = 3. The prompts start in different states. */
static const int32_t PROMPT_TOKENS[N_PROMPTS][MAX_PROMPT] = {{0, 0}, {0, 0}, {2, 0}, {0, 1}};
static const int32_t PROMPT_LENS[N_PROMPTS] = {0, 1, 1, 2};

static psamp_sampler_config base_config(psamp_method method) {
    psamp_sampler_config cfg = psamp_sampler_defaults();
    cfg.method = method;
    cfg.alpha = 2.0;
    cfg.max_new_tokens = T_NEW;
    cfg.block_size = 2;
    cfg.mcmc_steps = 6;
    cfg.best_of = 3;
    cfg.temperature = 1.0;
    cfg.n_chains = 16;
    cfg.seed = 77;
    return cfg;
}

static void prompts_of(psamp_prompt *p) {
    for (int i = 0; i < N_PROMPTS; i++) p[i] = (psamp_prompt){PROMPT_TOKENS[i], PROMPT_LENS[i], 77};
}

/* A toy engine with exactly the slots the run needs (so lanes are reused when chains queue). */
static int run_batch(const toy_world *w, const psamp_sampler_config *cfg, const psamp_prompt *prompts, int32_t n,
                     const psamp_sampler_hooks *hooks, psamp_run_result *out, psamp_err *err) {
    psamp_engine *e = NULL;
    int rc = psamp_engine_toy_create(w, psamp_sampler_slots_needed_prompts(cfg, n), MAX_PROMPT + T_NEW, &e, err);
    if (rc == 0) rc = psamp_sample_prompts(e, cfg, prompts, n, hooks, out, err);
    psamp_engine_destroy(e);
    return rc;
}

static int same_chain(const psamp_chain_result *a, const psamp_chain_result *b) {
    return a->chain == b->chain && a->n_tokens == b->n_tokens && a->ended == b->ended &&
           memcmp(a->tokens, b->tokens, sizeof(int32_t) * (size_t)a->n_tokens) == 0 && a->logp_sum == b->logp_sum &&
           a->tokens_decoded == b->tokens_decoded && a->proposals == b->proposals && a->accepted == b->accepted;
}

/* Each prompt alone, as the reference. */
static int run_alone(psamp_test_state *t, const toy_world *w, const psamp_sampler_config *cfg, psamp_run_result *alone,
                     int64_t *steps) {
    psamp_prompt prompts[N_PROMPTS];
    psamp_err err = {{0}};
    prompts_of(prompts);
    *steps = 0;
    for (int p = 0; p < N_PROMPTS; p++) {
        if (run_batch(w, cfg, &prompts[p], 1, NULL, &alone[p], &err) != 0) {
            CHECK(t, 0, "%s, prompt %d alone: %s", psamp_method_name(cfg->method), p, err.msg);
            for (int q = 0; q < p; q++) psamp_run_result_free(&alone[q]);
            return -1;
        }
        *steps += alone[p].engine_steps;
    }
    return 0;
}

static void test_equal_to_alone(psamp_test_state *t, const toy_world *w) {
    static const psamp_method methods[] = {PSAMP_METHOD_POWER, PSAMP_METHOD_MAXSWAP, PSAMP_METHOD_TEMP,
                                           PSAMP_METHOD_GREEDY, PSAMP_METHOD_BESTOFN};
    static const int32_t actives[] = {0, 1, 7, 20};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        psamp_sampler_config cfg = base_config(methods[m]);
        const char *name = psamp_method_name(cfg.method);
        psamp_run_result alone[N_PROMPTS];
        int64_t alone_steps;
        if (run_alone(t, w, &cfg, alone, &alone_steps) != 0) continue;
        int differ = 0;
        for (int32_t c = 0; c < cfg.n_chains; c++) differ += !same_chain(&alone[1].chains[c], &alone[2].chains[c]);
        CHECK(t, cfg.method == PSAMP_METHOD_GREEDY || differ > 0, "%s: prompts 1 and 2 gave the same chains", name);
        for (size_t a = 0; a < sizeof actives / sizeof actives[0]; a++) {
            psamp_sampler_config q = cfg;
            psamp_prompt prompts[N_PROMPTS];
            psamp_run_result out[N_PROMPTS];
            psamp_err err = {{0}};
            q.max_active = actives[a];
            prompts_of(prompts);
            const int32_t per = cfg.method == PSAMP_METHOD_BESTOFN ? 3
                                : cfg.method == PSAMP_METHOD_POWER || cfg.method == PSAMP_METHOD_MAXSWAP ? 2 : 1;
            /* greedy decodes one chain per prompt and copies it */
            const int32_t decoded = N_PROMPTS * (cfg.method == PSAMP_METHOD_GREEDY ? 1 : cfg.n_chains);
            const int32_t lanes = actives[a] && actives[a] < decoded ? actives[a] : decoded;
            CHECK(t, psamp_sampler_slots_needed_prompts(&q, N_PROMPTS) == N_PROMPTS + lanes * per,
                  "%s, %d active: %d slots", name, actives[a], psamp_sampler_slots_needed_prompts(&q, N_PROMPTS));
            if (run_batch(w, &q, prompts, N_PROMPTS, NULL, out, &err) != 0) {
                CHECK(t, 0, "%s, %d active: batch: %s", name, actives[a], err.msg);
                continue;
            }
            int same = 1;
            for (int p = 0; p < N_PROMPTS; p++) {
                same &= out[p].n_chains == cfg.n_chains && out[p].n_planned == cfg.n_chains && !out[p].stopped;
                for (int32_t c = 0; same && c < cfg.n_chains; c++) same = same_chain(&out[p].chains[c], &alone[p].chains[c]);
            }
            CHECK(t, same, "%s, %d active: the batch differs from the prompts run alone", name, actives[a]);
            /* The steps are counted once, in out[0]; all at once, the batch takes no more steps
             * than the longest prompt alone would, and fewer than all of them in turn. */
            CHECK(t, out[1].engine_steps == 0 && out[0].engine_steps > 0, "%s: steps not counted once in out[0]", name);
            if (actives[a] == 0)
                CHECK(t, out[0].engine_steps < alone_steps, "%s: batch took %lld steps, alone %lld in all", name,
                      (long long)out[0].engine_steps, (long long)alone_steps);
            for (int p = 0; p < N_PROMPTS; p++) psamp_run_result_free(&out[p]);
        }
        for (int p = 0; p < N_PROMPTS; p++) psamp_run_result_free(&alone[p]);
    }
}

/* Raises the stop flag after `after` MH decisions. */
typedef struct {
    int decisions, after;
    volatile sig_atomic_t stop;
} stopper;

static int count_decision(void *ctx, const psamp_mh_record *rec, psamp_err *err) {
    (void)rec;
    (void)err;
    stopper *s = ctx;
    if (++s->decisions >= s->after) s->stop = 1;
    return 0;
}

static void test_stop(psamp_test_state *t, const toy_world *w) {
    psamp_sampler_config cfg = base_config(PSAMP_METHOD_POWER);
    cfg.max_active = 10; /* later prompts' chains are still queued when the stop comes */
    psamp_run_result alone[N_PROMPTS], out[N_PROMPTS];
    int64_t steps;
    if (run_alone(t, w, &cfg, alone, &steps) != 0) return;
    stopper s = {0, 400, 0};
    psamp_sampler_hooks hooks = {count_decision, NULL, &s, &s.stop};
    psamp_prompt prompts[N_PROMPTS];
    psamp_err err = {{0}};
    prompts_of(prompts);
    const int rc = run_batch(w, &cfg, prompts, N_PROMPTS, &hooks, out, &err);
    CHECK(t, rc == PSAMP_SAMPLE_STOPPED && strstr(err.msg, "stopped after"), "stop: rc %d (%s)", rc, err.msg);
    if (rc != PSAMP_SAMPLE_STOPPED) {
        for (int p = 0; p < N_PROMPTS; p++) psamp_run_result_free(&alone[p]);
        return;
    }
    int32_t kept = 0;
    int in_order = 1, same = 1;
    for (int p = 0; p < N_PROMPTS; p++) {
        kept += out[p].n_chains;
        in_order &= out[p].stopped == 1 && out[p].n_planned == cfg.n_chains;
        for (int32_t i = 0; i < out[p].n_chains; i++) {
            const psamp_chain_result *ch = &out[p].chains[i];
            in_order &= i == 0 || ch->chain > out[p].chains[i - 1].chain;
            same &= ch->chain < (uint64_t)cfg.n_chains && same_chain(ch, &alone[p].chains[ch->chain]);
        }
    }
    CHECK(t, kept > 0 && kept < N_PROMPTS * cfg.n_chains, "stop kept %d of %d chains", kept, N_PROMPTS * cfg.n_chains);
    CHECK(t, out[N_PROMPTS - 1].n_chains < cfg.n_chains, "the last prompt's chains were all finished before the stop");
    CHECK(t, in_order, "after a stop, each prompt's chains are not in chain order or not marked stopped");
    CHECK(t, same, "after a stop, a kept chain differs from its run alone");
    for (int p = 0; p < N_PROMPTS; p++) {
        psamp_run_result_free(&out[p]);
        psamp_run_result_free(&alone[p]);
    }
}

/* Each prompt's chains draw with its own key: the same prompt twice with keys 5 and 6 gives
 * the runs alone with seed 5 and seed 6 (which differ). */
static void test_seeds(psamp_test_state *t, const toy_world *w) {
    psamp_sampler_config cfg = base_config(PSAMP_METHOD_POWER);
    psamp_prompt prompts[2] = {{PROMPT_TOKENS[1], 1, 5}, {PROMPT_TOKENS[1], 1, 6}};
    psamp_run_result out[2], alone[2];
    psamp_err err = {{0}};
    if (run_batch(w, &cfg, prompts, 2, NULL, out, &err) != 0) {
        CHECK(t, 0, "seeds: batch: %s", err.msg);
        return;
    }
    int same = 1, differ = 0;
    for (int p = 0; p < 2; p++) {
        psamp_sampler_config one = cfg;
        one.seed = prompts[p].seed;
        if (run_batch(w, &one, &prompts[p], 1, NULL, &alone[p], &err) != 0) {
            CHECK(t, 0, "seeds: alone: %s", err.msg);
            for (int q = 0; q < 2; q++) psamp_run_result_free(&out[q]);
            if (p == 1) psamp_run_result_free(&alone[0]);
            return;
        }
        for (int32_t c = 0; c < cfg.n_chains; c++) same &= same_chain(&out[p].chains[c], &alone[p].chains[c]);
    }
    for (int32_t c = 0; c < cfg.n_chains; c++) differ += !same_chain(&out[0].chains[c], &out[1].chains[c]);
    CHECK(t, same, "a prompt's chains in the batch differ from its run alone with its seed");
    CHECK(t, differ > 0, "keys 5 and 6 gave the same chains");
    for (int p = 0; p < 2; p++) {
        psamp_run_result_free(&out[p]);
        psamp_run_result_free(&alone[p]);
    }
}

static void test_errors(psamp_test_state *t, const toy_world *w) {
    psamp_sampler_config cfg = base_config(PSAMP_METHOD_TEMP);
    psamp_prompt prompts[N_PROMPTS];
    psamp_run_result out[N_PROMPTS];
    psamp_engine *e = NULL;
    psamp_err err = {{0}};
    prompts_of(prompts);
    if (psamp_engine_toy_create(w, psamp_sampler_slots_needed_prompts(&cfg, 2), MAX_PROMPT + T_NEW, &e, &err) != 0) {
        CHECK(t, 0, "engine: %s", err.msg);
        return;
    }
    CHECK(t, psamp_sample_prompts(e, &cfg, prompts, 0, NULL, out, &err) == -1 && strstr(err.msg, "at least one prompt"),
          "no prompts: %s", err.msg);
    CHECK(t, psamp_sample_prompts(e, &cfg, prompts, 3, NULL, out, &err) == -1 && strstr(err.msg, "engine slots"),
          "three prompts in two prompts' slots: %s", err.msg);
    cfg.max_new_tokens = T_NEW + 1; /* prompt 3 (2 tokens) + 5 > the engine's 6 */
    CHECK(t, psamp_sample_prompts(e, &cfg, prompts + 2, 2, NULL, out, &err) == -1 && strstr(err.msg, "of a batch") &&
                 strstr(err.msg, "exceeds"),
          "a prompt of the batch too long: %s", err.msg);
    CHECK(t, out[0].chains == NULL && out[1].chains == NULL, "a failed batch left results allocated");
    psamp_engine_destroy(e);
}

int main(void) {
    psamp_test_state t = {0, 0};
    toy_world *eos = psamp_test_toy_world(&t, "eos_world.json");
    if (!eos) return psamp_test_finish(&t, "test_sampler_prompts");
    test_equal_to_alone(&t, eos);
    test_stop(&t, eos);
    test_seeds(&t, eos);
    test_errors(&t, eos);
    toy_world_free(eos);
    return psamp_test_finish(&t, "test_sampler_prompts");
}
