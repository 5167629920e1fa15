/* The k most likely complete sequences of a toy world (toy_exact_top in toy_exact.h), by a
 * k-best Viterbi: for each (length, state) keep the k best prefixes that reach it.
 *
 * Why k per cell suffices: if a prefix is not among the k best reaching its (length, state),
 * then k better prefixes share its future, so any completion of it is beaten k times. The
 * table is T x states x k entries with back-pointers; nothing is enumerated. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "toy_exact.h"

/* Refuse tables above this rather than lean on the allocator for huge worlds. */
#define TOP_TABLE_MAX_BYTES ((size_t)1 << 30)

/* A prefix in the table (its last token and where the rest of it sits in the previous
 * layer), or a complete candidate (then `layer` is the layer of the prefix before `token`). */
typedef struct {
    double score; /* summed log-weights */
    int32_t layer, state, rank, token;
} top_entry;

/* Inserts e into list[0..*n) kept best-first with at most k entries; an equal score goes
 * after the ones already there, so the order is deterministic. */
static void insert_bounded(top_entry *list, int32_t *n, int32_t k, top_entry e) {
    int32_t pos = *n;
    while (pos > 0 && e.score > list[pos - 1].score) pos--;
    if (pos >= k) return;
    int32_t last = *n < k ? *n : k - 1;
    for (int32_t i = last; i > pos; i--) list[i] = list[i - 1];
    list[pos] = e;
    if (*n < k) (*n)++;
}

void toy_ranked_free(toy_ranked *r, int32_t n) {
    if (!r) return;
    for (int32_t i = 0; i < n; i++) free(r[i].tokens);
    free(r);
}

/* Follows back-pointers from a complete candidate to its tokens. */
static int32_t *rebuild(const top_entry *table, size_t S, int32_t k, const top_entry *c) {
    int32_t n = c->layer + 1;
    int32_t *toks = malloc((size_t)n * sizeof *toks);
    if (!toks) return NULL;
    toks[n - 1] = c->token;
    int32_t state = c->state, rank = c->rank;
    for (int32_t layer = c->layer; layer > 0; layer--) {
        const top_entry *e = &table[((size_t)layer * S + (size_t)state) * (size_t)k + (size_t)rank];
        toks[layer - 1] = e->token;
        state = e->state;
        rank = e->rank;
    }
    return toks;
}

/* Extends every prefix of `layer` by one token: into the next layer, or into the
 * complete candidates when the token ends the sequence or reaches T. */
static void extend_layer(const toy_world *w, const double *lw, int32_t T, int32_t k, int32_t layer,
                         top_entry *table, int32_t *count, top_entry *best, int32_t *n_best) {
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    for (size_t s = 0; s < S; s++) {
        const top_entry *cell = &table[((size_t)layer * S + s) * (size_t)k];
        int32_t n_cell = count[(size_t)layer * S + s];
        for (int32_t r = 0; r < n_cell; r++)
            for (size_t t = 0; t < V; t++) {
                double l = lw[s * V + t];
                if (l == -INFINITY) continue;
                top_entry e = {cell[r].score + l, layer, (int32_t)s, r, (int32_t)t};
                int32_t to = w->next[s * V + t];
                if (to == TOY_END || layer + 1 == T) {
                    insert_bounded(best, n_best, k, e);
                } else {
                    size_t dst = (size_t)(layer + 1) * S + (size_t)to;
                    insert_bounded(&table[dst * (size_t)k], &count[dst], k, e);
                }
            }
    }
}

int toy_exact_top(const toy_world *w, const double *lw, int32_t T, int32_t k, double log_z, toy_ranked **out,
                  int32_t *n_out, psamp_err *err) {
    *out = NULL;
    *n_out = 0;
    if (k <= 0) return 0;
    size_t S = (size_t)w->n_states, cells = (size_t)T * S;
    if (cells > TOP_TABLE_MAX_BYTES / sizeof(top_entry) / (size_t)k)
        return psamp_fail(err, "toy world %s: the top-%d table for %d tokens x %d states is too large", w->name, k,
                          T, w->n_states);
    top_entry *table = malloc(cells * (size_t)k * sizeof *table);
    int32_t *count = calloc(cells, sizeof *count);
    top_entry *best = malloc((size_t)k * sizeof *best);
    if (!table || !count || !best) {
        free(table), free(count), free(best);
        return psamp_fail(err, "toy world %s: out of memory for the top-%d table", w->name, k);
    }
    top_entry root = {0.0, -1, -1, -1, -1};
    table[(size_t)w->start * (size_t)k] = root;
    count[w->start] = 1;
    int32_t n_best = 0;
    for (int32_t layer = 0; layer < T; layer++) extend_layer(w, lw, T, k, layer, table, count, best, &n_best);

    toy_ranked *ranked = calloc((size_t)n_best, sizeof *ranked);
    int rc = ranked || n_best == 0 ? 0 : -1;
    for (int32_t i = 0; rc == 0 && i < n_best; i++) {
        ranked[i].tokens = rebuild(table, S, k, &best[i]);
        ranked[i].n = best[i].layer + 1;
        ranked[i].prob = exp(best[i].score - log_z);
        if (!ranked[i].tokens) rc = -1;
    }
    free(table), free(count), free(best);
    if (rc != 0) {
        toy_ranked_free(ranked, n_best);
        return psamp_fail(err, "toy world %s: out of memory for the top sequences", w->name);
    }
    *out = ranked;
    *n_out = n_best;
    return 0;
}
