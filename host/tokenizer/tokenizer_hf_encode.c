/* Encoding with a tokenizer.json pipeline, in Hugging Face's order:
 *  1. added tokens whose "normalized" is false are cut out of the raw text: at each point the
 *     leftmost match, the longest of those starting there (their lstrip / rstrip take the
 *     whitespace beside them along);
 *  2. every stretch between them is normalized on its own (so Prepend("▁") puts a "▁" at the
 *     start of each stretch that is not empty), then cut at the normalized added tokens;
 *  3. the pre-tokenizer splits it into pieces (Qwen2 / Llama-3 / GPT-2 pattern, or none);
 *  4. BPE on each piece: ByteLevel pieces start as one symbol per byte; otherwise one per
 *     character, a character outside the vocabulary becoming its <0xXX> byte tokens
 *     (byte_fallback) or the unknown token (consecutive ones fused with fuse_unk); with
 *     ignore_merges a piece that is a vocabulary entry is that entry;
 *  5. with add_special, the post-processor's template around the result. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_hf_internal.h"
#include "unicode_classes.h"
#include "utf8.h"

typedef struct {
    psamp_tok_ids out;
    psamp_tok_bpe_work w;
    char *scratch; /* a piece's byte-level spelling (ignore_merges) */
    size_t scratch_cap;
} encoder;

static int model_id(const psamp_tokenizer *tok, const void *s, size_t len) {
    int32_t id = psamp_tok_vocab_find(tok, (const char *)s, len);
    return id >= 0 && tok->hf->in_model[id] ? id : -1;
}

/* ignore_merges on a byte-level piece: its spelling in GPT-2's byte characters. */
static int byte_level_whole(const psamp_tokenizer *tok, encoder *e, const unsigned char *p,
                            size_t m, int32_t *id, psamp_err *err) {
    if (2 * m > e->scratch_cap) {
        char *bigger = realloc(e->scratch, 2 * m);
        if (!bigger) return psamp_fail(err, "encode: out of memory for a piece of %zu bytes", m);
        e->scratch = bigger;
        e->scratch_cap = 2 * m;
    }
    size_t o = 0;
    for (size_t i = 0; i < m; i++) o += psamp_utf8_encode(tok->byte_char[p[i]], (unsigned char *)e->scratch + o);
    *id = model_id(tok, e->scratch, o);
    return 0;
}

/* The initial symbols of a character-level piece into e->w.sym; returns their count. */
static int32_t char_symbols(const psamp_tokenizer *tok, encoder *e, const unsigned char *p, size_t m) {
    const psamp_tok_hf *hf = tok->hf;
    int32_t n = 0;
    int pending_unk = 0;
    for (size_t i = 0; i < m;) {
        uint32_t cp;
        size_t k = psamp_utf8_next(p, m, i, &cp);
        int32_t id = model_id(tok, p + i, k);
        if (id >= 0 || hf->byte_fallback) { /* byte_fallback has every <0xXX> (checked on load) */
            if (pending_unk) e->w.sym[n++] = hf->unk_id;
            pending_unk = 0;
            if (id >= 0) e->w.sym[n++] = id;
            else
                for (size_t b = 0; b < k; b++) e->w.sym[n++] = hf->fallback_id[p[i + b]];
        } else if (hf->unk_id >= 0) {
            if (pending_unk && !hf->fuse_unk) e->w.sym[n++] = hf->unk_id;
            pending_unk = 1;
        }
        i += k;
    }
    if (pending_unk) e->w.sym[n++] = hf->unk_id;
    return n;
}

static int bpe_piece(const psamp_tokenizer *tok, encoder *e, const unsigned char *p, size_t m,
                     psamp_err *err) {
    const psamp_tok_hf *hf = tok->hf;
    if (m == 0) return 0;
    if (hf->ignore_merges) {
        int32_t id = -1;
        if (hf->byte_level ? byte_level_whole(tok, e, p, m, &id, err) : ((id = model_id(tok, p, m)), 0))
            return -1;
        if (id >= 0) return psamp_tok_push_id(&e->out, id, err);
    }
    if (psamp_tok_bpe_reserve(&e->w, m, err)) return -1;
    int32_t n;
    if (hf->byte_level) {
        n = (int32_t)m;
        for (int32_t i = 0; i < n; i++) e->w.sym[i] = tok->byte_id[p[i]];
    } else {
        n = char_symbols(tok, e, p, m);
    }
    return psamp_tok_bpe_merge(tok, &e->w, n, &e->out, err);
}

static int pretokenize(const psamp_tokenizer *tok, encoder *e, const unsigned char *s, size_t len,
                       psamp_err *err) {
    psamp_hf_split_kind kind = tok->hf->split;
    if (kind == PSAMP_HF_SPLIT_NONE) return bpe_piece(tok, e, s, len, err);
    psamp_tok_pieces it = {s, len, 0};
    size_t start, end;
    while (kind == PSAMP_HF_SPLIT_GPT2 ? psamp_tok_next_piece(&it, &start, &end)
                                       : psamp_hf_next_piece(kind, &it, &start, &end))
        if (bpe_piece(tok, e, s + start, end - start, err)) return -1;
    return 0;
}

/* The leftmost, then longest, added token with the given "normalized" flag in s[from..len);
 * returns its index or -1. */
static int find_added(const psamp_tok_hf *hf, const unsigned char *s, size_t len, size_t from,
                      int normalized, size_t *at) {
    for (size_t i = from; i < len; i++) {
        if (!hf->added_first[s[i]]) continue;
        int best = -1;
        for (int k = 0; k < hf->n_added; k++) {
            const psamp_hf_added *a = &hf->added[k];
            if ((int)a->normalized == normalized && (unsigned char)a->text[0] == s[i] &&
                a->len <= len - i && memcmp(s + i, a->text, a->len) == 0 &&
                (best < 0 || a->len > hf->added[best].len))
                best = k;
        }
        if (best >= 0) {
            *at = i;
            return best;
        }
    }
    return -1;
}

static int is_space_at(const unsigned char *s, size_t len, size_t i, size_t *n) {
    uint32_t cp;
    *n = psamp_utf8_next(s, len, i, &cp);
    return cp != PSAMP_UTF8_INVALID && psamp_unicode_class_of(cp) == PSAMP_UC_SPACE;
}

typedef int (*stretch_fn)(const psamp_tokenizer *tok, encoder *e, const unsigned char *s,
                          size_t len, psamp_err *err);

/* Cuts s at the added tokens with the given "normalized" flag (as Hugging Face's
 * find_matches does): each stretch between goes to `stretch`, each token's id to the output. */
static int split_added(const psamp_tokenizer *tok, encoder *e, const unsigned char *s, size_t len,
                       int normalized, stretch_fn stretch, psamp_err *err) {
    const psamp_tok_hf *hf = tok->hf;
    size_t done = 0, search = 0, at, n;
    int k;
    while (search < len && (k = find_added(hf, s, len, search, normalized, &at)) >= 0) {
        const psamp_hf_added *a = &hf->added[k];
        size_t start = at, stop = at + a->len;
        search = stop;
        if (a->lstrip) { /* whitespace just before, not already taken by the previous token */
            size_t ws = done;
            for (size_t i = done; i < start; i += n)
                if (!is_space_at(s, start, i, &n)) ws = i + n;
            start = ws;
        }
        if (a->rstrip)
            while (stop < len && is_space_at(s, len, stop, &n)) stop += n;
        if (done < start && stretch(tok, e, s + done, start - done, err)) return -1;
        if (psamp_tok_push_id(&e->out, a->id, err)) return -1;
        done = stop;
    }
    return done < len ? stretch(tok, e, s + done, len - done, err) : 0;
}

static int replace_all(const psamp_hf_norm_step *st, const unsigned char *s, size_t len,
                       unsigned char **out, size_t *out_len, psamp_err *err) {
    size_t count = 0;
    for (size_t i = 0; i + st->a_len <= len;)
        if (memcmp(s + i, st->a, st->a_len) == 0) {
            count++;
            i += st->a_len;
        } else {
            i++;
        }
    *out = malloc(len + count * st->b_len + 1);
    if (!*out) return psamp_fail(err, "encode: out of memory normalizing %zu bytes", len);
    size_t o = 0;
    for (size_t i = 0; i < len;)
        if (i + st->a_len <= len && memcmp(s + i, st->a, st->a_len) == 0) {
            memcpy(*out + o, st->b, st->b_len);
            o += st->b_len;
            i += st->a_len;
        } else {
            (*out)[o++] = s[i++];
        }
    *out_len = o;
    return 0;
}

static int normalize_step(const psamp_hf_norm_step *st, const unsigned char *s, size_t len,
                          unsigned char **out, size_t *out_len, psamp_err *err) {
    switch (st->kind) {
    case PSAMP_HF_NORM_NFC:
        return psamp_hf_nfc(s, len, out, out_len, err);
    case PSAMP_HF_NORM_PREPEND: {
        size_t extra = len > 0 ? st->a_len : 0; /* an empty stretch stays empty */
        *out = malloc(len + extra + 1);
        if (!*out) return psamp_fail(err, "encode: out of memory normalizing %zu bytes", len);
        memcpy(*out, st->a, extra);
        memcpy(*out + extra, s, len);
        *out_len = len + extra;
        return 0;
    }
    case PSAMP_HF_NORM_REPLACE:
        return replace_all(st, s, len, out, out_len, err);
    }
    return psamp_fail(err, "encode: unknown normalizer step");
}

static int normalized_stretch(const psamp_tokenizer *tok, encoder *e, const unsigned char *s,
                              size_t len, psamp_err *err) {
    const psamp_tok_hf *hf = tok->hf;
    unsigned char *cur = NULL;
    size_t cur_len = len;
    for (int i = 0; i < hf->n_norm; i++) {
        unsigned char *next;
        size_t next_len;
        if (normalize_step(&hf->norm[i], cur ? cur : s, cur_len, &next, &next_len, err)) {
            free(cur);
            return -1;
        }
        free(cur);
        cur = next;
        cur_len = next_len;
    }
    int rc = split_added(tok, e, cur ? cur : s, cur_len, 1, pretokenize, err);
    free(cur);
    return rc;
}

int psamp_hf_encode(const psamp_tokenizer *tok, const char *text, size_t len, int add_special,
                    int32_t **ids, int32_t *n, psamp_err *err) {
    const psamp_tok_hf *hf = tok->hf;
    *ids = NULL;
    *n = 0;
    if (!text && len > 0) return psamp_fail(err, "encode: text is NULL but len is %zu", len);
    if (len > INT32_MAX / 8) /* normalizing and byte fallback can lengthen the text */
        return psamp_fail(err, "encode: text of %zu bytes is too long (at most %d)", len, INT32_MAX / 8);
    encoder e = {{NULL, 0, 0}, {NULL, NULL, NULL, NULL, 0, 0}, NULL, 0};
    int rc = psamp_tok_push_id(&e.out, 0, err); /* allocate, so *ids is never NULL */
    e.out.n = 0;
    for (int i = 0; rc == 0 && add_special && i < hf->n_prefix; i++)
        rc = psamp_tok_push_id(&e.out, hf->prefix[i], err);
    if (rc == 0)
        rc = split_added(tok, &e, (const unsigned char *)(text ? text : ""), len, 0,
                         normalized_stretch, err);
    for (int i = 0; rc == 0 && add_special && i < hf->n_suffix; i++)
        rc = psamp_tok_push_id(&e.out, hf->suffix[i], err);
    psamp_tok_bpe_work_free(&e.w);
    free(e.scratch);
    if (rc) {
        free(e.out.ids);
        return -1;
    }
    *ids = e.out.ids;
    *n = (int32_t)e.out.n;
    return 0;
}
