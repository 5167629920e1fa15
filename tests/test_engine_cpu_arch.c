/* The CPU engine on Qwen2, Llama and Phi-3 checkpoints written by transformers
 * (tests/fixtures/arch_reference.json, made by make_arch_fixtures.py): RoPE frequencies as
 * transformers computes them; per-token log p within 1e-4 of transformers on every recorded
 * sequence (lengths 1..100) and their sums; greedy continuations token for token. Covers GQA
 * and MQA, tied and untied lm_head, bf16 and f16 storage, a sharded checkpoint, llama3 RoPE
 * and Phi-3 longrope beyond the original context.
 *
 * Phi-3: psamp scores with prefix conditionals (what generate() computes, `logp_prefix`),
 * never one long-factor pass over the whole sequence (`logp`); see decoder_forward_cpu.h.
 * A fork that takes a long-rotated cache back below the original context must rebuild it
 * with the short factors: checked by forking and decoding greedily. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_checkpoint.h"
#include "decoder_rope.h"
#include "engine_cpu_decoder.h"
#include "testlib.h"

#define LOGP_TOL 1e-4
#define MAX_TOKENS 256

static cJSON *read_json(const char *path) {
    size_t len;
    char *text = psamp_test_read_file(path, &len);
    cJSON *json = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    return json;
}

static int to_ints(const cJSON *array, int32_t *out, int max) {
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, array) if (n < max) out[n++] = (int32_t)v->valueint;
    return n;
}

static void check_rope(psamp_test_state *t, const decoder_config *c, const char *model, const cJSON *rope) {
    float inv[DECODER_MAX_ROPE_PAIRS];
    const char *keys[2] = {"inv_freq", "long_inv_freq"};
    for (int set = 0; set < 2; set++) {
        const cJSON *ref = cJSON_GetObjectItem(rope, keys[set]), *v;
        if (!ref) {
            CHECK(t, set == 1 && c->rope.type != ROPE_LONGROPE, "%s: reference lacks %s", model, keys[set]);
            continue;
        }
        decoder_rope_inv_freq(c, set, inv);
        int i = 0;
        cJSON_ArrayForEach(v, ref) {
            CHECK(t, i < c->head_dim / 2 && fabs(inv[i] - v->valuedouble) <= 1e-6 * v->valuedouble,
                  "%s: %s[%d] %.9g vs transformers %.9g", model, keys[set], i, i < c->head_dim / 2 ? inv[i] : 0.0,
                  v->valuedouble);
            i++;
        }
        CHECK(t, i == c->head_dim / 2, "%s: %d %s entries", model, i, keys[set]);
    }
    CHECK_NEAR(t, c->rope.attention_factor, cJSON_GetObjectItem(rope, "attention_factor")->valuedouble, 1e-12,
               "attention factor");
}

/* Every recorded sequence: per token and summed. Returns the largest per-token difference. */
static double check_sequences(psamp_test_state *t, psamp_engine *e, const char *model, const cJSON *seqs) {
    const cJSON *s;
    double worst = 0.0, worst_sum = 0.0;
    int count = 0, prefix = 0;
    cJSON_ArrayForEach(s, seqs) {
        int32_t tokens[MAX_TOKENS];
        float logp[MAX_TOKENS];
        int n = to_ints(cJSON_GetObjectItem(s, "tokens"), tokens, MAX_TOKENS);
        const cJSON *ref = cJSON_GetObjectItem(s, "logp_prefix");
        prefix += ref != NULL;
        if (!ref) ref = cJSON_GetObjectItem(s, "logp");
        psamp_err err = {{0}};
        int rc = e->ops->prefill(e, 0, tokens, n, 1.0f, logp, &err);
        CHECK(t, rc == 0, "%s: prefill of %d tokens: %s", model, n, err.msg);
        if (rc != 0) continue;
        double sum = 0.0, want_sum = 0.0;
        for (int i = 0; i < n; i++) {
            double want = cJSON_GetArrayItem(ref, i)->valuedouble, d = fabs(logp[i] - want);
            worst = d > worst ? d : worst;
            sum += logp[i];
            want_sum += want;
            CHECK(t, d <= LOGP_TOL, "%s: sequence of %d, token %d: log p %.7f vs transformers %.7f", model, n, i,
                  logp[i], want);
        }
        worst_sum = fabs(sum - want_sum) > worst_sum ? fabs(sum - want_sum) : worst_sum;
        CHECK(t, fabs(sum - want_sum) <= LOGP_TOL, "%s: sequence of %d: sum of log p %.7f vs transformers %.7f",
              model, n, sum, want_sum);
        count++;
    }
    CHECK(t, count == 8, "%s: 8 sequences recorded, got %d", model, count);
    printf("  %-26s %d sequences (%d prefix-conditional), max |dlogp| %.2e per token, %.2e per sum\n", model, count,
           prefix, worst, worst_sum);
    return worst;
}

static int is_eos(const decoder_config *c, int32_t token) {
    for (int32_t i = 0; i < c->n_eos; i++)
        if (c->eos_ids[i] == token) return 1;
    return 0;
}

/* Greedy decoding from slot's current state must give want[0..nw). */
static void greedy_from(psamp_test_state *t, psamp_engine *e, const decoder_config *c, const char *model, int32_t slot,
                        const int32_t *want, int nw, const char *what) {
    psamp_err err = {{0}};
    for (int i = 0; i < nw; i++) {
        psamp_step_request q = {slot, 0.0f, 11, 0, (uint64_t)i};
        psamp_step_result r;
        if (e->ops->step(e, &q, 1, &r, &err) != 0) {
            CHECK(t, 0, "%s: greedy step: %s", model, err.msg);
            return;
        }
        CHECK(t, r.token == want[i], "%s: %s, step %d: %d vs transformers %d", model, what, i, r.token, want[i]);
        CHECK(t, r.logq == 0.0f && r.logp < 0.0f, "%s: greedy logq 0, logp < 0", model);
        CHECK(t, r.ended == is_eos(c, r.token), "%s: ended iff one of the EOS ids", model);
        if (r.token != want[i]) return;
    }
}

static void check_greedy(psamp_test_state *t, psamp_engine *e, const decoder_config *c, const char *model,
                         const cJSON *runs) {
    const cJSON *g;
    int forked = 0;
    cJSON_ArrayForEach(g, runs) {
        int32_t prompt[MAX_TOKENS], want[MAX_TOKENS], full[MAX_TOKENS];
        int np = to_ints(cJSON_GetObjectItem(g, "prompt"), prompt, MAX_TOKENS);
        int nw = to_ints(cJSON_GetObjectItem(g, "continuation"), want, MAX_TOKENS);
        psamp_err err = {{0}};
        char what[64];
        snprintf(what, sizeof what, "greedy from a %d-token prompt", np);
        if (e->ops->prefill(e, 1, prompt, np, 1.0f, NULL, &err) != 0) {
            CHECK(t, 0, "%s: greedy prefill: %s", model, err.msg);
            continue;
        }
        greedy_from(t, e, c, model, 1, want, nw, what);
        /* The same run again after a fork from a longer state: slot 0 holds the prompt and the
         * whole continuation (past the original context for phi3 when np + nw > 32), forked
         * back to the prompt; a cache rotated with the long factors must be rebuilt. */
        memcpy(full, prompt, (size_t)np * sizeof *full);
        memcpy(full + np, want, (size_t)nw * sizeof *full);
        if (e->ops->prefill(e, 0, full, np + nw, 1.0f, NULL, &err) != 0) {
            CHECK(t, 0, "%s: prefill: %s", model, err.msg);
            continue;
        }
        psamp_fork_request fk = {1, 0, np};
        if (e->ops->fork(e, &fk, 1, &err) != 0) {
            CHECK(t, 0, "%s: fork: %s", model, err.msg);
            continue;
        }
        snprintf(what, sizeof what, "greedy after a fork back to %d of %d tokens", np, np + nw);
        greedy_from(t, e, c, model, 1, want, nw, what);
        forked += c->rope.type == ROPE_LONGROPE && np + nw > c->rope.original_max_positions &&
                  np <= c->rope.original_max_positions;
    }
    if (c->rope.type == ROPE_LONGROPE)
        CHECK(t, forked >= 2, "%s: at least two forks from past the original context back below it (%d)", model,
              forked);
}

int main(void) {
    psamp_test_state t = {0, 0};
    cJSON *ref = read_json(PSAMP_FIXTURES "/arch_reference.json");
    if (!ref) {
        fprintf(stderr, "cannot read %s\n", PSAMP_FIXTURES "/arch_reference.json");
        return 1;
    }
    const cJSON *m;
    int models = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(ref, "models")) {
        const char *name = cJSON_GetObjectItem(m, "name")->valuestring;
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, name);
        decoder_checkpoint ck;
        psamp_engine *e = NULL;
        psamp_err err = {{0}};
        psamp_cpu_options opts = {2};
        if (decoder_checkpoint_open(&ck, dir, &err) != 0) {
            CHECK(&t, 0, "%s: %s", name, err.msg);
            continue;
        }
        decoder_config cfg = ck.cfg;
        check_rope(&t, &cfg, name, cJSON_GetObjectItem(m, "rope"));
        if (psamp_engine_cpu_decoder_create(&ck, 2, cfg.max_positions, &opts, &e, &err) != 0) {
            CHECK(&t, 0, "%s: %s", name, err.msg);
            decoder_checkpoint_close(&ck);
            continue;
        }
        decoder_checkpoint_close(&ck); /* the engine keeps its own fp32 copy */
        models++;
        check_sequences(&t, e, name, cJSON_GetObjectItem(m, "sequences"));
        check_greedy(&t, e, &cfg, name, cJSON_GetObjectItem(m, "greedy"));
        psamp_engine_destroy(e);
    }
    CHECK(&t, models == 6, "six reference models, got %d", models);
    cJSON_Delete(ref);
    return psamp_test_finish(&t, "test_engine_cpu_arch");
}
