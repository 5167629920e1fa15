/* The seam between the sampler and the models: a small function table over *slots*.
 *
 * A slot holds one token sequence and whatever state the engine keeps for it (an OPT KV
 * cache, a toy automaton's states). The engine keeps the KV of every token but the last
 * one; the last token is "pending" and is fed by the next step, which computes its KV and
 * the next-token distribution. So a fork needs only a prefix copy, never a re-run.
 *
 * Three engines implement it: toy (exact automata, proves the sampler), cpu (the fp32 OPT
 * reference) and cuda (the fast path). The sampler knows nothing else about them. */
#ifndef PSAMP_ENGINE_H
#define PSAMP_ENGINE_H

#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psamp_engine psamp_engine;

/* One token to decode for one slot. */
typedef struct {
    int32_t slot;
    float tau;        /* sampling temperature: softmax(logits / tau); 0 = greedy (argmax,
                         lowest id on ties) */
    uint64_t seed;    /* Philox key of the run */
    uint64_t stream;  /* the chain's token stream, psamp_stream_tokens(chain) */
    uint64_t counter; /* which draw of that stream this token uses */
} psamp_step_request;

/* What a step produced for one slot; the token is already appended to the slot. */
typedef struct {
    int32_t token;
    int32_t ended; /* 1: the sequence is complete after this token (EOS, a toy world's
                      terminal transition); the slot must not be stepped again */
    float logp;    /* log softmax(logits)[token], the model's own log-probability */
    float logq;    /* log softmax(logits / tau)[token]; 0 when greedy */
} psamp_step_result;

/* dst becomes the first `keep` tokens of src (0 <= keep <= length of src). dst may be src
 * (a truncation). Forks in one call are applied as if simultaneously: no dst is the src
 * of another fork in the same call. */
typedef struct {
    int32_t dst, src, keep;
} psamp_fork_request;

typedef struct {
    const char *backend; /* "toy", "cpu" or "cuda" */
    char detail[160];    /* one line for run summaries: model shape, dtype, device */
    int32_t vocab_size;
    int32_t n_slots;
    int32_t max_len;     /* tokens one slot can hold, prompt included */
    int32_t min_prompt;  /* tokens a prefill needs at least (OPT: 1, the BOS; toy: 0) */
    uint64_t host_bytes; /* cpu: bytes its slots and scratch took (the weights not counted),
                            what psamp_engine_cpu_bytes predicts; 0 for the others */
} psamp_engine_info;

typedef struct {
    void (*destroy)(psamp_engine *e);
    /* Sets slot to tokens[0..n). With logp non-NULL it also scores them (the design's
     * `score`): logp[i] = log softmax(logits_i / tau)[tokens[i]], the log-probability of
     * tokens[i] after tokens[0..i) at temperature tau > 0 (tau = 1: the model's own log p,
     * what `psamp score` prints; other tau: the per-token renormalised temperature
     * distribution, for H1). logp[0] is 0 where the first token is given context that the
     * model does not predict (the BOS of OPT). tau is ignored when logp is NULL. */
    int (*prefill)(psamp_engine *e, int32_t slot, const int32_t *tokens, int32_t n,
                   float tau, float *logp, psamp_err *err);
    int (*fork)(psamp_engine *e, const psamp_fork_request *forks, int32_t n, psamp_err *err);
    /* Decodes one token for each request (distinct slots), all in one batch. */
    int (*step)(psamp_engine *e, const psamp_step_request *reqs, int32_t n,
                psamp_step_result *out, psamp_err *err);
} psamp_engine_ops;

/* Every engine embeds this as its first member. */
struct psamp_engine {
    const psamp_engine_ops *ops;
    psamp_engine_info info;
};

static inline void psamp_engine_destroy(psamp_engine *e) {
    if (e) e->ops->destroy(e);
}

#ifdef __cplusplus
}
#endif
#endif
