/* The toy experiments' statistics on hand-checked cases: TV and KL, the exact-draw floor,
 * unique rates (exact formula and disjoint groups), and best-of-n success on the greedy
 * trap, whose best sequence is unique (so the exact answer is 1 - (1 - p*)^n). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "toyexp.h"

static void test_distance(psamp_test_state *t) {
    psamp_err err;
    const double exact[3] = {0.5, 0.25, 0.25};
    const int64_t index[4] = {0, 0, 1, 1}; /* empirical (0.5, 0.5, 0) */
    double tv, kl;
    CHECK(t, toyexp_distance(exact, 3, index, 4, &tv, &kl, &err) == 0, "distance: %s", err.msg);
    CHECK_NEAR(t, tv, 0.25, 1e-12, "TV");
    CHECK_NEAR(t, kl, 0.5 * log(0.5 / 0.25), 1e-12, "KL(empirical || exact)");
    const int64_t outside[4] = {0, 0, 1, -1};
    CHECK(t, toyexp_distance(exact, 3, outside, 4, &tv, &kl, &err) == 0, "distance");
    CHECK_NEAR(t, tv, 0.5 * (0 + 0 + 0.25 + 0.25), 1e-12, "a sample outside counts fully toward TV");
    CHECK(t, isinf(kl), "a sample outside makes KL infinite");
    CHECK(t, toyexp_distance(exact, 3, index, 0, &tv, &kl, &err) != 0, "no samples is an error");
    /* Exact draws of a point mass are exact; of a spread distribution they are noisy, and
     * less so with more draws. */
    const double point[3] = {0, 1, 0};
    CHECK(t, toyexp_floor(point, 3, 100, 3, 1, &tv, &kl, &err) == 0 && tv == 0.0 && kl == 0.0, "point mass floor");
    double tv_small, kl_small;
    CHECK(t, toyexp_floor(exact, 3, 100, 8, 1, &tv_small, &kl_small, &err) == 0, "floor 100");
    CHECK(t, toyexp_floor(exact, 3, 10000, 8, 1, &tv, &kl, &err) == 0, "floor 10000");
    CHECK(t, tv_small > tv && tv > 0.0 && tv < 0.02, "floor shrinks with draws: %g then %g", tv_small, tv);
}

static void test_unique(psamp_test_state *t) {
    const double half[2] = {0.5, 0.5};
    CHECK_NEAR(t, toyexp_unique_exact(half, 2, 1), 1.0, 1e-12, "k = 1");
    CHECK_NEAR(t, toyexp_unique_exact(half, 2, 2), 0.75, 1e-12, "two fair coins: 1.5 distinct of 2");
    const double point[2] = {1.0, 0.0};
    CHECK_NEAR(t, toyexp_unique_exact(point, 2, 8), 1.0 / 8, 1e-12, "a point mass: one distinct");
    const int64_t idx[7] = {1, 1, 2, 3, 3, 3, 9};
    CHECK_NEAR(t, toyexp_unique_sampled(idx, 7, 1), 1.0, 1e-12, "k = 1 sampled");
    /* groups {1,1}, {2,3}, {3,3}: 1/2, 1, 1/2 */
    CHECK_NEAR(t, toyexp_unique_sampled(idx, 7, 2), 2.0 / 3, 1e-12, "k = 2 sampled");
    /* groups {1,1,2}, {3,3,3}: 2/3, 1/3 */
    CHECK_NEAR(t, toyexp_unique_sampled(idx, 7, 3), 0.5, 1e-12, "k = 3 sampled");
    CHECK(t, isnan(toyexp_unique_sampled(idx, 7, 8)), "no full group");
}

static void test_best_of(psamp_test_state *t) {
    psamp_err err;
    toy_enumeration en;
    toy_world *w = psamp_test_toy_world(t, "greedy_trap.json");
    if (!w) return;
    CHECK(t, toy_exact_enumerate(w, 8, 1.0, 1.0, 100000, &en, &err) == 0, "enumerate: %s", err.msg);
    double *p = malloc((size_t)en.n * sizeof *p), best = 0.0;
    for (int64_t i = 0; p && i < en.n; i++) p[i] = exp(en.seqs[i].logp);
    double star = toyexp_correct_mass(w, &en, p);
    CHECK_NEAR(t, star, 0.279335, 1e-6, "p(BGGGGGGG)");
    for (int32_t n = 1; p && n <= 64; n *= 4) {
        CHECK(t, toyexp_best_of_exact(w, &en, p, n, &best, &err) == 0, "best of %d: %s", n, err.msg);
        CHECK_NEAR(t, best, 1.0 - pow(1.0 - star, n), 1e-9, "best-of-n success, unique best sequence");
    }
    free(p);
    toy_enumeration_free(&en);
    toy_world_free(w);
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_distance(&t);
    test_unique(&t);
    test_best_of(&t);
    return psamp_test_finish(&t, "test_toyexp_stats");
}
