/* The CPU engine against Hugging Face transformers (tests/fixtures/opt_reference.json, made
 * by make_opt_fixtures.py): per-token log p within 1e-4 of HF's on every recorded sequence,
 * and HF's greedy continuations token for token, for a pre-LN model, a post-LN model with
 * project_in/out, and the pre-LN model stored as F16 and BF16. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cpu.h"
#include "engine_testlib.h"
#include "testlib.h"

#define LOGP_TOL 1e-4
#define MAX_TOKENS 128

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

static void check_sequences(psamp_test_state *t, psamp_engine *e, const char *model,
                            const cJSON *seqs) {
    const cJSON *s;
    double worst = 0.0;
    int count = 0;
    cJSON_ArrayForEach(s, seqs) {
        int32_t tokens[MAX_TOKENS];
        float logp[MAX_TOKENS];
        int n = to_ints(cJSON_GetObjectItem(s, "tokens"), tokens, MAX_TOKENS);
        const cJSON *ref = cJSON_GetObjectItem(s, "logp");
        psamp_err err = {{0}};
        int rc = e->ops->prefill(e, 0, tokens, n, 1.0f, logp, &err);
        CHECK(t, rc == 0, "%s: prefill of %d tokens: %s", model, n, err.msg);
        if (rc != 0) continue;
        for (int i = 0; i < n; i++) {
            double want = cJSON_GetArrayItem(ref, i)->valuedouble, d = fabs(logp[i] - want);
            if (d > worst) worst = d;
            CHECK(t, d <= LOGP_TOL, "%s: sequence of %d, token %d: log p %.7f vs HF %.7f", model, n,
                  i, logp[i], want);
        }
        count++;
    }
    CHECK(t, count >= 5, "%s: at least 5 sequences recorded, got %d", model, count);
    printf("  %-18s %d sequences, max |log p - HF| = %.2e\n", model, count, worst);
}

static void check_greedy(psamp_test_state *t, psamp_engine *e, const char *model,
                         const cJSON *runs) {
    const cJSON *g;
    cJSON_ArrayForEach(g, runs) {
        int32_t prompt[MAX_TOKENS], want[MAX_TOKENS];
        int np = to_ints(cJSON_GetObjectItem(g, "prompt"), prompt, MAX_TOKENS);
        int nw = to_ints(cJSON_GetObjectItem(g, "continuation"), want, MAX_TOKENS);
        psamp_err err = {{0}};
        if (e->ops->prefill(e, 1, prompt, np, 1.0f, NULL, &err) != 0) {
            CHECK(t, 0, "%s: greedy prefill: %s", model, err.msg);
            continue;
        }
        int same = 1;
        for (int i = 0; i < nw && same; i++) {
            psamp_step_request q = {1, 0.0f, 11, 0, (uint64_t)i};
            psamp_step_result r;
            if (e->ops->step(e, &q, 1, &r, &err) != 0) {
                CHECK(t, 0, "%s: greedy step: %s", model, err.msg);
                break;
            }
            same = r.token == want[i];
            CHECK(t, same, "%s: greedy from a %d-token prompt, step %d: %d vs HF %d", model, np, i,
                  r.token, want[i]);
            CHECK(t, r.logq == 0.0f && r.logp < 0.0f, "%s: greedy logq 0, logp < 0", model);
            CHECK(t, r.ended == (r.token == 2), "%s: ended iff EOS", model);
        }
    }
}

int main(void) {
    psamp_test_state t = {0, 0};
    cJSON *ref = read_json(PSAMP_FIXTURES "/opt_reference.json");
    if (!ref) {
        fprintf(stderr, "cannot read %s\n", PSAMP_FIXTURES "/opt_reference.json");
        return 1;
    }
    const cJSON *m;
    int models = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(ref, "models")) {
        const char *name = cJSON_GetObjectItem(m, "name")->valuestring;
        opt_checkpoint ck;
        psamp_engine *e = NULL;
        psamp_err err = {{0}};
        psamp_cpu_options opts = {2};
        if (test_open_fixture(name, &ck, &err) != 0 ||
            psamp_engine_cpu_create(&ck, 2, ck.cfg.max_positions, &opts, &e, &err) != 0) {
            CHECK(&t, 0, "%s: %s", name, err.msg);
            opt_checkpoint_close(&ck);
            continue;
        }
        opt_checkpoint_close(&ck); /* the engine keeps its own fp32 copy */
        models++;
        check_sequences(&t, e, name, cJSON_GetObjectItem(m, "sequences"));
        check_greedy(&t, e, name, cJSON_GetObjectItem(m, "greedy"));
        psamp_engine_destroy(e);
    }
    CHECK(&t, models == 4, "four reference models, got %d", models);
    cJSON_Delete(ref);
    return psamp_test_finish(&t, "test_engine_cpu_hf");
}
