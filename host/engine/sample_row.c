#include "sample_row.h"

#include <math.h>

/* Each term in float, as the CUDA sampling kernel computes it (expf of a float), summed in
 * double: the two engines then see the same weights, and float exps cost a third of double
 * ones on the CPU engine's hot path. */
static inline float row_weight(float logit, float max, float tau) { return expf((logit - max) / tau); }

psamp_row_sample psamp_sample_row(const float *logits, int32_t n, float tau, double u) {
    psamp_row_sample r = {0, 0.0f, 0.0f};
    int32_t argmax = 0;
    float max = logits[0];
    for (int32_t i = 1; i < n; i++)
        if (logits[i] > max) {
            max = logits[i];
            argmax = i;
        }
    /* One pass for both normalisers: Z_p at tau = 1 and Z_q at the proposal temperature. */
    double sum_p = 0.0, sum_q = 0.0;
    if (tau == 1.0f) {
        for (int32_t i = 0; i < n; i++) sum_p += (double)expf(logits[i] - max);
        sum_q = sum_p;
    } else {
        for (int32_t i = 0; i < n; i++) {
            sum_p += (double)expf(logits[i] - max);
            if (tau > 0.0f) sum_q += (double)row_weight(logits[i], max, tau);
        }
    }
    if (tau <= 0.0f) {
        r.token = argmax;
        r.logp = (float)((double)(logits[argmax] - max) - log(sum_p));
        return r;
    }
    double target = u * sum_q, cum = 0.0;
    int32_t token = -1, last_nonzero = argmax;
    for (int32_t i = 0; i < n; i++) {
        double w = (double)row_weight(logits[i], max, tau);
        if (w <= 0.0) continue;
        last_nonzero = i;
        cum += w;
        if (cum > target) {
            token = i;
            break;
        }
    }
    /* Rounding can leave target a hair above the running sum: the last live token then. */
    if (token < 0) token = last_nonzero;
    r.token = token;
    r.logp = (float)((double)(logits[token] - max) - log(sum_p));
    r.logq = (float)((double)((logits[token] - max) / tau) - log(sum_q));
    return r;
}
