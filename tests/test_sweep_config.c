/* Sweep configs, points and shards: every broken config gets its one-line error naming the
 * key; grids expand in order with repeats dropped and stable ids; token estimates follow
 * the formula; shard specs are checked and shards are disjoint, complete and balanced. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_config.h"
#include "sweep_points.h"
#include "sweep_shard.h"
#include "testlib.h"

#define TRAP PSAMP_SOURCE_DIR "/experiments/toy/greedy_trap.json"
#define EOSW PSAMP_SOURCE_DIR "/experiments/toy/eos_world.json"

static int parse(const char *json, sweep_config *cfg, psamp_err *err) {
    return sweep_config_parse(json, "sweep.json", cfg, err);
}

/* The config fails with a message containing `want`, on one line. */
static void expect_bad(psamp_test_state *t, const char *json, const char *want) {
    sweep_config cfg;
    psamp_err err = {{0}};
    int rc = parse(json, &cfg, &err);
    CHECK(t, rc == -1, "accepted a bad config: %s", json);
    CHECK(t, strstr(err.msg, want) != NULL, "error '%s' lacks '%s'", err.msg, want);
    CHECK(t, strchr(err.msg, '\n') == NULL, "error is not one line: %s", err.msg);
    CHECK(t, strncmp(err.msg, "sweep.json: ", 12) == 0, "error does not name the file: %s", err.msg);
    sweep_config_free(&cfg);
}

static void test_bad_configs(psamp_test_state *t) {
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alphas\": 2}", "unknown key 'alphas'");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alpha\": []}", "alpha: empty list");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alpha\": [1, 2, -1]}", "alpha[2]: must be > 0");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alpha\": 0}", "alpha: must be > 0");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alpha\": \"4\"}", "alpha: expected a number");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"chains\": [10, 2.5]}", "chains[1]: must be an integer");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"chains\": 0}", "chains: must be an integer from 1");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"chains\": 100000000}", "chains: must be an integer from 1 to 1048576");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"mcmc_steps\": -1}", "mcmc_steps: must be an integer from 0");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"seed\": -3}", "seed: must be an integer from 0");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"method\": [\"power\", \"beam\"]}", "method[1]: unknown method 'beam'");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"block_size\": 2, \"blocks\": 4}", "give one of them");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"backend\": \"tpu\"}", "backend: unknown value 'tpu'");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"backend\": [\"cpu\"]}", "backend: a fixed setting");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"threads\": [1, 2]}", "threads: a fixed setting");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"alpha\": 1, \"alpha\": 2}", "alpha is given twice");
    expect_bad(t, "{\"alpha\": 2}", "model: missing");
    expect_bad(t, "{\"model\": []}", "model: empty list");
    expect_bad(t, "{\"model\": [\"" TRAP "\", \"/no/such/world.json\"]}", "model[1]: '/no/such/world.json' does not exist");
    expect_bad(t, "{\"model\": \"" TRAP "\", \"prompt\": 3}", "prompt: expected a string");
    expect_bad(t, "[1, 2]", "must be a JSON object");
    expect_bad(t, "{\"model\": ", "not valid JSON");
}

/* Toy worlds as the CLI would describe them: the greedy trap has 8 positions. */
static sweep_model_info *toy_infos(const sweep_config *cfg) {
    int n = cfg->axes[SWEEP_MODEL].n, np = cfg->axes[SWEEP_PROMPT].n;
    sweep_model_info *infos = calloc((size_t)n, sizeof *infos);
    for (int i = 0; infos && i < n; i++) {
        infos[i].max_len = strstr(cfg->model_paths[i], "eos") ? 6 : 8;
        infos[i].is_toy = 1;
        infos[i].n_prompt = calloc((size_t)np, sizeof(int32_t));
        for (int j = 0; infos[i].n_prompt && j < np; j++) infos[i].n_prompt[j] = (int32_t)strlen(cfg->axes[SWEEP_PROMPT].str[j]);
    }
    return infos;
}

static void free_infos(sweep_model_info *infos, int n) {
    for (int i = 0; infos && i < n; i++) free(infos[i].n_prompt);
    free(infos);
}

/* Plans a config; returns the point count (-1 with err on failure). */
static int32_t plan(const char *json, sweep_config *cfg, sweep_point **pts, int32_t *dropped, psamp_err *err) {
    int32_t n = -1;
    if (parse(json, cfg, err) != 0) return -1;
    sweep_model_info *infos = toy_infos(cfg);
    if (sweep_points_plan(cfg, infos, pts, &n, dropped, err) != 0) n = -1;
    free_infos(infos, cfg->axes[SWEEP_MODEL].n);
    return n;
}

static void expect_bad_plan(psamp_test_state *t, const char *json, const char *want) {
    sweep_config cfg;
    sweep_point *pts = NULL;
    int32_t dropped;
    psamp_err err = {{0}};
    CHECK(t, plan(json, &cfg, &pts, &dropped, &err) == -1, "planned a bad grid: %s", json);
    CHECK(t, strstr(err.msg, want) != NULL, "error '%s' lacks '%s'", err.msg, want);
    free(pts);
    sweep_config_free(&cfg);
}

static void test_grid(psamp_test_state *t) {
    sweep_config cfg;
    sweep_point *pts = NULL;
    int32_t dropped = -1;
    psamp_err err = {{0}};
    /* 2 methods x 3 alphas x 2 temperatures x 2 seeds = 24, but temp ignores alpha and power
     * ignores the temperature: 3 x 2 power + 2 x 2 temp = 10 distinct runs. */
    const char *json = "{\"name\": \"g\", \"model\": \"" TRAP "\", \"method\": [\"power\", \"temp\"],"
                       " \"alpha\": [1, 2, 4], \"temperature\": [0.25, 0.5], \"seed\": [7, 8],"
                       " \"block_size\": 2, \"chains\": 3}";
    int32_t n = plan(json, &cfg, &pts, &dropped, &err);
    CHECK(t, n == 10, "expected 10 points, got %d (%s)", n, err.msg);
    CHECK(t, dropped == 14, "expected 14 repeats dropped, got %d", dropped);
    if (n == 10) {
        /* Grid order: method, then alpha, then temperature, then seed (fastest). */
        CHECK(t, pts[0].sampler.method == PSAMP_METHOD_POWER && pts[0].sampler.alpha == 1 && pts[0].sampler.seed == 7, "point 0");
        CHECK(t, pts[1].sampler.seed == 8 && pts[2].sampler.alpha == 2, "points 1, 2 in grid order");
        CHECK(t, pts[6].sampler.method == PSAMP_METHOD_TEMP && pts[6].sampler.temperature == 0.25, "point 6 is temp 0.25");
        CHECK(t, pts[9].sampler.temperature == 0.5 && pts[9].sampler.seed == 8, "point 9");
        CHECK(t, pts[0].sampler.max_new_tokens == 8 && pts[0].sampler.block_size == 2, "toy default T = 8, B = 2");
        CHECK(t, pts[0].sampler.mcmc_steps == 10 && pts[0].sampler.n_chains == 3, "defaults N = 10, chains 3");
        for (int32_t i = 0; i < n; i++) {
            CHECK(t, pts[i].index == i, "index %d", i);
            for (int32_t j = 0; j < i; j++) CHECK(t, pts[i].id != pts[j].id, "ids %d and %d collide", i, j);
        }
        CHECK(t, strncmp(pts[3].name, "p00003-", 7) == 0 && strlen(pts[3].name) == 23, "name %s", pts[3].name);
        /* Power ignores the temperature: its settings show null there. */
        cJSON *s = sweep_point_settings(&cfg, &pts[0]);
        CHECK(t, s && cJSON_IsNull(cJSON_GetObjectItem(s, "temperature")), "power's temperature is null");
        CHECK(t, s && cJSON_GetObjectItem(s, "proposal_temp")->valuedouble == 1.0, "q = 1/alpha");
        cJSON_Delete(s);
    }
    /* The same config plans the same ids; another config, other ids. */
    sweep_config cfg2, cfg3;
    sweep_point *pts2 = NULL, *pts3 = NULL;
    int32_t n2 = plan(json, &cfg2, &pts2, &dropped, &err);
    CHECK(t, n2 == n && cfg2.hash == cfg.hash && pts2 && pts && pts2[5].id == pts[5].id, "replanning is stable");
    char other[1024];
    snprintf(other, sizeof other, "%s", json);
    *strstr(other, "\"chains\": 3") = '\0';
    strcat(other, "\"chains\": 4}");
    int32_t n3 = plan(other, &cfg3, &pts3, &dropped, &err);
    CHECK(t, n3 == 10 && cfg3.hash != cfg.hash && pts3 && pts && pts3[0].id != pts[0].id, "another config, other ids");
    free(pts);
    free(pts2);
    free(pts3);
    sweep_config_free(&cfg);
    sweep_config_free(&cfg2);
    sweep_config_free(&cfg3);

    /* Greedy ignores the seed too; blocks K becomes B = ceil(T / K). */
    n = plan("{\"model\": \"" TRAP "\", \"method\": \"greedy\", \"seed\": [1, 2, 3]}", &cfg, &pts, &dropped, &err);
    CHECK(t, n == 1 && dropped == 2, "greedy over 3 seeds is one point (%d, %d)", n, dropped);
    free(pts);
    sweep_config_free(&cfg);
    n = plan("{\"model\": \"" TRAP "\", \"blocks\": 3, \"max_new_tokens\": 7}", &cfg, &pts, &dropped, &err);
    CHECK(t, n == 1 && pts && pts[0].sampler.block_size == 3, "K = 3 of T = 7 is B = 3");
    free(pts);
    sweep_config_free(&cfg);

    expect_bad_plan(t, "{\"model\": \"" TRAP "\", \"block_size\": [2, 16]}", "sweep.json: block_size[1]: 16 is larger than max_new_tokens 8");
    expect_bad_plan(t, "{\"model\": \"" TRAP "\", \"blocks\": 9}", "blocks: 9 blocks for max_new_tokens 8");
    expect_bad_plan(t, "{\"model\": \"" TRAP "\", \"max_new_tokens\": [4, 9]}", "max_new_tokens[1]: 9 new tokens");
    expect_bad_plan(t, "{\"model\": [\"" TRAP "\", \"" EOSW "\"], \"max_new_tokens\": 7}", "exceed model[1]'s 6 positions");
}

static void test_estimates(psamp_test_state *t) {
    psamp_sampler_config c = psamp_sampler_defaults();
    c.method = PSAMP_METHOD_POWER;
    c.max_new_tokens = 8;
    c.block_size = 2;
    c.mcmc_steps = 10;
    c.n_chains = 3;
    /* Blocks end at 2, 4, 6, 8: N x sum (e + 1) / 2 = 10 x (1.5 + 2.5 + 3.5 + 4.5) = 120. */
    CHECK_NEAR(t, sweep_est_tokens(&c, 1), 1 + 3 * (8 + 120), 1e-9, "power estimate");
    c.block_size = 3; /* ends 3, 6, 8: 10 x (2 + 3.5 + 4.5) = 100 */
    CHECK_NEAR(t, sweep_est_tokens(&c, 0), 3 * (8 + 100), 1e-9, "power with a short last block");
    c.method = PSAMP_METHOD_TEMP;
    CHECK_NEAR(t, sweep_est_tokens(&c, 2), 2 + 3 * 8, 1e-9, "temp estimate");
    c.method = PSAMP_METHOD_BESTOFN;
    c.best_of = 5;
    CHECK_NEAR(t, sweep_est_tokens(&c, 0), 3 * 5 * 8, 1e-9, "best-of estimate");
}

static void test_shards(psamp_test_state *t) {
    int32_t i = -1, n = -1;
    psamp_err err = {{0}};
    CHECK(t, sweep_shard_parse("2/5", &i, &n, &err) == 0 && i == 2 && n == 5, "2/5");
    CHECK(t, sweep_shard_parse("0/1", &i, &n, &err) == 0 && i == 0 && n == 1, "0/1");
    const char *bad[] = {"3/2", "0/0", "x/4", "-1/4", "1/-4", "2/2", "1", "1/", "/4", "1/4/2", " 1/4", "1/4x", "1.0/4", ""};
    const char *want[] = {"not below the count", "count must be", "expected I/N", "expected I/N", "expected I/N",
                          "not below the count", "expected I/N", "expected I/N", "expected I/N", "expected I/N",
                          "expected I/N", "expected I/N", "expected I/N", "expected I/N"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err.msg[0] = '\0';
        CHECK(t, sweep_shard_parse(bad[k], &i, &n, &err) == -1, "accepted shard spec '%s'", bad[k]);
        CHECK(t, strstr(err.msg, want[k]) && strstr(err.msg, "--shard"), "'%s': %s", bad[k], err.msg);
    }

    /* Skewed costs: shards balance tokens, not counts, and stay within one point of the mean. */
    enum { P = 40, S = 4 };
    double cost[P], load[S] = {0}, max_cost = 0, total = 0;
    int32_t shard_of[P], count[S] = {0};
    for (int k = 0; k < P; k++) {
        cost[k] = k < 4 ? 1000.0 : 10.0 + (k % 7);
        max_cost = cost[k] > max_cost ? cost[k] : max_cost;
        total += cost[k];
    }
    CHECK(t, sweep_shard_assign(cost, P, S, shard_of, &err) == 0, "assign");
    for (int k = 0; k < P; k++) {
        CHECK(t, shard_of[k] >= 0 && shard_of[k] < S, "point %d in shard %d", k, shard_of[k]);
        load[shard_of[k]] += cost[k];
        count[shard_of[k]]++;
    }
    for (int s = 0; s < S; s++) {
        CHECK(t, fabs(load[s] - total / S) <= max_cost, "shard %d load %g vs mean %g", s, load[s], total / S);
        CHECK(t, count[s] > 0, "shard %d empty", s);
    }
    /* Each of the four big points sits alone with small ones: counts differ, tokens do not. */
    CHECK(t, shard_of[0] != shard_of[1] && shard_of[1] != shard_of[2] && shard_of[2] != shard_of[3] &&
                 shard_of[0] != shard_of[3], "the big points share a shard");
    int32_t again[P];
    sweep_shard_assign(cost, P, S, again, &err);
    CHECK(t, memcmp(again, shard_of, sizeof again) == 0, "assignment is deterministic");
    /* More shards than points: every point still has exactly one shard. */
    int32_t few[3];
    CHECK(t, sweep_shard_assign(cost, 3, 8, few, &err) == 0 && few[0] != few[1] && few[1] != few[2], "3 points, 8 shards");
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_bad_configs(&t);
    test_grid(&t);
    test_estimates(&t);
    test_shards(&t);
    return psamp_test_finish(&t, "test_sweep_config");
}
