/* H3's measures: distinct n-grams, the longest repeated loop, log p sums, and the tallies
 * that average them per prompt and over prompts. */
#include <math.h>
#include <string.h>

#include "h3_metrics.h"
#include "h3_table.h"
#include "testlib.h"

static void test_distinct(psamp_test_state *t) {
    const int32_t x[] = {1, 2, 1, 2, 3};
    CHECK_NEAR(t, h3_distinct_ngrams(x, 5, 1), 3.0 / 5, 1e-15, "distinct-1");
    CHECK_NEAR(t, h3_distinct_ngrams(x, 5, 2), 3.0 / 4, 1e-15, "distinct-2: 12 21 12 23");
    CHECK_NEAR(t, h3_distinct_ngrams(x, 5, 3), 1.0, 1e-15, "distinct-3: 121 212 123");
    CHECK(t, isnan(h3_distinct_ngrams(x, 2, 3)), "shorter than n: NaN");
    const int32_t same[] = {7, 7, 7, 7};
    CHECK_NEAR(t, h3_distinct_ngrams(same, 4, 1), 0.25, 1e-15, "one token repeated");
}

static void test_loops(psamp_test_state *t) {
    struct {
        int32_t x[10];
        int32_t n, loop, period;
    } cases[] = {
        {{1, 2, 1, 2, 1}, 5, 5, 2},
        {{1, 2, 3, 1, 2, 3, 1, 2}, 8, 8, 3},
        {{1, 2, 3, 4}, 4, 0, 0},
        {{1, 1, 2}, 3, 2, 1},
        {{5, 1, 1, 1, 1, 1, 1, 1}, 8, 7, 1},
        {{9, 1, 2, 3, 1, 2, 3, 8}, 8, 6, 3},
        {{1, 2, 3, 1, 2}, 5, 0, 0}, /* 1 2 3 | 1 2: the block does not repeat whole */
        {{4}, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t loop, period;
        h3_longest_loop(cases[i].x, cases[i].n, &loop, &period);
        CHECK(t, loop == cases[i].loop && period == cases[i].period, "loop case %zu: %d (period %d), want %d (%d)", i,
              loop, period, cases[i].loop, cases[i].period);
    }
}

static void test_measure(psamp_test_state *t) {
    const int32_t x[] = {0, 0, 0, 0};
    const float lp[] = {-1.0f, -0.5f, -0.25f, -0.25f};
    h3_sample_metrics m;
    h3_measure(x, lp, 4, &m);
    CHECK_NEAR(t, m.logp_total, -2.0, 1e-12, "total log p");
    CHECK_NEAR(t, m.logp_per_token, -0.5, 1e-12, "per-token log p");
    CHECK(t, m.loop_tokens == 4 && m.loop_period == 1, "loop of the repeated token");
    CHECK_NEAR(t, m.distinct[0], 0.25, 1e-15, "distinct-1");
}

static void test_tables(psamp_test_state *t) {
    h3_cell cells[3];
    memset(cells, 0, sizeof cells);
    h3_sample_metrics a = {-2.0, -0.5, {1.0, 1.0, 1.0}, 0, 0}, b = {-4.0, -1.0, {0.5, 0.5, NAN}, 4, 1};
    cells[0].samples = 3; /* one sample ended early: counted, not measured */
    h3_cell_add(&cells[0], &a);
    h3_cell_add(&cells[0], &b);
    cells[1].samples = 1;
    h3_cell_add(&cells[1], &a);
    cells[2].samples = 2; /* nothing reached the full length */
    h3_stats s;
    h3_cell_stats(&cells[0], &s);
    CHECK(t, s.samples == 3 && s.full == 2, "counts");
    CHECK_NEAR(t, s.logp_total, -3.0, 1e-12, "mean total");
    CHECK_NEAR(t, s.logp_total_sd, sqrt(2.0), 1e-12, "sample sd");
    CHECK_NEAR(t, s.logp_per_token, -0.75, 1e-12, "mean per token");
    CHECK_NEAR(t, s.distinct[1], 0.75, 1e-12, "mean distinct-2");
    CHECK_NEAR(t, s.distinct[2], 1.0, 1e-12, "NaN distinct-3 skipped");
    CHECK(t, s.loop_tokens == 2.0 && s.loop_tokens_max == 4, "loops");
    h3_cell_stats(&cells[1], &s);
    CHECK(t, s.logp_total_sd == 0.0, "one sample: sd 0");
    h3_cell_stats(&cells[2], &s);
    CHECK(t, isnan(s.logp_total) && isnan(s.loop_tokens), "nothing measured: NaN");
    h3_summary_stats(cells, 3, &s);
    CHECK(t, s.prompts == 2 && s.samples == 6 && s.full == 3, "summary counts skip the empty prompt");
    CHECK_NEAR(t, s.logp_total, (-3.0 + -2.0) / 2, 1e-12, "summary: mean of prompt means");
    CHECK_NEAR(t, s.logp_per_token, (-0.75 + -0.5) / 2, 1e-12, "summary per token");
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_distinct(&t);
    test_loops(&t);
    test_measure(&t);
    test_tables(&t);
    return psamp_test_finish(&t, "test_h3");
}
