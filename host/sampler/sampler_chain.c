/* One chain's schedule: Algorithm 1 of Karan & Du with every term of the MH ratio, plus the
 * one-shot samplers (greedy, temperature, best-of-N) as degenerate schedules. */
#include "sampler_chain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "sampler_config.h"

static int is_mh(const psamp_sampler_config *cfg) {
    return cfg->method == PSAMP_METHOD_POWER || cfg->method == PSAMP_METHOD_MAXSWAP;
}

/* Proposal temperature of MH methods; sampling temperature of the others (0 = greedy). */
static float chain_tau(const psamp_sampler_config *cfg) {
    switch (cfg->method) {
    case PSAMP_METHOD_GREEDY: return 0.0f;
    case PSAMP_METHOD_TEMP:
    case PSAMP_METHOD_BESTOFN: return (float)cfg->temperature;
    case PSAMP_METHOD_POWER: return (float)(cfg->proposal_temp > 0 ? cfg->proposal_temp : 1.0 / cfg->alpha);
    case PSAMP_METHOD_MAXSWAP: return (float)(cfg->proposal_temp > 0 ? cfg->proposal_temp : 1.0);
    }
    return 1.0f;
}

int sampler_chain_init(sampler_chain *ch, const psamp_sampler_config *cfg, uint64_t chain, uint64_t seed,
                       int32_t first_slot, int32_t prompt_slot, int32_t n_prompt, psamp_err *err) {
    int32_t T = cfg->max_new_tokens;
    memset(ch, 0, sizeof *ch);
    ch->chain = chain;
    ch->seed = seed;
    ch->prompt_slot = prompt_slot;
    ch->n_prompt = n_prompt;
    ch->n_seqs = sampler_seqs_per_chain(cfg);
    ch->seqs = calloc((size_t)ch->n_seqs, sizeof *ch->seqs);
    if (!ch->seqs) return psamp_fail(err, "out of memory for chain %llu", (unsigned long long)chain);
    for (int32_t s = 0; s < ch->n_seqs; s++) {
        sampler_seq *q = &ch->seqs[s];
        q->slot = first_slot + s;
        q->tok = malloc((size_t)T * sizeof *q->tok);
        q->lp = malloc((size_t)T * sizeof *q->lp);
        q->lq = malloc((size_t)T * sizeof *q->lq);
        /* 2^40 draws per sample is far more than any sequence uses. */
        q->counter_base = (uint64_t)s << 40;
        if (!q->tok || !q->lp || !q->lq) {
            sampler_chain_free(ch);
            return psamp_fail(err, "out of memory for chain %llu", (unsigned long long)chain);
        }
    }
    ch->cur = 0;
    ch->prop = 1;
    ch->first_token = -1;
    ch->snap_len = -1;
    if (is_mh(cfg) && cfg->probe_steps > 0) {
        ch->snap_tok = malloc((size_t)T * sizeof *ch->snap_tok);
        ch->snap_lp = malloc((size_t)T * sizeof *ch->snap_lp);
        if (!ch->snap_tok || !ch->snap_lp) {
            sampler_chain_free(ch);
            return psamp_fail(err, "out of memory for chain %llu", (unsigned long long)chain);
        }
    }
    return 0;
}

void sampler_chain_free(sampler_chain *ch) {
    free(ch->snap_tok);
    free(ch->snap_lp);
    ch->snap_tok = NULL;
    ch->snap_lp = NULL;
    if (!ch->seqs) return;
    for (int32_t s = 0; s < ch->n_seqs; s++) {
        free(ch->seqs[s].tok);
        free(ch->seqs[s].lp);
        free(ch->seqs[s].lq);
    }
    free(ch->seqs);
    ch->seqs = NULL;
}

static double next_decision(sampler_chain *ch) {
    return psamp_u32_to_unit(psamp_philox_u32(ch->seed, psamp_stream_decisions(ch->chain), ch->dec_counter++));
}

static int task_running(const sampler_seq *q) { return !q->ended && q->len < q->target; }

static double sum_range(const float *v, int32_t from, int32_t to) {
    double s = 0.0;
    for (int32_t i = from; i < to; i++) s += v[i];
    return s;
}

/* log r of the proposal against the current sequence, both cut at ch->idx. Each sum runs
 * over that sequence's own suffix; the index term is log P(idx | x') - log P(idx | x) with
 * idx uniform over the generated positions, i.e. log L(x) - log L(x'). */
static double log_acceptance(const sampler_chain *ch, const psamp_sampler_config *cfg,
                             double *logp_cur, double *logp_prop) {
    const sampler_seq *x = &ch->seqs[ch->cur], *y = &ch->seqs[ch->prop];
    int32_t i = ch->idx, x_end = x->len;
    if (cfg->accept == PSAMP_ACCEPT_TRUNCATED && y->len < x_end) x_end = y->len;
    double lp_x = sum_range(x->lp, i, x_end), lp_y = sum_range(y->lp, i, y->len);
    double lq_x = sum_range(x->lq, i, x_end), lq_y = sum_range(y->lq, i, y->len);
    double log_r = cfg->alpha * (lp_y - lp_x);
    if (cfg->accept != PSAMP_ACCEPT_NO_Q) log_r += lq_x - lq_y;
    if (cfg->accept == PSAMP_ACCEPT_EXACT || cfg->accept == PSAMP_ACCEPT_NO_Q)
        log_r += log((double)x->len) - log((double)y->len);
    *logp_cur = lp_x;
    *logp_prop = lp_y;
    return log_r;
}

static int decide(sampler_chain *ch, const psamp_sampler_config *cfg,
                  const psamp_sampler_hooks *hooks, psamp_err *err) {
    sampler_seq *x = &ch->seqs[ch->cur], *y = &ch->seqs[ch->prop];
    double lp_x, lp_y, log_r = log_acceptance(ch, cfg, &lp_x, &lp_y);
    int accepted;
    if (cfg->method == PSAMP_METHOD_MAXSWAP) {
        accepted = lp_y > lp_x; /* alpha -> infinity: only the likelihood counts */
        log_r = lp_y > lp_x ? INFINITY : (lp_y < lp_x ? -INFINITY : 0.0);
    } else {
        accepted = log(next_decision(ch)) < log_r;
    }
    ch->proposals++;
    ch->accepted += accepted;
    ch->proposal_tokens += y->len - ch->idx;
    /* Steps past N are the mixing probe's: not part of the sample, so not traced. */
    if (hooks && hooks->on_mh_step && ch->step < cfg->mcmc_steps) {
        psamp_mh_record rec = {ch->chain, ch->block, ch->step, ch->idx, x->len, y->len, lp_x, lp_y,
                               log_r, accepted, x->tok + ch->idx, y->tok + ch->idx, x->tok,
                               sum_range(x->lp, 0, ch->idx)};
        if (hooks->on_mh_step(hooks->ctx, &rec, err) != 0) return -1;
    }
    if (accepted) {
        int32_t t = ch->cur;
        ch->cur = ch->prop;
        ch->prop = t;
    }
    return 0;
}

/* Keeps the current sequence and the counters as the chain's sample before the probe. */
static void take_snapshot(sampler_chain *ch) {
    const sampler_seq *x = &ch->seqs[ch->cur];
    memcpy(ch->snap_tok, x->tok, (size_t)x->len * sizeof *x->tok);
    memcpy(ch->snap_lp, x->lp, (size_t)x->len * sizeof *x->lp);
    ch->snap_len = x->len;
    ch->snap_ended = x->ended;
    ch->snap_proposals = ch->proposals;
    ch->snap_accepted = ch->accepted;
    ch->snap_proposal_tokens = ch->proposal_tokens;
    ch->snap_tokens_decoded = ch->tokens_decoded;
}

/* Moves the chain on until it waits for tokens or is done. Returns forks queued, or -1. */
static int advance(sampler_chain *ch, const psamp_sampler_config *cfg,
                   const psamp_sampler_hooks *hooks, psamp_fork_request *forks, psamp_err *err) {
    int32_t B = psamp_sampler_block_size(cfg), T = cfg->max_new_tokens;
    int32_t n_blocks = (T + B - 1) / B;
    for (;;) {
        sampler_seq *x = &ch->seqs[ch->cur];
        switch (ch->phase) {
        case CHAIN_START_BLOCK:
            if (ch->block >= n_blocks) {
                ch->phase = CHAIN_DONE;
                return 0;
            }
            ch->block_end = (ch->block + 1) * B < T ? (ch->block + 1) * B : T;
            ch->step = 0;
            if (!x->ended && x->len < ch->block_end) {
                x->target = ch->block_end;
                ch->phase = CHAIN_EXTENDING;
                return 0;
            }
            ch->phase = CHAIN_MH;
            break;
        case CHAIN_EXTENDING:
            if (task_running(x)) return 0;
            ch->phase = CHAIN_MH;
            break;
        case CHAIN_MH: {
            /* The last block runs P probe steps after its N: the sample is kept before
             * them, and their draws come after every draw of the sample in both streams. */
            int last = ch->block == n_blocks - 1 && cfg->probe_steps > 0;
            if (last && ch->step == cfg->mcmc_steps && ch->snap_len < 0) take_snapshot(ch);
            if (ch->step >= cfg->mcmc_steps + (last ? cfg->probe_steps : 0)) {
                ch->block++;
                ch->phase = CHAIN_START_BLOCK;
                break;
            }
            sampler_seq *y = &ch->seqs[ch->prop];
            ch->idx = (int32_t)(next_decision(ch) * x->len);
            if (ch->idx >= x->len) ch->idx = x->len - 1;
            memcpy(y->tok, x->tok, (size_t)ch->idx * sizeof *y->tok);
            memcpy(y->lp, x->lp, (size_t)ch->idx * sizeof *y->lp);
            memcpy(y->lq, x->lq, (size_t)ch->idx * sizeof *y->lq);
            y->len = ch->idx;
            y->ended = 0;
            y->target = ch->block_end;
            forks[0] = (psamp_fork_request){y->slot, x->slot, ch->n_prompt + ch->idx};
            ch->phase = CHAIN_PROPOSING;
            return 1;
        }
        case CHAIN_PROPOSING:
            if (task_running(&ch->seqs[ch->prop])) return 0;
            if (decide(ch, cfg, hooks, err) != 0) return -1;
            ch->step++;
            ch->phase = CHAIN_MH;
            break;
        case CHAIN_GENERATING:
            for (int32_t s = 0; s < ch->n_seqs; s++)
                if (task_running(&ch->seqs[s])) return 0;
            ch->phase = CHAIN_DONE;
            return 0;
        case CHAIN_DONE: return 0;
        }
    }
}

int32_t sampler_chain_start(sampler_chain *ch, const psamp_sampler_config *cfg,
                            psamp_fork_request *forks, const psamp_sampler_hooks *hooks,
                            psamp_err *err) {
    /* Only the sequences that decode from the prompt need its KV now; an MH proposal slot
     * gets its prefix when it is forked from the current sequence. */
    int32_t n = is_mh(cfg) ? 1 : ch->n_seqs;
    for (int32_t s = 0; s < n; s++) {
        forks[s] = (psamp_fork_request){ch->seqs[s].slot, ch->prompt_slot, ch->n_prompt};
        ch->seqs[s].target = cfg->max_new_tokens;
    }
    ch->phase = is_mh(cfg) ? CHAIN_START_BLOCK : CHAIN_GENERATING;
    /* advance() from START_BLOCK only sets the extension task (the fresh sequence is empty),
     * so it never queues a fork that would depend on the prompt forks above. */
    if (advance(ch, cfg, hooks, forks + n, err) < 0) return -1;
    return n;
}

int32_t sampler_chain_requests(sampler_chain *ch, const psamp_sampler_config *cfg,
                               psamp_step_request *reqs, sampler_req_owner *owners) {
    int32_t n = 0;
    float tau = chain_tau(cfg);
    uint64_t stream = psamp_stream_tokens(ch->chain);
    for (int32_t s = 0; s < ch->n_seqs; s++) {
        sampler_seq *q = &ch->seqs[s];
        if (!task_running(q)) continue;
        /* MH chains draw tokens from one running counter (current and proposal decode in
         * turn); one-shot samples draw at counter_base + position. */
        uint64_t counter = is_mh(cfg) ? ch->tok_counter++ : q->counter_base + (uint64_t)q->len;
        reqs[n] = (psamp_step_request){q->slot, tau, ch->seed, stream, counter};
        owners[n] = (sampler_req_owner){ch, q};
        n++;
    }
    return n;
}

int sampler_chain_feed(sampler_chain *ch, const psamp_sampler_config *cfg, sampler_seq *seq,
                       const psamp_step_result *res, const psamp_sampler_hooks *hooks,
                       psamp_fork_request *forks, psamp_err *err) {
    if (seq->len >= cfg->max_new_tokens)
        return psamp_fail(err, "internal: chain %llu decoded past max_new_tokens",
                          (unsigned long long)ch->chain);
    seq->tok[seq->len] = res->token;
    seq->lp[seq->len] = res->logp;
    seq->lq[seq->len] = res->logq;
    seq->len++;
    seq->ended = res->ended;
    if (ch->tokens_decoded == 0) ch->first_token = res->token;
    ch->tokens_decoded++;
    if (task_running(seq)) return 0;
    return advance(ch, cfg, hooks, forks, err);
}

double sampler_chain_planned(const psamp_sampler_config *cfg) {
    if (!is_mh(cfg)) return 1.0;
    int32_t B = psamp_sampler_block_size(cfg);
    int32_t n_blocks = (cfg->max_new_tokens + B - 1) / B;
    return (double)n_blocks * (1.0 + cfg->mcmc_steps) + cfg->probe_steps;
}

double sampler_chain_done(const sampler_chain *ch, const psamp_sampler_config *cfg) {
    if (ch->phase == CHAIN_DONE) return sampler_chain_planned(cfg);
    if (!is_mh(cfg)) return 0.0;
    return (double)ch->block * (1.0 + cfg->mcmc_steps) + (ch->phase == CHAIN_EXTENDING ? 0.0 : 1.0 + ch->step);
}

int sampler_chain_result(const sampler_chain *ch, const psamp_sampler_config *cfg,
                         psamp_chain_result *out, psamp_err *err) {
    int32_t best = ch->cur;
    double best_lp = sum_range(ch->seqs[best].lp, 0, ch->seqs[best].len);
    if (cfg->method == PSAMP_METHOD_BESTOFN)
        for (int32_t s = 1; s < ch->n_seqs; s++) {
            double lp = sum_range(ch->seqs[s].lp, 0, ch->seqs[s].len);
            if (lp > best_lp) {
                best = s;
                best_lp = lp;
            }
        }
    const sampler_seq *q = &ch->seqs[best];
    /* With a probe, the sample is the snapshot and the final sequence only gives its log p. */
    int snap = ch->snap_len >= 0;
    const int32_t *tok = snap ? ch->snap_tok : q->tok;
    const float *lp = snap ? ch->snap_lp : q->lp;
    int32_t len = snap ? ch->snap_len : q->len;
    memset(out, 0, sizeof *out);
    out->chain = ch->chain;
    out->n_tokens = len;
    out->ended = snap ? ch->snap_ended : q->ended;
    out->logp_sum = snap ? sum_range(lp, 0, len) : best_lp;
    out->proposals = snap ? ch->snap_proposals : ch->proposals;
    out->accepted = snap ? ch->snap_accepted : ch->accepted;
    out->proposal_tokens = snap ? ch->snap_proposal_tokens : ch->proposal_tokens;
    out->tokens_decoded = ch->tokens_decoded;
    out->first_token_drawn = ch->first_token;
    out->probe_logp_sum = best_lp;
    out->probe_tokens = snap ? ch->tokens_decoded - ch->snap_tokens_decoded : 0;
    size_t n = len > 0 ? (size_t)len : 1;
    out->tokens = malloc(n * sizeof *out->tokens);
    out->logp = malloc(n * sizeof *out->logp);
    if (!out->tokens || !out->logp) {
        free(out->tokens);
        free(out->logp);
        out->tokens = NULL;
        out->logp = NULL;
        return psamp_fail(err, "out of memory for results");
    }
    memcpy(out->tokens, tok, (size_t)len * sizeof *tok);
    memcpy(out->logp, lp, (size_t)len * sizeof *lp);
    return 0;
}
