/* Reading the tokenizer's two files: vocab.json (token -> id) and merges.txt (ranked pairs).
 * Every problem fails with one line naming the file (and the line or token). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "json_check.h"
#include "tokenizer_internal.h"

/* vocab.json and merges.txt are a few MB at most for any BPE vocabulary; the bound only stops
 * a wrong path (a checkpoint) from being read whole. */
#define TOKENIZER_FILE_MAX_BYTES ((size_t)1 << 30)

/* A token for an error line: printable ASCII and UTF-8 as they are, other bytes as \xNN,
 * cut short when long, so the message stays on one line. */
const char *psamp_tok_quote(const char *s, size_t len, char out[80]) {
    size_t o = 0;
    for (size_t i = 0; i < len && o < 70; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != 0x7F && c != '"' && c != '\\') out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, 80 - o, "\\x%02X", c);
    }
    if (o >= 70) o += (size_t)snprintf(out + o, 80 - o, "...");
    out[o] = '\0';
    return out;
}

/* First pass over the JSON object: every value an integer id in range; the largest id and
 * the total spelling size. */
static int check_vocab_entries(const cJSON *root, const char *path, int32_t *max_id,
                               int32_t *count, size_t *spelling_bytes, psamp_err *err) {
    char q[80];
    *max_id = -1;
    *count = 0;
    *spelling_bytes = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        const char *key = e->string ? e->string : "";
        double v = e->valuedouble;
        if (!cJSON_IsNumber(e) || !(v >= 0 && v < PSAMP_TOK_MAX_ID) || v != (double)(int32_t)v)
            return psamp_fail(err, "%s: the id of token \"%s\" is not an integer in [0, %d)", path,
                              psamp_tok_quote(key, strlen(key), q), PSAMP_TOK_MAX_ID);
        if ((int32_t)v > *max_id) *max_id = (int32_t)v;
        (*count)++;
        *spelling_bytes += strlen(key);
    }
    if (*count == 0) return psamp_fail(err, "%s: the vocabulary is empty", path);
    return 0;
}

static int fill_spellings(psamp_tokenizer *tok, const cJSON *root, size_t spelling_bytes,
                          const char *path, psamp_err *err) {
    size_t ids = (size_t)tok->vocab_size;
    tok->spelling_pool = malloc(spelling_bytes + 1);
    tok->spelling_off = malloc(ids * sizeof *tok->spelling_off);
    tok->spelling_len = malloc(ids * sizeof *tok->spelling_len);
    if (!tok->spelling_pool || !tok->spelling_off || !tok->spelling_len)
        return psamp_fail(err, "%s: out of memory for %zu tokens", path, ids);
    for (size_t id = 0; id < ids; id++) tok->spelling_len[id] = -1;
    size_t used = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        int32_t id = (int32_t)e->valuedouble;
        const char *key = e->string ? e->string : "";
        size_t len = strlen(key);
        if (tok->spelling_len[id] >= 0) {
            char q1[80], q2[80];
            return psamp_fail(err, "%s: id %d is given to both \"%s\" and \"%s\"", path, id,
                              psamp_tok_quote(tok->spelling_pool + tok->spelling_off[id],
                                          (size_t)tok->spelling_len[id], q1),
                              psamp_tok_quote(key, len, q2));
        }
        memcpy(tok->spelling_pool + used, key, len);
        tok->spelling_off[id] = used;
        tok->spelling_len[id] = (int32_t)len;
        used += len;
    }
    return 0;
}

int psamp_tok_read_vocab(psamp_tokenizer *tok, const char *path, psamp_err *err) {
    char *text;
    size_t len;
    if (psamp_read_file(path, TOKENIZER_FILE_MAX_BYTES, NULL, &text, &len, err)) return -1;
    /* len + 1 takes in psamp_read_file's terminating NUL, which cJSON then requires right
     * after the value (and whitespace): trailing garbage is an error. */
    const char *parse_end = NULL;
    if (psamp_json_refuse_nul(text, len, path, err) != 0) {
        free(text);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &parse_end, 1);
    int rc = 0;
    if (!root) {
        rc = psamp_fail(err, "%s: malformed JSON near byte %zu", path,
                        parse_end ? (size_t)(parse_end - text) : (size_t)0);
    } else if (!cJSON_IsObject(root)) {
        rc = psamp_fail(err, "%s: expected a JSON object mapping tokens to ids", path);
    } else {
        int32_t max_id, count;
        size_t spelling_bytes;
        rc = check_vocab_entries(root, path, &max_id, &count, &spelling_bytes, err);
        if (rc == 0) {
            tok->vocab_size = max_id + 1;
            tok->n_tokens = count;
            rc = fill_spellings(tok, root, spelling_bytes, path, err);
        }
        if (rc == 0 && psamp_tok_vocab_map_build(tok, err)) rc = psamp_fail_context(err, "%s", path);
    }
    cJSON_Delete(root);
    free(text);
    return rc;
}

/* Splits a merges line at runs of spaces/tabs; returns the number of fields (counting past 2). */
static int split_fields(const char *line, size_t len, const char *field[2], size_t field_len[2]) {
    int fields = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == len) break;
        size_t startf = i;
        while (i < len && line[i] != ' ' && line[i] != '\t') i++;
        if (fields < 2) {
            field[fields] = line + startf;
            field_len[fields] = i - startf;
        }
        fields++;
    }
    return fields;
}

static int add_merge_line(psamp_tokenizer *tok, const char *line, size_t len, const char *path,
                          int line_no, char *joined, psamp_err *err) {
    const char *field[2];
    size_t field_len[2];
    char q[80];
    int fields = split_fields(line, len, field, field_len);
    if (fields == 0) return 0; /* blank line */
    if (fields != 2)
        return psamp_fail(err, "%s line %d: expected 2 tokens separated by a space, found %d",
                          path, line_no, fields);
    int32_t part[2];
    for (int k = 0; k < 2; k++) {
        part[k] = psamp_tok_vocab_find(tok, field[k], field_len[k]);
        if (part[k] < 0)
            return psamp_fail(err, "%s line %d: token \"%s\" is not in the vocabulary", path,
                              line_no, psamp_tok_quote(field[k], field_len[k], q));
    }
    memcpy(joined, field[0], field_len[0]);
    memcpy(joined + field_len[0], field[1], field_len[1]);
    int32_t merged = psamp_tok_vocab_find(tok, joined, field_len[0] + field_len[1]);
    if (merged < 0)
        return psamp_fail(err, "%s line %d: merged token \"%s\" is not in the vocabulary", path,
                          line_no, psamp_tok_quote(joined, field_len[0] + field_len[1], q));
    psamp_tok_merge_put(tok, part[0], part[1], tok->n_merges++, merged);
    return 0;
}

int psamp_tok_read_merges(psamp_tokenizer *tok, const char *path, psamp_err *err) {
    char *text;
    size_t len;
    if (psamp_read_file(path, TOKENIZER_FILE_MAX_BYTES, NULL, &text, &len, err)) return -1;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    char *joined = malloc(len + 1); /* a merged token is never longer than the file */
    int rc = joined ? psamp_tok_merge_map_init(tok, lines, err)
                    : psamp_fail(err, "%s: out of memory", path);
    if (rc) rc = psamp_fail_context(err, "%s", path);
    int line_no = 0;
    for (size_t pos = 0; rc == 0 && pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_end = nl ? (size_t)(nl - text) : len, line_len = line_end - pos;
        if (line_len > 0 && text[line_end - 1] == '\r') line_len--;
        line_no++;
        int is_header = line_no == 1 && line_len >= 8 && memcmp(text + pos, "#version", 8) == 0;
        if (!is_header) rc = add_merge_line(tok, text + pos, line_len, path, line_no, joined, err);
        pos = line_end + 1;
    }
    free(joined);
    free(text);
    return rc;
}
