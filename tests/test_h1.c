/* H1: the least-squares fit, the choice of pairs, and a run on the greedy trap whose
 * temperature scores are checked against the exact temperature distribution (toy_exact),
 * so gap_T is what the definition says, not merely self-consistent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_toy.h"
#include "h1.h"
#include "testlib.h"
#include "toy_exact.h"

static void test_fit(psamp_test_state *t) {
    psamp_err err;
    h1_fit f;
    double x[5] = {-2, -1, 0, 1, 2}, y[5];
    for (int i = 0; i < 5; i++) y[i] = 3.0 * x[i] - 1.0;
    CHECK(t, h1_fit_line(x, y, 5, &f, &err) == 0, "exact line: %s", err.msg);
    CHECK_NEAR(t, f.slope, 3.0, 1e-12, "slope");
    CHECK_NEAR(t, f.intercept, -1.0, 1e-12, "intercept");
    CHECK_NEAR(t, f.r2, 1.0, 1e-12, "r2");
    CHECK_NEAR(t, f.residual_std, 0.0, 1e-12, "residual std");
    /* y = x plus residuals (+1, -2, +2, -2, +1), which are orthogonal to 1 and x: the fit
     * stays slope 1, intercept 0; SS_res = 14, SS_tot = 10 + 14. */
    double noisy[5] = {-1, -3, 2, -1, 3};
    CHECK(t, h1_fit_line(x, noisy, 5, &f, &err) == 0, "noisy: %s", err.msg);
    CHECK_NEAR(t, f.slope, 1.0, 1e-12, "noisy slope");
    CHECK_NEAR(t, f.intercept, 0.0, 1e-12, "noisy intercept");
    CHECK_NEAR(t, f.r2, 1.0 - 14.0 / 24.0, 1e-12, "noisy r2");
    CHECK_NEAR(t, f.residual_std, sqrt(14.0 / 3.0), 1e-12, "noisy residual std");
    double flat[3] = {1, 1, 1};
    CHECK(t, h1_fit_line(flat, y, 3, &f, &err) != 0 && strstr(err.msg, "every x is the same"), "constant x: %s", err.msg);
    CHECK(t, h1_fit_line(x, y, 1, &f, &err) != 0 && strstr(err.msg, "at least 2 points"), "one point: %s", err.msg);
}

static void test_pairs(psamp_test_state *t) {
    psamp_err err;
    int32_t *p = NULL;
    int64_t n = h1_choose_pairs(5, 100, 1, 0, &p, &err);
    CHECK(t, n == 10, "all 10 pairs of 5 samples, got %lld", (long long)n);
    for (int64_t i = 0; p && i < n; i++) CHECK(t, p[2 * i] < p[2 * i + 1], "pair %lld ordered", (long long)i);
    free(p);
    n = h1_choose_pairs(40, 200, 7, 3, &p, &err);
    CHECK(t, n == 200, "200 of 780 pairs, got %lld", (long long)n);
    int seen[40][40];
    memset(seen, 0, sizeof seen);
    int dup = 0, bad = 0;
    for (int64_t i = 0; p && i < n; i++) {
        int32_t x = p[2 * i], y = p[2 * i + 1];
        if (x < 0 || y >= 40 || x >= y) bad++;
        else dup += seen[x][y]++ > 0;
    }
    CHECK(t, bad == 0 && dup == 0, "pairs distinct and in range (%d bad, %d repeated)", bad, dup);
    int32_t *q = NULL;
    CHECK(t, h1_choose_pairs(40, 200, 7, 3, &q, &err) == 200 && memcmp(p, q, 400 * sizeof *p) == 0,
          "same seed and stream, same pairs");
    free(q);
    CHECK(t, h1_choose_pairs(40, 200, 7, 4, &q, &err) == 200 && memcmp(p, q, 400 * sizeof *p) != 0,
          "another stream, other pairs");
    free(q);
    free(p);
    CHECK(t, h1_choose_pairs(1, 5, 0, 0, &p, &err) < 0 && strstr(err.msg, "at least 2 samples"), "one sample");
}

static void test_run_greedy_trap(psamp_test_state *t) {
    psamp_err err;
    psamp_engine *e = NULL;
    toy_world *w = psamp_test_toy_world(t, "greedy_trap.json");
    if (!w) return;
    const double temps[3] = {0.5, 1.0, 2.0};
    const int32_t *prompts[1] = {NULL};
    const int32_t lens[1] = {0};
    h1_config cfg = {1, prompts, lens, 64, 300, 8, 3, temps, 11, NULL};
    h1_result r;
    CHECK(t, psamp_engine_toy_create(w, 65, 8, &e, &err) == 0, "engine: %s", err.msg);
    if (!e || h1_run(e, &cfg, NULL, NULL, &r, &err) != 0) {
        CHECK(t, 0, "h1_run: %s", err.msg);
        psamp_engine_destroy(e);
        toy_world_free(w);
        return;
    }
    CHECK(t, r.n_pairs == 300, "300 pairs, got %lld", (long long)r.n_pairs);
    CHECK(t, r.rescore_max_abs < 1e-5, "the toy engine's prefill agrees with its decode (%g)", r.rescore_max_abs);
    /* At T = 1 the temperature gap is D itself. */
    CHECK_NEAR(t, r.fit[1].slope, 1.0, 1e-9, "T = 1 slope");
    CHECK_NEAR(t, r.fit[1].r2, 1.0, 1e-9, "T = 1 R^2");
    CHECK_NEAR(t, r.dev_rms[1], 0.0, 1e-9, "T = 1: no deviation from alpha D");
    /* Each score at T = 0.5 and 2 is the sequence's exact log-probability under
     * temperature-T sampling; each score at 1 its exact log p. */
    for (int32_t k = 0; k < 2; k++) {
        double T = k == 0 ? 0.5 : 2.0;
        toy_enumeration en;
        CHECK(t, toy_exact_enumerate(w, 8, 1.0 / T, T, 100000, &en, &err) == 0, "enumerate: %s", err.msg);
        /* The sampled tokens are not kept; the per-sample log p identifies each sequence's
         * probability class, so compare score_T against the class through log p. */
        int matched = 0;
        for (int32_t s = 0; s < r.samples; s++) {
            double lp = r.score[s * 4], lq = r.score[s * 4 + (k == 0 ? 1 : 3)];
            for (int64_t i = 0; i < en.n; i++)
                if (fabs(en.seqs[i].logp - lp) < 1e-6 && fabs(log(en.seqs[i].temperature) - lq) < 1e-5) {
                    matched++;
                    break;
                }
        }
        CHECK(t, matched == r.samples, "T %g: %d of %d scores match an exact (log p, log q) pair", T, matched,
              r.samples);
        toy_enumeration_free(&en);
    }
    /* Temperature below 1 does not amplify sequence gaps like power does on this world
     * (the per-token normalisers differ between the trap's branches). */
    CHECK(t, r.fit[0].slope * 0.5 < 0.9 && r.dev_rms[0] > 1.0, "T 0.5: slope*T %g, rms %g", r.fit[0].slope * 0.5,
          r.dev_rms[0]);
    h1_result_free(&r);
    /* Bad settings are refused before sampling. */
    h1_config bad = cfg;
    bad.samples = 100;
    CHECK(t, h1_run(e, &bad, NULL, NULL, &r, &err) != 0 && strstr(err.msg, "slots"), "too few slots: %s", err.msg);
    bad = cfg;
    double neg[1] = {-1};
    bad.temps = neg;
    bad.n_temps = 1;
    CHECK(t, h1_run(e, &bad, NULL, NULL, &r, &err) != 0 && strstr(err.msg, "temperatures[0]"), "T < 0: %s", err.msg);
    bad = cfg;
    bad.max_new_tokens = 9;
    CHECK(t, h1_run(e, &bad, NULL, NULL, &r, &err) != 0 && strstr(err.msg, "exceeds"), "too long: %s", err.msg);
    psamp_engine_destroy(e);
    toy_world_free(w);
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_fit(&t);
    test_pairs(&t);
    test_run_greedy_trap(&t);
    return psamp_test_finish(&t, "test_h1");
}
