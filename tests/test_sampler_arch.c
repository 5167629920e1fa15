/* Power sampling (Metropolis-Hastings on p^alpha) through the same sampler on Qwen2 and Phi-3
 * checkpoints (CPU engine). Phi-3 runs past its original context (32) with blocks and MH
 * resampling points on both sides of it, so forks move chains across the longrope switch.
 * Checks: the run completes with proposals made and some accepted; every chain's per-token
 * log p, as the sampler recorded it from its decode steps (after forks and cache rebuilds),
 * equals a fresh prefill's prefix-conditional score of the final sequence; a second run with
 * the same seed gives the same tokens. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_checkpoint.h"
#include "engine_cpu_decoder.h"
#include "sampler.h"
#include "testlib.h"

#define LOGP_TOL 1e-4

static void run_power(psamp_test_state *t, const char *name) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, name);
    decoder_checkpoint ck;
    psamp_err err = {{0}};
    if (decoder_checkpoint_open(&ck, dir, &err) != 0) {
        CHECK(t, 0, "%s: %s", name, err.msg);
        return;
    }
    psamp_sampler_config cfg = psamp_sampler_defaults();
    cfg.method = PSAMP_METHOD_POWER;
    cfg.alpha = 4.0;
    cfg.max_new_tokens = 36;
    cfg.n_blocks = 3;
    cfg.mcmc_steps = 4;
    cfg.n_chains = 4;
    cfg.seed = 2024;
    int32_t prompt[12];
    for (int i = 0; i < 12; i++) prompt[i] = i == 0 ? (ck.cfg.bos_id >= 0 ? ck.cfg.bos_id : 1) : 17 + 53 * i % 900;
    const int32_t max_len = 12 + cfg.max_new_tokens;
    psamp_engine *e = NULL;
    psamp_cpu_options opts = {2};
    int rc = psamp_sampler_validate(&cfg, &err) != 0
                 ? -1
                 : psamp_engine_cpu_decoder_create(&ck, psamp_sampler_slots_needed(&cfg), max_len, &opts, &e, &err);
    decoder_checkpoint_close(&ck);
    CHECK(t, rc == 0, "%s: %s", name, err.msg);
    if (rc != 0) return;
    psamp_run_result a, b;
    rc = psamp_sample(e, &cfg, prompt, 12, NULL, &a, &err);
    CHECK(t, rc == 0, "%s: power sampling: %s", name, err.msg);
    if (rc != 0) {
        psamp_engine_destroy(e);
        return;
    }
    int64_t proposals = 0, accepted = 0;
    double worst = 0.0;
    int32_t seq[64];
    float logp[64];
    for (int32_t c = 0; c < a.n_chains; c++) {
        const psamp_chain_result *ch = &a.chains[c];
        proposals += ch->proposals;
        accepted += ch->accepted;
        CHECK(t, ch->n_tokens > 0 && ch->n_tokens <= cfg.max_new_tokens, "%s: chain %d has %d tokens", name, c,
              ch->n_tokens);
        memcpy(seq, prompt, sizeof prompt);
        memcpy(seq + 12, ch->tokens, (size_t)ch->n_tokens * sizeof *seq);
        /* slot 0 is free again after the run */
        if (e->ops->prefill(e, 0, seq, 12 + ch->n_tokens, 1.0f, logp, &err) != 0) {
            CHECK(t, 0, "%s: rescoring: %s", name, err.msg);
            continue;
        }
        double sum = 0.0;
        for (int32_t i = 0; i < ch->n_tokens; i++) {
            double d = fabs((double)ch->logp[i] - logp[12 + i]);
            worst = d > worst ? d : worst;
            sum += logp[12 + i];
            CHECK(t, d <= LOGP_TOL, "%s: chain %d token %d: sampler log p %.6f vs prefill %.6f", name, c, i,
                  ch->logp[i], logp[12 + i]);
        }
        CHECK_NEAR(t, ch->logp_sum, sum, 1e-3, "chain log p sum vs rescoring");
    }
    CHECK(t, proposals >= (int64_t)cfg.n_chains * cfg.n_blocks * cfg.mcmc_steps, "%s: %lld proposals", name,
          (long long)proposals);
    CHECK(t, accepted > 0 && accepted < proposals, "%s: %lld of %lld proposals accepted", name, (long long)accepted,
          (long long)proposals);
    rc = psamp_sample(e, &cfg, prompt, 12, NULL, &b, &err);
    CHECK(t, rc == 0, "%s: second run: %s", name, err.msg);
    for (int32_t c = 0; rc == 0 && c < a.n_chains; c++)
        CHECK(t, a.chains[c].n_tokens == b.chains[c].n_tokens &&
                     memcmp(a.chains[c].tokens, b.chains[c].tokens, (size_t)a.chains[c].n_tokens * sizeof(int32_t)) == 0,
              "%s: chain %d differs between two runs with one seed", name, c);
    printf("  %-20s %d chains, %lld/%lld proposals accepted, max |sampler - prefill log p| %.2e\n", name, a.n_chains,
           (long long)accepted, (long long)proposals, worst);
    psamp_run_result_free(&a);
    if (rc == 0) psamp_run_result_free(&b);
    psamp_engine_destroy(e);
}

int main(void) {
    psamp_test_state t = {0, 0};
    run_power(&t, "qwen2-tiny-gqa");
    run_power(&t, "phi3-tiny-longrope");
    return psamp_test_finish(&t, "test_sampler_arch");
}
