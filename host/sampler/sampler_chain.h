/* One chain's state machine (internal to the sampler). The round loop in sampler.c asks
 * each chain for its pending forks and step requests, and feeds the step results back. */
#ifndef PSAMP_SAMPLER_CHAIN_H
#define PSAMP_SAMPLER_CHAIN_H

#include <stdint.h>

#include "engine.h"
#include "sampler.h"

/* The generated part of one slot's sequence, mirrored on the host with per-token log p
 * and log q, and the task it is running: decode until len == target or the sequence ends. */
typedef struct {
    int32_t slot;
    int32_t len, ended;
    int32_t target;  /* > len while a task runs */
    int32_t *tok;
    float *lp, *lq;
    uint64_t counter_base; /* best-of-N: each sample draws from its own counter range */
} sampler_seq;

typedef enum {
    CHAIN_START_BLOCK, /* power/maxswap: begin block `block` */
    CHAIN_EXTENDING,   /* decoding the current sequence to the block's end */
    CHAIN_MH,          /* about to draw the next proposal of this block */
    CHAIN_PROPOSING,   /* decoding a proposal's suffix */
    CHAIN_GENERATING,  /* greedy/temp/best-of-N: decoding the sample(s) */
    CHAIN_DONE
} chain_phase;

typedef struct {
    uint64_t chain;
    uint64_t seed;                 /* the Philox key of the chain's draws */
    int32_t prompt_slot, n_prompt; /* the engine slot holding the chain's prompt, its length */
    chain_phase phase;
    sampler_seq *seqs;
    int32_t n_seqs;
    int32_t cur, prop; /* power/maxswap: which seqs[] is the current sequence, the proposal */
    int32_t block, step, idx, block_end;
    uint64_t tok_counter; /* next draw of the chain's token stream (power/maxswap) */
    uint64_t dec_counter; /* next draw of the chain's decision stream */
    int64_t proposals, accepted, proposal_tokens, tokens_decoded;
    int32_t first_token; /* the first token decoded, -1 before it */
    /* The kept sample, taken after the last block's N steps when a mixing probe runs on:
     * its sequence and the counters at that point (snap_len < 0: not taken yet). */
    int32_t snap_len, snap_ended;
    int32_t *snap_tok;
    float *snap_lp;
    int64_t snap_proposals, snap_accepted, snap_proposal_tokens, snap_tokens_decoded;
} sampler_chain;

/* A request's owner: where the loop sends each step result. */
typedef struct {
    sampler_chain *chain;
    sampler_seq *seq;
} sampler_req_owner;

int sampler_chain_init(sampler_chain *ch, const psamp_sampler_config *cfg, uint64_t chain, uint64_t seed,
                       int32_t first_slot, int32_t prompt_slot, int32_t n_prompt, psamp_err *err);
void sampler_chain_free(sampler_chain *ch);
/* Queues the forks from the prompt slot and sets the first task. Returns forks queued. */
int32_t sampler_chain_start(sampler_chain *ch, const psamp_sampler_config *cfg,
                            psamp_fork_request *forks, const psamp_sampler_hooks *hooks,
                            psamp_err *err);
/* Appends this chain's step requests for the round; returns how many. */
int32_t sampler_chain_requests(sampler_chain *ch, const psamp_sampler_config *cfg,
                               psamp_step_request *reqs, sampler_req_owner *owners);
/* Takes one step result; when the seq's task is complete the chain moves on, possibly
 * queuing a fork for the next round. Returns forks queued (0 or 1), or -1 on error. */
int sampler_chain_feed(sampler_chain *ch, const psamp_sampler_config *cfg, sampler_seq *seq,
                       const psamp_step_result *res, const psamp_sampler_hooks *hooks,
                       psamp_fork_request *forks, psamp_err *err);
/* Units of planned work per chain (blocks + MH steps, or samples) and how many are done. */
double sampler_chain_planned(const psamp_sampler_config *cfg);
double sampler_chain_done(const sampler_chain *ch, const psamp_sampler_config *cfg);
int sampler_chain_result(const sampler_chain *ch, const psamp_sampler_config *cfg,
                         psamp_chain_result *out, psamp_err *err);

#endif
