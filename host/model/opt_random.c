/* An OPT checkpoint with random fp32 weights held in memory: lets benchmarks run the real
 * opt-125m shape without a download. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opt_checkpoint.h"
#include "opt_tensor_specs.h"
#include "splitmix64.h" /* fast and good enough for benchmark weights (Philox would be ~20x
                         * slower on 125M values and buys nothing here) */

/* Weights scale like HF's init_std = 0.02: uniform with that standard deviation. */
#define RANDOM_INIT_STD 0.02


int opt_checkpoint_random(opt_checkpoint *ck, const opt_config *cfg, uint64_t seed,
                          psamp_err *err) {
    memset(ck, 0, sizeof *ck);
    if (opt_config_check(cfg, "random checkpoint config", err) != 0) return -1;
    ck->cfg = *cfg;
    opt_checkpoint_impl *impl = calloc(1, sizeof *impl);
    if (!impl) return psamp_fail(err, "random checkpoint: out of memory");
    ck->impl = impl;
    if (opt_tensor_specs_build(ck, &impl->specs, &impl->n_specs, err) != 0) goto fail;
    size_t total = 0;
    for (int32_t i = 0; i < impl->n_specs; i++) {
        const opt_tensor_spec *s = &impl->specs[i];
        total += (size_t)s->shape[0] * (size_t)(s->ndim > 1 ? s->shape[1] : 1);
    }
    impl->weights = malloc(total * sizeof(float));
    if (!impl->weights) {
        psamp_fail(err, "random checkpoint: out of memory for %zu weights", total);
        goto fail;
    }
    const double half_width = RANDOM_INIT_STD * sqrt(3.0);
    uint64_t state = seed;
    float *at = impl->weights;
    for (int32_t i = 0; i < impl->n_specs; i++) {
        const opt_tensor_spec *s = &impl->specs[i];
        size_t n = (size_t)s->shape[0] * (size_t)(s->ndim > 1 ? s->shape[1] : 1);
        for (size_t j = 0; j < n; j++) {
            double u = (double)(splitmix64(&state) >> 11) * (1.0 / 9007199254740992.0);
            at[j] = isnan(s->init) ? (float)((2.0 * u - 1.0) * half_width) : s->init;
        }
        *s->dst = (psamp_tensor){at, PSAMP_F32, s->ndim, {s->shape[0], s->shape[1]}, s->name};
        at += n;
    }
    if (ck->cfg.tie_word_embeddings) ck->lm_head = ck->embed_tokens;
    return 0;
fail:
    opt_checkpoint_close(ck);
    return -1;
}
