/* Loading a tokenizer.json (parsed once with cJSON, then read stage by stage), choosing the
 * file of a checkpoint directory, and the tokenizer.h calls that take Hugging Face's
 * add_special_tokens / skip_special_tokens. */
#include "tokenizer_hf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"
#include "tokenizer_hf_internal.h"
#include "utf8.h"

/* Real tokenizer.json files are 2-20 MB; the bound only stops a wrong path (a checkpoint)
 * from being read whole. */
#define TOKENIZER_JSON_MAX_BYTES ((size_t)1 << 30)

void psamp_tok_hf_free(psamp_tok_hf *hf) {
    if (!hf) return;
    for (int i = 0; i < hf->n_norm; i++) {
        free(hf->norm[i].a);
        free(hf->norm[i].b);
    }
    free(hf->norm);
    free(hf->in_model);
    free(hf->added);
    free(hf->is_special);
    free(hf->prefix);
    free(hf->suffix);
    free(hf->piece_pool);
    free(hf->piece_off);
    free(hf->piece_len);
    free(hf->fallback_byte);
    free(hf);
}

/* Hugging Face reads the file as UTF-8 and its strings as Rust strings: both must be valid. */
static int check_utf8(const char *s, size_t len, size_t *bad) {
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = psamp_utf8_next((const unsigned char *)s, len, i, &cp);
        if (cp == PSAMP_UTF8_INVALID) {
            *bad = i;
            return -1;
        }
        i += n;
    }
    return 0;
}

static int check_spellings(const psamp_tokenizer *tok, const char *path, psamp_err *err) {
    for (int32_t id = 0; id < tok->vocab_size; id++) {
        size_t bad;
        if (tok->spelling_len[id] > 0 &&
            check_utf8(tok->spelling_pool + tok->spelling_off[id], (size_t)tok->spelling_len[id], &bad))
            return psamp_fail(err, "%s: the token of id %d is not valid UTF-8 (a lone surrogate escape?)",
                              path, id);
    }
    return 0;
}

/* The file with each "\u0000" escape inside a string replaced by PSAMP_HF_NUL_STAND_IN, in
 * place (the text only gets shorter); returns the new length. */
static size_t stand_in_nul(char *text, size_t len) {
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (in_string && c == '\\' && i + 1 < len) {
            if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0) {
                text[o++] = (char)PSAMP_HF_NUL_STAND_IN;
                i += 6;
            } else {
                text[o++] = c;
                text[o++] = text[i + 1];
                i += 2;
            }
            continue;
        }
        if (c == '"') in_string = !in_string;
        text[o++] = c;
        i++;
    }
    text[o] = '\0';
    return o;
}

int psamp_tokenizer_load_json(psamp_tokenizer **out, const char *path, psamp_err *err) {
    *out = NULL;
    if (!path) return psamp_fail(err, "tokenizer: the tokenizer.json path is required");
    char *text;
    size_t len, bad;
    if (psamp_read_file(path, TOKENIZER_JSON_MAX_BYTES, NULL, &text, &len, err)) return -1;
    if (check_utf8(text, len, &bad)) {
        free(text);
        return psamp_fail(err, "%s: not valid UTF-8 at byte %zu", path, bad);
    }
    len = stand_in_nul(text, len);
    const char *parse_end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &parse_end, 1);
    psamp_tokenizer *tok = calloc(1, sizeof *tok);
    int rc = 0;
    if (!root) {
        rc = psamp_fail(err, "%s: malformed JSON near byte %zu", path,
                        parse_end ? (size_t)(parse_end - text) : (size_t)0);
    } else if (!cJSON_IsObject(root)) {
        rc = psamp_fail(err, "%s: expected a JSON object (a Hugging Face tokenizer.json)", path);
    } else if (!tok || !(tok->hf = calloc(1, sizeof *tok->hf))) {
        rc = psamp_fail(err, "%s: out of memory for the tokenizer", path);
    } else {
        rc = psamp_hf_read_model(tok, root, path, err) || check_spellings(tok, path, err) ||
                     psamp_hf_read_pipeline(tok, root, path, err)
                 ? -1
                 : 0;
    }
    cJSON_Delete(root);
    free(text);
    if (rc) {
        psamp_tokenizer_free(tok);
        return -1;
    }
    *out = tok;
    return 0;
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int psamp_tokenizer_load_dir(psamp_tokenizer **out, const char *dir, psamp_err *err) {
    *out = NULL;
    char vocab[4096], merges[4096], json[4096];
    if (!dir) return psamp_fail(err, "tokenizer: the checkpoint directory is required");
    if ((size_t)snprintf(json, sizeof json, "%s/tokenizer.json", dir) >= sizeof json)
        return psamp_fail(err, "%s: directory name too long", dir);
    snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
    snprintf(merges, sizeof merges, "%s/merges.txt", dir);
    if (is_file(vocab) && is_file(merges)) return psamp_tokenizer_load(out, vocab, merges, err);
    if (is_file(json)) return psamp_tokenizer_load_json(out, json, err);
    return psamp_fail(err, "%s: no tokenizer (neither vocab.json + merges.txt nor tokenizer.json)", dir);
}

int psamp_tokenizer_is_json(const psamp_tokenizer *tok) { return tok->hf != NULL; }

int psamp_tokenizer_encode_special(const psamp_tokenizer *tok, const char *text, size_t len,
                                   int32_t **ids, int32_t *n, psamp_err *err) {
    if (tok->hf) return psamp_hf_encode(tok, text, len, 1, ids, n, err);
    return psamp_tokenizer_encode(tok, text, len, ids, n, err);
}

int psamp_tokenizer_decode_skip_special(const psamp_tokenizer *tok, const int32_t *ids, int32_t n,
                                        char **text, size_t *len, psamp_err *err) {
    if (tok->hf) return psamp_hf_decode(tok, ids, n, 1, text, len, err);
    *text = NULL;
    *len = 0;
    if (n < 0 || (n > 0 && !ids)) return psamp_fail(err, "decode: %d ids given without a valid array", n);
    int32_t *kept = malloc(((size_t)n + 1) * sizeof *kept), n_kept = 0;
    if (!kept) return psamp_fail(err, "decode: out of memory for %d ids", n);
    for (int32_t i = 0; i < n; i++) {
        int special = 0;
        for (int k = 0; k < tok->n_specials; k++) special |= ids[i] == tok->specials[k].id;
        if (!special) kept[n_kept++] = ids[i];
    }
    int rc = psamp_tokenizer_decode(tok, kept, n_kept, text, len, err);
    free(kept);
    return rc;
}
