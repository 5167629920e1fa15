/* Samplers over many chains, through the engine interface only: greedy, temperature,
 * power (Algorithm 1 of Karan & Du, exact), max-swap and best-of-N.
 *
 * Every chain is a small state machine (extend a block, propose a suffix, accept or
 * reject). Each round, every chain that waits for tokens contributes one request to ONE
 * batched engine step, so chains at different points of their schedules share the batch
 * and it stays full as suffixes of different lengths finish. A chain's draws come from its
 * own Philox streams, so its result depends on the seed and its chain number only. */
#ifndef PSAMP_SAMPLER_H
#define PSAMP_SAMPLER_H

#include <signal.h> /* sig_atomic_t, the type of a stop flag (the sampler installs no handler) */
#include <stdint.h>

#include "engine.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PSAMP_METHOD_GREEDY,
    PSAMP_METHOD_TEMP,
    PSAMP_METHOD_POWER,
    PSAMP_METHOD_MAXSWAP,
    PSAMP_METHOD_BESTOFN
} psamp_method;

/* How the MH acceptance is computed. Only EXACT is correct for p^alpha; the others exist
 * so the statistical tests can show that they would catch a wrong ratio. */
typedef enum {
    PSAMP_ACCEPT_EXACT = 0,
    PSAMP_ACCEPT_NO_Q,      /* drops the proposal terms (the seed notebook) */
    PSAMP_ACCEPT_NO_INDEX,  /* drops log P(idx | x') - log P(idx | x) */
    PSAMP_ACCEPT_TRUNCATED  /* the official code: current suffix cut to the proposal's length,
                               no index term */
} psamp_accept_variant;

typedef struct {
    psamp_method method;
    double alpha;          /* power: target p^alpha (> 0) */
    double temperature;    /* temp, bestofn: sampling temperature (> 0) */
    double proposal_temp;  /* power, maxswap: proposal temperature; <= 0 means 1/alpha for
                              power and 1 for maxswap */
    int32_t max_new_tokens;
    int32_t block_size;    /* B; 0: max_new_tokens / n_blocks */
    int32_t n_blocks;      /* K, used when block_size == 0 */
    int32_t mcmc_steps;    /* N MH steps after each block (>= 0) */
    int32_t best_of;       /* bestofn: samples per chain */
    int32_t probe_steps;   /* power, maxswap: P >= 0 extra MH steps on the last block after
                              the kept sample is taken (the mixing probe, sampler_mixing.h);
                              the reported sample is the one before them, so it is the same
                              with and without the probe */
    int32_t n_chains;
    int32_t max_active;    /* chains decoding at once (their engine slots); 0: all of them.
                              The others wait in a queue and start, in chain order, as
                              running chains finish, so the batch stays full */
    uint64_t first_chain;  /* chain numbers run from first_chain: a chain's result depends on
                              (seed, chain number) alone */
    uint64_t seed;
    psamp_accept_variant accept; /* test-only: anything but EXACT is wrong on purpose */
} psamp_sampler_config;

/* The defaults users expect: power, alpha 4, one block, 10 steps, 1 chain. */
psamp_sampler_config psamp_sampler_defaults(void);
/* Checks ranges and derives B; errors name the option (--alpha, --block-size, ...). */
int psamp_sampler_validate(psamp_sampler_config *cfg, psamp_err *err);
/* Chains that decode at once: n_chains, or max_active when that is smaller. */
int32_t psamp_sampler_active_chains(const psamp_sampler_config *cfg);
/* Chains of a prompt the sampler decodes: n_chains, or 1 for greedy (psamp_sample_prompts
 * decodes one greedy chain and copies it). */
int32_t psamp_sampler_decoded_chains(const psamp_sampler_config *cfg);
/* Engine slots a run needs: the prompt's plus each active decoded chain's working slots. */
int32_t psamp_sampler_slots_needed(const psamp_sampler_config *cfg);
/* The same for a run of n_prompts prompts at once (psamp_sample_prompts): one slot per
 * prompt, plus the working slots of the chains active over all of them (max_active, when
 * set, counts chains over all prompts). */
int32_t psamp_sampler_slots_needed_prompts(const psamp_sampler_config *cfg, int32_t n_prompts);
int32_t psamp_sampler_block_size(const psamp_sampler_config *cfg);

typedef struct {
    uint64_t chain;
    int32_t *tokens;        /* generated tokens (prompt excluded) */
    float *logp;            /* per generated token: log p under the model (tau = 1) */
    int32_t n_tokens;
    int32_t ended;          /* the sequence ended (EOS / terminal) before max_new_tokens */
    double logp_sum;
    int64_t proposals, accepted;
    int64_t proposal_tokens; /* tokens decoded for MH proposals */
    int64_t tokens_decoded;  /* every token this chain decoded, proposals and probe included */
    int32_t first_token_drawn; /* the first token the chain ever decoded: its initial draw
                                  at generated position 0 */
    double probe_logp_sum;   /* log p of the sequence after the probe's P further MH steps;
                                logp_sum when there is no probe */
    int64_t probe_tokens;    /* tokens decoded during the probe (counted in tokens_decoded) */
} psamp_chain_result;

typedef struct {
    int32_t n_chains;        /* chains in `chains`: every planned chain, or after a stop
                                (PSAMP_SAMPLE_STOPPED) the ones that had finished */
    int32_t active_chains;   /* how many of them decoded at once (max_active, or all) */
    psamp_chain_result *chains; /* in chain order */
    int64_t engine_steps;    /* batched engine calls */
    double engine_seconds;   /* time inside engine calls */
    double host_seconds;     /* the sampler's own time: draws, sums, swaps, bookkeeping */
    int32_t n_planned;       /* cfg->n_chains */
    int32_t stopped;         /* 1: the run was stopped (hooks->stop) before every chain finished */
} psamp_run_result;

void psamp_run_result_free(psamp_run_result *r);

/* One MH step of one chain, for the correction tracker (--trace). Suffix arrays hold the
 * tokens from idx to each sequence's own end; the prefix (tokens [0, idx)) is what both
 * sequences share, so prefix + suffix is the whole sequence and logp_prefix + logp_* its
 * total log p: a record alone tells the chain's state before and after the decision. */
typedef struct {
    uint64_t chain;
    int32_t block, step, idx;
    int32_t len_current, len_proposal;   /* generated lengths */
    double logp_current, logp_proposal;  /* sum of log p over each own suffix */
    double log_r;
    int32_t accepted;
    const int32_t *suffix_current, *suffix_proposal;
    const int32_t *prefix;               /* the idx generated tokens before the suffixes */
    double logp_prefix;                  /* sum of log p over the prefix */
} psamp_mh_record;

typedef struct {
    /* Called after each MH decision; return non-zero to abort the run (err is set then). */
    int (*on_mh_step)(void *ctx, const psamp_mh_record *rec, psamp_err *err);
    /* Called now and then with the fraction of the run's planned token work done. */
    void (*on_progress)(void *ctx, double fraction);
    void *ctx;
    /* NULL, or a flag read before every round (one batched engine step): once it is non-zero
     * the run starts no chain and no step more and returns PSAMP_SAMPLE_STOPPED. The caller
     * sets it (the psamp CLI from its SIGINT/SIGTERM handler); the sampler only reads it. */
    const volatile sig_atomic_t *stop;
} psamp_sampler_hooks;

/* psamp_sample's return when hooks->stop was raised: *out holds the chains that had
 * finished (n_chains of n_planned, in chain order, stopped = 1; the caller frees it), chains
 * still decoding are dropped, and err says how many finished. */
#define PSAMP_SAMPLE_STOPPED 1

/* Runs cfg->n_chains chains from the prompt (which must fit the engine's min_prompt). The
 * engine needs psamp_sampler_slots_needed(cfg) slots of prompt + max_new_tokens tokens.
 * hooks may be NULL. Returns 0, -1 on failure (nothing is left allocated in *out), or
 * PSAMP_SAMPLE_STOPPED (above). */
int psamp_sample(psamp_engine *e, const psamp_sampler_config *cfg, const int32_t *prompt,
                 int32_t n_prompt, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                 psamp_err *err);

/* One prompt of a batched run, with the Philox key its chains draw from (psamp_sample gives
 * cfg->seed; a caller may give each prompt its own, as sweeps give each task). */
typedef struct {
    const int32_t *tokens;
    int32_t n;
    uint64_t seed;
} psamp_prompt;

/* Greedy chains are one sequence whatever their seed and number: one is decoded per prompt
 * and copied to the others, which count no decoded tokens (tokens_decoded and friends 0).
 *
 * psamp_sample for n_prompts prompts in one batch: cfg->n_chains chains from each, all of
 * them sharing the engine's batched steps (many problems with few samples each keep a GPU's
 * batch full). out[0..n_prompts) gets one result per prompt. Prompt p's chains draw with key
 * prompts[p].seed (cfg->seed is not used) and are numbered first_chain, first_chain + 1, ...
 * as in a run of that prompt alone, so out[p] is what
 * psamp_sample gives for it (token for token where the engine's rows do not depend on the
 * batch: the toy engine; elsewhere up to rounding). The engine needs
 * psamp_sampler_slots_needed_prompts(cfg, n_prompts) slots; the batch's engine steps and
 * times are counted once, in out[0]. On a stop each out[p] keeps that prompt's finished
 * chains. Returns as psamp_sample does; on -1 nothing is left allocated in out. */
int psamp_sample_prompts(psamp_engine *e, const psamp_sampler_config *cfg, const psamp_prompt *prompts,
                         int32_t n_prompts, const psamp_sampler_hooks *hooks, psamp_run_result *out,
                         psamp_err *err);

const char *psamp_method_name(psamp_method m);
int psamp_method_parse(const char *name, psamp_method *m, psamp_err *err);

#ifdef __cplusplus
}
#endif
#endif
