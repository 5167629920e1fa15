/* tokenizer.json's vocabulary: model.vocab (token -> id), model.merges (ranked pairs, as
 * "a b" strings or ["a", "b"] arrays: both exist in the wild) and added_tokens, into the
 * same spelling tables and maps as vocab.json + merges.txt. Only model type BPE is read;
 * every option that would change its output and is not implemented is refused by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_hf_internal.h"

static int is_null_or_absent(const cJSON *v) { return !v || cJSON_IsNull(v); }

static int read_bool(const cJSON *obj, const char *key, int fallback, int *out, const char *path,
                     const char *where, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (is_null_or_absent(v)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsBool(v)) return psamp_fail(err, "%s: %s.%s must be true or false", path, where, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* An integer id in [0, PSAMP_TOK_MAX_ID), or -1. */
static int32_t json_id(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d < PSAMP_TOK_MAX_ID) || d != (double)(int32_t)d) return -1;
    return (int32_t)d;
}

/* Options of model that change the ids; the unsupported ones are refused. */
static int read_model_options(psamp_tok_hf *hf, const cJSON *model, const char *path,
                              psamp_err *err) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (!cJSON_IsString(type))
        return psamp_fail(err, "%s: model.type is missing (only \"BPE\" is supported)", path);
    if (strcmp(type->valuestring, "BPE") != 0)
        return psamp_fail(err, "%s: model.type \"%s\" is not supported (only \"BPE\")", path,
                          type->valuestring);
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (!is_null_or_absent(dropout) && !(cJSON_IsNumber(dropout) && dropout->valuedouble == 0))
        return psamp_fail(err, "%s: model.dropout is not supported (BPE dropout is random)", path);
    static const char *const affixes[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, affixes[k]);
        if (!is_null_or_absent(v) && !(cJSON_IsString(v) && v->valuestring[0] == '\0'))
            return psamp_fail(err, "%s: model.%s is not supported (only null or \"\")", path,
                              affixes[k]);
    }
    if (read_bool(model, "fuse_unk", 0, &hf->fuse_unk, path, "model", err) ||
        read_bool(model, "byte_fallback", 0, &hf->byte_fallback, path, "model", err) ||
        read_bool(model, "ignore_merges", 0, &hf->ignore_merges, path, "model", err))
        return -1;
    return 0;
}

/* Checks added_tokens; counts its content bytes and raises *max_id. */
static int check_added(const cJSON *added, const char *path, int32_t *max_id, size_t *bytes,
                       psamp_err *err) {
    if (is_null_or_absent(added)) return 0;
    if (!cJSON_IsArray(added)) return psamp_fail(err, "%s: added_tokens must be an array", path);
    int i = 0;
    for (const cJSON *e = added->child; e; e = e->next, i++) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
        int32_t id = json_id(cJSON_GetObjectItemCaseSensitive(e, "id"));
        if (!cJSON_IsObject(e) || !cJSON_IsString(content) || content->valuestring[0] == '\0')
            return psamp_fail(err, "%s: added_tokens[%d] needs a non-empty string \"content\"",
                              path, i);
        if (id < 0)
            return psamp_fail(err, "%s: added_tokens[%d].id is not an integer in [0, %d)", path,
                              i, PSAMP_TOK_MAX_ID);
        int single_word = 0;
        if (read_bool(e, "single_word", 0, &single_word, path, "added_tokens[]", err)) return -1;
        if (single_word)
            return psamp_fail(err, "%s: added_tokens[%d] (\"%s\"): single_word is not supported",
                              path, i, content->valuestring);
        if (id > *max_id) *max_id = id;
        *bytes += strlen(content->valuestring);
    }
    return 0;
}

static int check_vocab(const cJSON *vocab, const char *path, int32_t *max_id, int32_t *count,
                       size_t *bytes, psamp_err *err) {
    if (!cJSON_IsObject(vocab))
        return psamp_fail(err, "%s: model.vocab must be an object mapping tokens to ids", path);
    for (const cJSON *e = vocab->child; e; e = e->next) {
        int32_t id = json_id(e);
        const char *key = e->string ? e->string : "";
        char q[80];
        if (id < 0)
            return psamp_fail(err, "%s: model.vocab: the id of \"%s\" is not an integer in [0, %d)",
                              path, psamp_tok_quote(key, strlen(key), q), PSAMP_TOK_MAX_ID);
        if (id > *max_id) *max_id = id;
        (*count)++;
        *bytes += strlen(key);
    }
    if (*count == 0) return psamp_fail(err, "%s: model.vocab is empty", path);
    return 0;
}

/* Gives id its spelling; an id already spelled must be spelled the same (an added token
 * that is also a model token). */
static int set_spelling(psamp_tokenizer *tok, int32_t id, const char *s, size_t *used,
                        const char *path, const char *where, psamp_err *err) {
    size_t len = strlen(s);
    char q1[80], q2[80];
    if (tok->spelling_len[id] >= 0) {
        const char *had = tok->spelling_pool + tok->spelling_off[id];
        int same = (size_t)tok->spelling_len[id] == len;
        for (size_t i = 0; same && i < len; i++)
            same = had[i] == (s[i] == (char)PSAMP_HF_NUL_STAND_IN ? '\0' : s[i]);
        if (same) return 0;
        return psamp_fail(err, "%s: %s: id %d is given to both \"%s\" and \"%s\"", path, where, id,
                          psamp_tok_quote(had, (size_t)tok->spelling_len[id], q1),
                          psamp_tok_quote(s, len, q2));
    }
    for (size_t i = 0; i < len; i++)
        tok->spelling_pool[*used + i] = s[i] == (char)PSAMP_HF_NUL_STAND_IN ? '\0' : s[i];
    tok->spelling_off[id] = *used;
    tok->spelling_len[id] = (int32_t)len;
    *used += len;
    tok->n_tokens++;
    return 0;
}

static int fill_vocab(psamp_tokenizer *tok, const cJSON *vocab, const cJSON *added,
                      size_t bytes, const char *path, psamp_err *err) {
    psamp_tok_hf *hf = tok->hf;
    size_t ids = (size_t)tok->vocab_size, used = 0;
    tok->spelling_pool = malloc(bytes + 1);
    tok->spelling_off = calloc(ids, sizeof *tok->spelling_off);
    tok->spelling_len = malloc(ids * sizeof *tok->spelling_len);
    hf->in_model = calloc(ids, 1);
    hf->is_special = calloc(ids, 1);
    hf->n_added = cJSON_GetArraySize(added);
    hf->added = calloc((size_t)hf->n_added + 1, sizeof *hf->added);
    if (!tok->spelling_pool || !tok->spelling_off || !tok->spelling_len || !hf->in_model ||
        !hf->is_special || !hf->added)
        return psamp_fail(err, "%s: out of memory for %zu tokens", path, ids);
    for (size_t id = 0; id < ids; id++) tok->spelling_len[id] = -1;
    tok->n_tokens = 0;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        int32_t id = json_id(e);
        if (set_spelling(tok, id, e->string ? e->string : "", &used, path, "model.vocab", err))
            return -1;
        hf->in_model[id] = 1;
    }
    int i = 0;
    for (const cJSON *e = added ? added->child : NULL; e; e = e->next, i++) {
        psamp_hf_added *a = &hf->added[i];
        const char *content = cJSON_GetObjectItemCaseSensitive(e, "content")->valuestring;
        a->id = json_id(cJSON_GetObjectItemCaseSensitive(e, "id"));
        if (set_spelling(tok, a->id, content, &used, path, "added_tokens", err)) return -1;
        a->text = tok->spelling_pool + tok->spelling_off[a->id];
        a->len = (size_t)tok->spelling_len[a->id];
        hf->added_first[(unsigned char)a->text[0]] = 1;
        int special = 0, lstrip = 0, rstrip = 0, normalized = 0;
        if (read_bool(e, "special", 0, &special, path, "added_tokens[]", err) ||
            read_bool(e, "lstrip", 0, &lstrip, path, "added_tokens[]", err) ||
            read_bool(e, "rstrip", 0, &rstrip, path, "added_tokens[]", err) ||
            read_bool(e, "normalized", !special, &normalized, path, "added_tokens[]", err))
            return -1;
        a->special = special != 0;
        a->lstrip = lstrip != 0;
        a->rstrip = rstrip != 0;
        a->normalized = normalized != 0;
        if (special) hf->is_special[a->id] = 1;
    }
    return 0;
}

/* The model's id of a token (added-only tokens are not the model's), or -1. */
static int32_t model_id(const psamp_tokenizer *tok, const char *s, size_t len) {
    int32_t id = psamp_tok_vocab_find(tok, s, len);
    return id >= 0 && tok->hf->in_model[id] ? id : -1;
}

/* One merge, "a b" or ["a", "b"], into its two parts. */
static int merge_parts(const cJSON *m, const char *part[2], size_t part_len[2]) {
    if (cJSON_IsString(m)) {
        const char *s = m->valuestring, *space = strchr(s, ' ');
        if (!space || space == s || space[1] == '\0' || strchr(space + 1, ' ')) return -1;
        part[0] = s;
        part_len[0] = (size_t)(space - s);
        part[1] = space + 1;
        part_len[1] = strlen(space + 1);
        return 0;
    }
    if (cJSON_GetArraySize(m) != 2 || !cJSON_IsString(m->child) || !cJSON_IsString(m->child->next))
        return -1;
    for (int k = 0; k < 2; k++) {
        part[k] = k ? m->child->next->valuestring : m->child->valuestring;
        part_len[k] = strlen(part[k]);
        if (part_len[k] == 0) return -1;
    }
    return 0;
}

static int read_merges(psamp_tokenizer *tok, const cJSON *merges, const char *path,
                       psamp_err *err) {
    if (is_null_or_absent(merges)) merges = NULL;
    else if (!cJSON_IsArray(merges)) return psamp_fail(err, "%s: model.merges must be an array", path);
    size_t count = merges ? (size_t)cJSON_GetArraySize(merges) : 0, longest = 0;
    for (const cJSON *m = merges ? merges->child : NULL; m; m = m->next) {
        const char *part[2];
        size_t part_len[2];
        if (merge_parts(m, part, part_len) == 0 && part_len[0] + part_len[1] > longest)
            longest = part_len[0] + part_len[1];
    }
    char *joined = malloc(longest + 1);
    if (!joined || psamp_tok_merge_map_init(tok, count, err)) {
        free(joined);
        return psamp_fail(err, "%s: out of memory for %zu merges", path, count);
    }
    int rank = 0;
    char q[80];
    for (const cJSON *m = merges ? merges->child : NULL; m; m = m->next, rank++) {
        const char *part[2];
        size_t part_len[2];
        int32_t id[2];
        if (merge_parts(m, part, part_len)) {
            free(joined);
            return psamp_fail(err, "%s: model.merges[%d] is not \"a b\" or [\"a\", \"b\"]", path, rank);
        }
        memcpy(joined, part[0], part_len[0]);
        memcpy(joined + part_len[0], part[1], part_len[1]);
        for (size_t i = 0; i < part_len[0] + part_len[1]; i++)
            if (joined[i] == (char)PSAMP_HF_NUL_STAND_IN) joined[i] = '\0';
        for (int k = 0; k < 2; k++) {
            id[k] = model_id(tok, k ? joined + part_len[0] : joined, part_len[k]);
            if (id[k] < 0) {
                free(joined);
                return psamp_fail(err, "%s: model.merges[%d]: token \"%s\" is not in model.vocab",
                                  path, rank, psamp_tok_quote(part[k], part_len[k], q));
            }
        }
        int32_t merged = model_id(tok, joined, part_len[0] + part_len[1]);
        if (merged < 0) {
            psamp_fail(err, "%s: model.merges[%d]: merged token \"%s\" is not in model.vocab", path,
                       rank, psamp_tok_quote(joined, part_len[0] + part_len[1], q));
            free(joined);
            return -1;
        }
        psamp_tok_merge_put(tok, id[0], id[1], rank, merged);
    }
    tok->n_merges = rank;
    free(joined);
    return 0;
}

/* unk_token and the <0xXX> tokens byte_fallback needs. */
static int find_fallbacks(psamp_tokenizer *tok, const cJSON *model, const char *path,
                          psamp_err *err) {
    psamp_tok_hf *hf = tok->hf;
    hf->unk_id = -1;
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    if (cJSON_IsString(unk)) {
        hf->unk_id = model_id(tok, unk->valuestring, strlen(unk->valuestring));
        if (hf->unk_id < 0)
            return psamp_fail(err, "%s: model.unk_token \"%s\" is not in model.vocab", path,
                              unk->valuestring);
    } else if (!is_null_or_absent(unk)) {
        return psamp_fail(err, "%s: model.unk_token must be a string or null", path);
    }
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        hf->fallback_id[b] = model_id(tok, name, 6);
        if (hf->byte_fallback && hf->fallback_id[b] < 0)
            return psamp_fail(err, "%s: model.byte_fallback is true but model.vocab has no \"%s\"",
                              path, name);
    }
    return 0;
}

int psamp_hf_read_model(psamp_tokenizer *tok, const cJSON *root, const char *path, psamp_err *err) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!cJSON_IsObject(model)) return psamp_fail(err, "%s: \"model\" is missing or not an object", path);
    if (read_model_options(tok->hf, model, path, err)) return -1;
    int32_t max_id = -1, count = 0;
    size_t bytes = 0;
    if (check_vocab(cJSON_GetObjectItemCaseSensitive(model, "vocab"), path, &max_id, &count, &bytes, err) ||
        check_added(added, path, &max_id, &bytes, err))
        return -1;
    tok->vocab_size = max_id + 1;
    if (fill_vocab(tok, cJSON_GetObjectItemCaseSensitive(model, "vocab"),
                   cJSON_IsArray(added) ? added : NULL, bytes, path, err))
        return -1;
    if (psamp_tok_vocab_map_build(tok, err)) return psamp_fail_context(err, "%s", path);
    return read_merges(tok, cJSON_GetObjectItemCaseSensitive(model, "merges"), path, err) ||
                   find_fallbacks(tok, model, path, err)
               ? -1
               : 0;
}
