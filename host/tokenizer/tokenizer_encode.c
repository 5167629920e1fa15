/* Encoding: special tokens cut out, GPT-2 pieces, then byte-level BPE on each piece. The
 * merge loop (psamp_tok_bpe_merge) is shared with tokenizer.json tokenizers.
 *
 * BPE keeps the piece as a linked list of symbols and a min-heap of candidate merges keyed
 * by (rank, position), so a piece of m bytes costs O(m log m) however long it is. Popping the
 * lowest rank, leftmost first, gives exactly HF's result (merge every occurrence of the
 * best-ranked pair, left to right, then repeat): a merge can never create another copy of
 * the pair just merged. Heap entries are not removed when a neighbour changes; a popped
 * entry is checked against the current pair instead. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

int psamp_tok_push_id(psamp_tok_ids *out, int32_t id, psamp_err *err) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        int32_t *bigger = realloc(out->ids, cap * sizeof *bigger);
        if (!bigger) return psamp_fail(err, "encode: out of memory for %zu ids", cap);
        out->ids = bigger;
        out->cap = cap;
    }
    out->ids[out->n++] = id;
    return 0;
}

int psamp_tok_bpe_reserve(psamp_tok_bpe_work *w, size_t m, psamp_err *err) {
    if (m <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < m) cap *= 2;
    int32_t *sym = realloc(w->sym, cap * sizeof *sym);
    if (sym) w->sym = sym;
    int32_t *prev = realloc(w->prev, cap * sizeof *prev);
    if (prev) w->prev = prev;
    int32_t *next = realloc(w->next, cap * sizeof *next);
    if (next) w->next = next;
    psamp_tok_candidate *heap = realloc(w->heap, 3 * cap * sizeof *heap); /* m-1 pairs + 2 per merge */
    if (heap) w->heap = heap;
    if (!sym || !prev || !next || !heap)
        return psamp_fail(err, "encode: out of memory for a piece of %zu bytes", m);
    w->cap = cap;
    return 0;
}

static int before(psamp_tok_candidate a, psamp_tok_candidate b) {
    return a.rank < b.rank || (a.rank == b.rank && a.left < b.left);
}

static void heap_push(psamp_tok_bpe_work *w, psamp_tok_candidate c) {
    size_t i = w->heap_n++;
    while (i > 0 && before(c, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = c;
}

static psamp_tok_candidate heap_pop(psamp_tok_bpe_work *w) {
    psamp_tok_candidate top = w->heap[0], last = w->heap[--w->heap_n];
    size_t i = 0, n = w->heap_n;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(w->heap[child + 1], w->heap[child])) child++;
        if (!before(w->heap[child], last)) break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (n > 0) w->heap[i] = last;
    return top;
}

/* Queues the pair starting at symbol `left` if the merges know it. */
static void offer_pair(const psamp_tokenizer *tok, psamp_tok_bpe_work *w, int32_t left) {
    if (left < 0 || w->next[left] < 0) return;
    const psamp_tok_merge *m = psamp_tok_merge_find(tok, w->sym[left], w->sym[w->next[left]]);
    if (m) heap_push(w, (psamp_tok_candidate){m->rank, left});
}

int psamp_tok_bpe_merge(const psamp_tokenizer *tok, psamp_tok_bpe_work *w, int32_t n,
                        psamp_tok_ids *out, psamp_err *err) {
    for (int32_t i = 0; i < n; i++) {
        w->prev[i] = i - 1;
        w->next[i] = i + 1 < n ? i + 1 : -1;
    }
    w->heap_n = 0;
    for (int32_t i = 0; i + 1 < n; i++) offer_pair(tok, w, i);
    while (w->heap_n > 0) {
        psamp_tok_candidate c = heap_pop(w);
        int32_t left = c.left, right = w->next[left];
        if (w->sym[left] < 0 || right < 0) continue; /* merged away since it was queued */
        const psamp_tok_merge *mg = psamp_tok_merge_find(tok, w->sym[left], w->sym[right]);
        if (!mg || mg->rank != c.rank) continue; /* a neighbour changed */
        w->sym[left] = mg->merged;
        w->sym[right] = -1;
        w->next[left] = w->next[right];
        if (w->next[right] >= 0) w->prev[w->next[right]] = left;
        offer_pair(tok, w, w->prev[left]);
        offer_pair(tok, w, left);
    }
    for (int32_t i = 0; n > 0 && i >= 0; i = w->next[i]) /* symbol 0 always survives */
        if (psamp_tok_push_id(out, w->sym[i], err)) return -1;
    return 0;
}

void psamp_tok_bpe_work_free(psamp_tok_bpe_work *w) {
    free(w->sym);
    free(w->prev);
    free(w->next);
    free(w->heap);
    *w = (psamp_tok_bpe_work){0};
}

static int bpe_piece(const psamp_tokenizer *tok, const unsigned char *p, size_t m, psamp_tok_bpe_work *w,
                     psamp_tok_ids *out, psamp_err *err) {
    if (m == 1) return psamp_tok_push_id(out, tok->byte_id[p[0]], err);
    if (psamp_tok_bpe_reserve(w, m, err)) return -1;
    int32_t n = (int32_t)m; /* m <= INT32_MAX: checked by the caller */
    for (int32_t i = 0; i < n; i++) w->sym[i] = tok->byte_id[p[i]];
    return psamp_tok_bpe_merge(tok, w, n, out, err);
}

static int encode_stretch(const psamp_tokenizer *tok, const unsigned char *s, size_t len,
                          psamp_tok_bpe_work *w, psamp_tok_ids *out, psamp_err *err) {
    psamp_tok_pieces it = {s, len, 0};
    size_t start, end;
    while (psamp_tok_next_piece(&it, &start, &end))
        if (bpe_piece(tok, s + start, end - start, w, out, err)) return -1;
    return 0;
}

/* The first special token at or after `from` (the longest one where several start at the
 * same byte); returns its index, or -1 with *at = len when none occurs. */
static int find_special(const psamp_tokenizer *tok, const unsigned char *s, size_t len, size_t from,
                        size_t *at) {
    for (size_t i = from; i < len; i++) {
        int best = -1;
        for (int k = 0; k < tok->n_specials; k++) {
            size_t n = tok->specials[k].len;
            if (n > 0 && n <= len - i && s[i] == (unsigned char)tok->specials[k].text[0] &&
                memcmp(s + i, tok->specials[k].text, n) == 0 &&
                (best < 0 || n > tok->specials[best].len))
                best = k;
        }
        if (best >= 0) {
            *at = i;
            return best;
        }
    }
    *at = len;
    return -1;
}

int psamp_tokenizer_encode(const psamp_tokenizer *tok, const char *text, size_t len, int32_t **ids,
                           int32_t *n, psamp_err *err) {
    if (tok->hf) return psamp_hf_encode(tok, text, len, 0, ids, n, err);
    *ids = NULL;
    *n = 0;
    if (!text && len > 0) return psamp_fail(err, "encode: text is NULL but len is %zu", len);
    if (len > INT32_MAX) /* at most one id per byte, so the count fits int32_t */
        return psamp_fail(err, "encode: text of %zu bytes is too long (at most %d)", len, INT32_MAX);
    const unsigned char *s = (const unsigned char *)text;
    psamp_tok_ids out = {NULL, 0, 0};
    psamp_tok_bpe_work w = {NULL, NULL, NULL, NULL, 0, 0};
    int rc = psamp_tok_push_id(&out, 0, err); /* allocate, so *ids is never NULL */
    out.n = 0;
    for (size_t pos = 0; rc == 0 && pos < len;) {
        size_t at;
        int special = find_special(tok, s, len, pos, &at);
        rc = encode_stretch(tok, s + pos, at - pos, &w, &out, err);
        if (rc == 0 && special >= 0) rc = psamp_tok_push_id(&out, tok->specials[special].id, err);
        pos = special >= 0 ? at + tok->specials[special].len : len;
    }
    psamp_tok_bpe_work_free(&w);
    if (rc) {
        free(out.ids);
        return -1;
    }
    *ids = out.ids;
    *n = (int32_t)out.n;
    return 0;
}
