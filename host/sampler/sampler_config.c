/* Sampler settings: defaults, validation with errors that name the option, method names. */
#include <math.h>
#include <string.h>

#include "sampler.h"
#include "sampler_config.h"

static const char *const METHOD_NAMES[] = {"greedy", "temp", "power", "maxswap", "bestofn"};

psamp_sampler_config psamp_sampler_defaults(void) {
    psamp_sampler_config c;
    memset(&c, 0, sizeof c);
    c.method = PSAMP_METHOD_POWER;
    c.alpha = 4.0;
    c.temperature = 1.0;
    c.proposal_temp = 0.0;
    c.max_new_tokens = 64;
    c.block_size = 0;
    c.n_blocks = 1;
    c.mcmc_steps = 10;
    c.best_of = 8;
    c.n_chains = 1;
    c.seed = 0;
    c.accept = PSAMP_ACCEPT_EXACT;
    return c;
}

int32_t psamp_sampler_block_size(const psamp_sampler_config *cfg) {
    if (cfg->block_size > 0) return cfg->block_size;
    if (cfg->n_blocks <= 0) return cfg->max_new_tokens;
    /* B = T / K, rounded up so that K blocks cover T. */
    return (cfg->max_new_tokens + cfg->n_blocks - 1) / cfg->n_blocks;
}

int psamp_sampler_validate(psamp_sampler_config *cfg, psamp_err *err) {
    if ((int)cfg->method < 0 || (int)cfg->method > (int)PSAMP_METHOD_BESTOFN)
        return psamp_fail(err, "--method: unknown method");
    if (cfg->max_new_tokens <= 0)
        return psamp_fail(err, "--max-new-tokens must be positive (got %d)", cfg->max_new_tokens);
    if (cfg->n_chains <= 0) return psamp_fail(err, "--chains must be positive (got %d)", cfg->n_chains);
    if (cfg->max_active < 0)
        return psamp_fail(err, "--max-active must be >= 0 (got %d; 0 runs every chain at once)",
                          cfg->max_active);
    if (cfg->method == PSAMP_METHOD_POWER && !(cfg->alpha > 0 && isfinite(cfg->alpha)))
        return psamp_fail(err, "--alpha must be a positive number (got %g)", cfg->alpha);
    if ((cfg->method == PSAMP_METHOD_TEMP || cfg->method == PSAMP_METHOD_BESTOFN) &&
        !(cfg->temperature > 0 && isfinite(cfg->temperature)))
        return psamp_fail(err, "--temperature must be positive (got %g)", cfg->temperature);
    if (!(cfg->proposal_temp >= 0 && isfinite(cfg->proposal_temp)))
        return psamp_fail(err, "--proposal-temp must be positive (got %g)", cfg->proposal_temp);
    if (cfg->method == PSAMP_METHOD_POWER || cfg->method == PSAMP_METHOD_MAXSWAP) {
        if (cfg->block_size < 0)
            return psamp_fail(err, "--block-size must be positive (got %d)", cfg->block_size);
        if (cfg->block_size > cfg->max_new_tokens)
            return psamp_fail(err, "--block-size %d is larger than --max-new-tokens %d",
                              cfg->block_size, cfg->max_new_tokens);
        if (cfg->block_size == 0 && (cfg->n_blocks <= 0 || cfg->n_blocks > cfg->max_new_tokens))
            return psamp_fail(err, "--blocks must be between 1 and --max-new-tokens (got %d)",
                              cfg->n_blocks);
        if (cfg->mcmc_steps < 0)
            return psamp_fail(err, "--mcmc-steps must be >= 0 (got %d)", cfg->mcmc_steps);
    }
    if (cfg->probe_steps < 0)
        return psamp_fail(err, "--mixing-probe must be >= 0 (got %d)", cfg->probe_steps);
    if (cfg->probe_steps > 0 && cfg->method != PSAMP_METHOD_POWER && cfg->method != PSAMP_METHOD_MAXSWAP)
        return psamp_fail(err, "--mixing-probe is only for the power and maxswap methods (got --method %s)",
                          psamp_method_name(cfg->method));
    if (cfg->method == PSAMP_METHOD_BESTOFN && cfg->best_of <= 0)
        return psamp_fail(err, "--best-of must be positive (got %d)", cfg->best_of);
    if ((int)cfg->accept < 0 || (int)cfg->accept > (int)PSAMP_ACCEPT_TRUNCATED)
        return psamp_fail(err, "unknown acceptance variant %d", (int)cfg->accept);
    int64_t slots = 1 + (int64_t)psamp_sampler_active_chains(cfg) * sampler_seqs_per_chain(cfg);
    if (slots > INT32_MAX / 2) {
        if (cfg->method == PSAMP_METHOD_BESTOFN)
            return psamp_fail(err, "--chains %d x --best-of %d sequences are too many", cfg->n_chains, cfg->best_of);
        return psamp_fail(err, "--chains %d is too many", cfg->n_chains);
    }
    return 0;
}

int32_t sampler_seqs_per_chain(const psamp_sampler_config *cfg) {
    switch (cfg->method) {
    case PSAMP_METHOD_POWER:
    case PSAMP_METHOD_MAXSWAP: return 2;
    case PSAMP_METHOD_BESTOFN: return cfg->best_of;
    default: return 1;
    }
}

int64_t sampler_active_jobs(const psamp_sampler_config *cfg, int64_t n_jobs) {
    return cfg->max_active > 0 && cfg->max_active < n_jobs ? cfg->max_active : n_jobs;
}

int32_t psamp_sampler_active_chains(const psamp_sampler_config *cfg) {
    return (int32_t)sampler_active_jobs(cfg, cfg->n_chains);
}

int32_t psamp_sampler_slots_needed(const psamp_sampler_config *cfg) {
    return psamp_sampler_slots_needed_prompts(cfg, 1);
}

int32_t psamp_sampler_decoded_chains(const psamp_sampler_config *cfg) {
    return cfg->method == PSAMP_METHOD_GREEDY && cfg->n_chains > 1 ? 1 : cfg->n_chains;
}

int32_t psamp_sampler_slots_needed_prompts(const psamp_sampler_config *cfg, int32_t n_prompts) {
    const int64_t decoded = (int64_t)n_prompts * psamp_sampler_decoded_chains(cfg);
    const int64_t need = n_prompts + sampler_active_jobs(cfg, decoded) * sampler_seqs_per_chain(cfg);
    return need > INT32_MAX ? INT32_MAX : (int32_t)need;
}

const char *psamp_method_name(psamp_method m) {
    return (int)m >= 0 && (int)m <= (int)PSAMP_METHOD_BESTOFN ? METHOD_NAMES[m] : "?";
}

int psamp_method_parse(const char *name, psamp_method *m, psamp_err *err) {
    for (int i = 0; i <= (int)PSAMP_METHOD_BESTOFN; i++)
        if (strcmp(name, METHOD_NAMES[i]) == 0) {
            *m = (psamp_method)i;
            return 0;
        }
    return psamp_fail(err, "--method: unknown method '%s' (greedy, temp, power, maxswap, bestofn)", name);
}
