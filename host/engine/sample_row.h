/* Draws one token from one row of logits, the way every engine must: inverse CDF over the
 * vocabulary in id order with a single uniform from the chain's Philox stream, so that the
 * CPU and CUDA engines pick the same token for the same draw (up to rounding at a boundary). */
#ifndef PSAMP_SAMPLE_ROW_H
#define PSAMP_SAMPLE_ROW_H

#include <stdint.h>

typedef struct {
    int32_t token;
    float logp; /* log softmax(logits)[token] */
    float logq; /* log softmax(logits / tau)[token]; 0 when tau == 0 (greedy) */
} psamp_row_sample;

/* logits[0..n): finite values or -INFINITY (probability 0; never drawn). tau == 0 takes the
 * argmax (lowest id on ties); tau > 0 draws from softmax(logits / tau) with u in (0, 1). */
psamp_row_sample psamp_sample_row(const float *logits, int32_t n, float tau, double u);

#endif
