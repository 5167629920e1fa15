/* Every complete sequence of a small toy world with its exact probabilities
 * (toy_exact_enumerate in toy_exact.h): what the sampler's statistical tests compare chain
 * frequencies against. The size is counted by dynamic programming first, so a world too
 * large to list is refused before anything is allocated for it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toy_exact.h"

int toy_exact_count(const toy_world *w, int32_t max_tokens, double *count, double *total_tokens, psamp_err *err) {
    if (max_tokens < 1 || max_tokens > w->length)
        return psamp_fail(err, "toy world %s: max new tokens %d is outside [1, %d] (its length)", w->name,
                          max_tokens, w->length);
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    double *cnt = calloc(2 * S, sizeof *cnt);
    if (!cnt) return psamp_fail(err, "toy world %s: out of memory for counting", w->name);
    double *cur = cnt, *nxt = cnt + S, n = 0.0, tokens = 0.0;
    cur[w->start] = 1.0;
    for (int32_t k = 1; k <= max_tokens; k++) {
        memset(nxt, 0, S * sizeof *nxt);
        for (size_t s = 0; s < S; s++) {
            if (cur[s] == 0.0) continue;
            for (size_t t = 0; t < V; t++) {
                int32_t to = w->next[s * V + t];
                if (to == TOY_IMPOSSIBLE) continue;
                if (to == TOY_END || k == max_tokens) {
                    n += cur[s];
                    tokens += cur[s] * k;
                } else {
                    nxt[to] += cur[s];
                }
            }
        }
        double *tmp = cur;
        cur = nxt, nxt = tmp;
    }
    free(cnt);
    *count = n;
    *total_tokens = tokens;
    return 0;
}

void toy_enumeration_free(toy_enumeration *e) {
    if (!e) return;
    free(e->seqs);
    free(e->pool);
    e->seqs = NULL;
    e->pool = NULL;
    e->n = 0;
}

/* Depth-first walk in token-id order, so the list comes out sorted. The walk state per
 * depth: the state reached, log p and log q so far, and the next token to try. */
typedef struct {
    int32_t *tok, *state, *next_tok;
    double *lp, *lq;
} walk_stack;

static void walk_all(const toy_world *w, const double *lq_w, int32_t T, walk_stack *st, toy_enumeration *e) {
    size_t V = (size_t)w->n_tokens;
    int64_t at = 0;
    size_t pool_at = 0;
    int32_t depth = 0;
    st->state[0] = w->start;
    st->lp[0] = st->lq[0] = 0.0;
    st->next_tok[0] = 0;
    while (depth >= 0) {
        if (st->next_tok[depth] == w->n_tokens) {
            depth--;
            continue;
        }
        int32_t t = st->next_tok[depth]++;
        size_t cell = (size_t)st->state[depth] * V + (size_t)t;
        int32_t to = w->next[cell];
        if (to == TOY_IMPOSSIBLE) continue;
        st->tok[depth] = t;
        double lp = st->lp[depth] + w->logp[cell], lq = st->lq[depth] + lq_w[cell];
        if (to == TOY_END || depth + 1 == T) {
            toy_sequence *q = &e->seqs[at++];
            memcpy(e->pool + pool_at, st->tok, (size_t)(depth + 1) * sizeof *e->pool);
            q->n = depth + 1;
            q->tokens = e->pool + pool_at;
            q->ended = to == TOY_END;
            q->logp = lp;
            q->temperature = exp(lq);
            pool_at += (size_t)(depth + 1);
        } else {
            depth++;
            st->state[depth] = to;
            st->lp[depth] = lp;
            st->lq[depth] = lq;
            st->next_tok[depth] = 0;
        }
    }
}

static int check_enumerate_args(double alpha, double temperature, int64_t limit, psamp_err *err) {
    if (!(alpha > 0.0 && isfinite(alpha))) return psamp_fail(err, "enumerate: alpha %g is not a finite number > 0", alpha);
    if (!(temperature >= 0.0 && isfinite(temperature)))
        return psamp_fail(err, "enumerate: temperature %g is not a finite number >= 0", temperature);
    if (limit < 0) return psamp_fail(err, "enumerate: limit %lld is negative", (long long)limit);
    return 0;
}

int toy_exact_enumerate(const toy_world *w, int32_t max_tokens, double alpha, double temperature, int64_t limit,
                        toy_enumeration *out, psamp_err *err) {
    toy_enumeration e = {max_tokens, alpha, temperature, 0.0, 0, NULL, NULL};
    double count, total_tokens;
    memset(out, 0, sizeof *out);
    if (check_enumerate_args(alpha, temperature, limit, err) != 0) return -1;
    if (toy_exact_count(w, max_tokens, &count, &total_tokens, err) != 0) return -1;
    if (isinf(count))
        return psamp_fail(err, "toy world %s: too large to enumerate (more than 1e308 sequences > limit %lld)",
                          w->name, (long long)limit);
    if (count > (double)limit)
        return psamp_fail(err, "toy world %s: too large to enumerate (%.17g sequences > limit %lld)", w->name,
                          count, (long long)limit);
    double *lq_w = NULL;
    if (toy_exact_log_weights(w, TOY_WEIGHT_TEMPERATURE, temperature, &lq_w, err) != 0) return -1;
    size_t T = (size_t)max_tokens;
    walk_stack st;
    int32_t *ints = malloc(3 * (T + 1) * sizeof *ints);
    double *dbls = malloc(2 * (T + 1) * sizeof *dbls);
    e.n = (int64_t)count;
    e.seqs = malloc((size_t)e.n * sizeof *e.seqs);
    e.pool = malloc((size_t)total_tokens * sizeof *e.pool);
    if (!ints || !dbls || !e.seqs || !e.pool) {
        free(lq_w), free(ints), free(dbls);
        toy_enumeration_free(&e);
        return psamp_fail(err, "toy world %s: out of memory enumerating %lld sequences", w->name, (long long)count);
    }
    st.tok = ints, st.state = ints + T + 1, st.next_tok = ints + 2 * (T + 1);
    st.lp = dbls, st.lq = dbls + T + 1;
    walk_all(w, lq_w, max_tokens, &st, &e);
    free(lq_w), free(ints), free(dbls);
    /* Z_alpha from the list itself, so the listed powers sum to 1 to rounding. */
    double top = -INFINITY, sum = 0.0;
    for (int64_t i = 0; i < e.n; i++)
        if (alpha * e.seqs[i].logp > top) top = alpha * e.seqs[i].logp;
    for (int64_t i = 0; i < e.n; i++) sum += exp(alpha * e.seqs[i].logp - top);
    double log_z = top + log(sum);
    for (int64_t i = 0; i < e.n; i++) e.seqs[i].power = exp(alpha * e.seqs[i].logp - log_z);
    e.log_z = log_z;
    *out = e;
    return 0;
}

static int compare_tokens(const int32_t *a, int32_t na, const int32_t *b, int32_t nb) {
    int32_t n = na < nb ? na : nb;
    for (int32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return na < nb ? -1 : na > nb ? 1 : 0;
}

int64_t toy_enumeration_find(const toy_enumeration *e, const int32_t *tokens, int32_t n) {
    int64_t lo = 0, hi = e->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = compare_tokens(e->seqs[mid].tokens, e->seqs[mid].n, tokens, n);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
