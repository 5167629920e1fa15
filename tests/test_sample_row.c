/* The row sampler: exact log-probabilities, greedy ties, zero-probability tokens never drawn,
 * and draw frequencies that match softmax(logits / tau). */
#include <math.h>

#include "philox.h"
#include "sample_row.h"
#include "testlib.h"

int main(void) {
    psamp_test_state t = {0, 0};
    const float logits[5] = {1.0f, 3.0f, -INFINITY, 3.0f, 0.5f};
    double zp = exp(1.0) + 2 * exp(3.0) + exp(0.5);

    psamp_row_sample g = psamp_sample_row(logits, 5, 0.0f, 0.5);
    CHECK(&t, g.token == 1, "greedy picks the lowest id among ties, got %d", g.token);
    CHECK_NEAR(&t, g.logp, 3.0 - log(zp), 1e-6, "greedy logp");
    CHECK(&t, g.logq == 0.0f, "greedy logq is 0");

    /* Empirical frequencies at tau = 0.5 against softmax(2 * logits). */
    double zq = exp(2.0) + 2 * exp(6.0) + exp(1.0), count[5] = {0};
    const int draws = 200000;
    for (int i = 0; i < draws; i++) {
        psamp_row_sample s = psamp_sample_row(logits, 5, 0.5f, psamp_u32_to_unit(psamp_philox_u32(1, 0, (uint64_t)i)));
        count[s.token] += 1;
        if (i == 0) {
            CHECK_NEAR(&t, s.logp, logits[s.token] - log(zp), 1e-6, "logp of a draw");
            CHECK_NEAR(&t, s.logq, 2 * logits[s.token] - log(zq), 1e-6, "logq of a draw");
        }
    }
    CHECK(&t, count[2] == 0, "a -inf token was drawn %g times", count[2]);
    const double q[5] = {exp(2.0) / zq, exp(6.0) / zq, 0, exp(6.0) / zq, exp(1.0) / zq};
    for (int k = 0; k < 5; k++) CHECK_NEAR(&t, count[k] / draws, q[k], 0.005, "draw frequency");

    /* The inverse CDF walks ids in order: a tiny u takes the first live token, a u near 1
     * the last one. */
    CHECK(&t, psamp_sample_row(logits, 5, 1.0f, 1e-9).token == 0, "u -> 0 picks id 0");
    CHECK(&t, psamp_sample_row(logits, 5, 1.0f, 1.0 - 1e-12).token == 4, "u -> 1 picks the last id");
    return psamp_test_finish(&t, "test_sample_row");
}
