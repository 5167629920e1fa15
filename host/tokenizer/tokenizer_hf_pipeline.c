/* tokenizer.json's pipeline around the model: normalizer, pre_tokenizer, post_processor and
 * decoder. Supported are the components Qwen2.5, Llama-3 and Phi-3.5 (Llama-2 style) files
 * use; any other component or option is refused with its JSON path named:
 *   normalizer:     NFC, Prepend, Replace (string pattern), Sequence of these
 *   pre_tokenizer:  Split (Qwen2's or Llama-3's pattern, Isolated), ByteLevel (no prefix
 *                   space), Sequence of one splitting stage then ByteLevel; or none
 *   post_processor: TemplateProcessing (its single template), ByteLevel, Sequence
 *   decoder:        ByteLevel; or Sequence of Replace (string), ByteFallback, Fuse, Strip
 *                   in that order (Strip only after Fuse) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_hf_internal.h"
#include "utf8.h"

#define REGEX_HEAD "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
#define REGEX_TAIL "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
static const char QWEN2_PATTERN[] = REGEX_HEAD "\\p{N}" REGEX_TAIL;
static const char LLAMA3_PATTERN[] = REGEX_HEAD "\\p{N}{1,3}" REGEX_TAIL;

static const char *type_of(const cJSON *obj) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static int is_true(const cJSON *obj, const char *key) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* A {"String": s} pattern's s, or NULL (a Regex pattern or anything else). */
static const char *string_pattern(const cJSON *obj) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "pattern"), "String");
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

static int add_norm(psamp_tok_hf *hf, psamp_hf_norm_kind kind, const char *a, const char *b,
                    const char *path, psamp_err *err) {
    psamp_hf_norm_step *grown = realloc(hf->norm, (size_t)(hf->n_norm + 1) * sizeof *grown);
    if (!grown) return psamp_fail(err, "%s: out of memory", path);
    hf->norm = grown;
    psamp_hf_norm_step *st = &hf->norm[hf->n_norm++];
    *st = (psamp_hf_norm_step){kind, NULL, NULL, 0, 0};
    st->a = strdup(a ? a : "");
    st->b = strdup(b ? b : "");
    if (!st->a || !st->b) return psamp_fail(err, "%s: out of memory", path);
    st->a_len = strlen(st->a);
    st->b_len = strlen(st->b);
    return 0;
}

static int read_normalizer(psamp_tok_hf *hf, const cJSON *n, const char *where, const char *path,
                           psamp_err *err) {
    if (!n || cJSON_IsNull(n)) return 0;
    const char *type = type_of(n);
    if (!type) return psamp_fail(err, "%s: %s has no \"type\"", path, where);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "normalizers");
        if (!cJSON_IsArray(list))
            return psamp_fail(err, "%s: %s.normalizers must be an array", path, where);
        int i = 0;
        for (const cJSON *e = list->child; e; e = e->next, i++) {
            char inner[96];
            snprintf(inner, sizeof inner, "%s.normalizers[%d]", where, i);
            if (!cJSON_IsObject(e)) return psamp_fail(err, "%s: %s must be an object", path, inner);
            if (read_normalizer(hf, e, inner, path, err)) return -1;
        }
        return 0;
    }
    if (strcmp(type, "NFC") == 0) return add_norm(hf, PSAMP_HF_NORM_NFC, NULL, NULL, path, err);
    if (strcmp(type, "Prepend") == 0) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(n, "prepend");
        if (!cJSON_IsString(p)) return psamp_fail(err, "%s: %s.prepend must be a string", path, where);
        return add_norm(hf, PSAMP_HF_NORM_PREPEND, p->valuestring, NULL, path, err);
    }
    if (strcmp(type, "Replace") == 0) {
        const char *pattern = string_pattern(n);
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(n, "content");
        if (!pattern || !pattern[0] || !cJSON_IsString(content))
            return psamp_fail(err, "%s: %s: only Replace with a non-empty {\"String\": ...} pattern "
                              "and a string content is supported", path, where);
        return add_norm(hf, PSAMP_HF_NORM_REPLACE, pattern, content->valuestring, path, err);
    }
    return psamp_fail(err, "%s: %s.type \"%s\" is not supported (NFC, Prepend, Replace, Sequence)",
                      path, where, type);
}

/* One pre-tokenizer; *splits counts the stages that cut text (at most one is supported). */
static int read_pre_one(psamp_tok_hf *hf, const cJSON *p, const char *where, int *splits,
                        const char *path, psamp_err *err) {
    const char *type = type_of(p);
    if (!type) return psamp_fail(err, "%s: %s has no \"type\"", path, where);
    if (strcmp(type, "ByteLevel") == 0) {
        if (is_true(p, "add_prefix_space"))
            return psamp_fail(err, "%s: %s.add_prefix_space true is not supported", path, where);
        hf->byte_level = 1;
        const cJSON *use_regex = cJSON_GetObjectItemCaseSensitive(p, "use_regex");
        if (!use_regex || cJSON_IsTrue(use_regex)) { /* the default is true */
            hf->split = PSAMP_HF_SPLIT_GPT2;
            ++*splits;
        }
    } else if (strcmp(type, "Split") == 0) {
        if (hf->byte_level)
            return psamp_fail(err, "%s: %s: a Split after ByteLevel is not supported", path, where);
        const cJSON *re = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "pattern"), "Regex");
        const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(p, "behavior");
        if (!cJSON_IsString(re))
            return psamp_fail(err, "%s: %s.pattern: only a Regex pattern is supported", path, where);
        if (strcmp(re->valuestring, QWEN2_PATTERN) == 0) hf->split = PSAMP_HF_SPLIT_QWEN2;
        else if (strcmp(re->valuestring, LLAMA3_PATTERN) == 0) hf->split = PSAMP_HF_SPLIT_LLAMA3;
        else
            return psamp_fail(err, "%s: %s.pattern.Regex is not supported (only the Qwen2 and "
                              "Llama-3 patterns)", path, where);
        if (!cJSON_IsString(behavior) || strcmp(behavior->valuestring, "Isolated") != 0 ||
            is_true(p, "invert"))
            return psamp_fail(err, "%s: %s: only behavior \"Isolated\" without invert is supported",
                              path, where);
        ++*splits;
    } else {
        return psamp_fail(err, "%s: %s.type \"%s\" is not supported (Split, ByteLevel, Sequence)",
                          path, where, type);
    }
    if (*splits > 1)
        return psamp_fail(err, "%s: %s: more than one splitting pre-tokenizer is not supported",
                          path, where);
    return 0;
}

static int read_pre_tokenizer(psamp_tok_hf *hf, const cJSON *p, const char *path, psamp_err *err) {
    int splits = 0;
    hf->split = PSAMP_HF_SPLIT_NONE;
    if (!p || cJSON_IsNull(p)) return 0;
    const char *type = type_of(p);
    if (!type || strcmp(type, "Sequence") != 0) return read_pre_one(hf, p, "pre_tokenizer", &splits, path, err);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "pretokenizers");
    if (!cJSON_IsArray(list))
        return psamp_fail(err, "%s: pre_tokenizer.pretokenizers must be an array", path);
    int i = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "pre_tokenizer.pretokenizers[%d]", i);
        if (read_pre_one(hf, e, where, &splits, path, err)) return -1;
    }
    return 0;
}

/* The ids of special token `name` in a TemplateProcessing's special_tokens, appended. */
static int template_ids(const cJSON *specials, const char *name, int32_t **ids, int *n,
                        const char *path, psamp_err *err) {
    const cJSON *ids_json = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(specials, name), "ids");
    if (!cJSON_IsArray(ids_json))
        return psamp_fail(err, "%s: post_processor: special token \"%s\" is not in special_tokens "
                          "with its ids", path, name);
    for (const cJSON *e = ids_json->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= PSAMP_TOK_MAX_ID)
            return psamp_fail(err, "%s: post_processor: an id of \"%s\" is not a valid id", path, name);
        int32_t *grown = realloc(*ids, (size_t)(*n + 1) * sizeof *grown);
        if (!grown) return psamp_fail(err, "%s: out of memory", path);
        *ids = grown;
        (*ids)[(*n)++] = (int32_t)e->valuedouble;
    }
    return 0;
}

static int read_template(psamp_tok_hf *hf, const cJSON *p, const char *path, psamp_err *err) {
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(p, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(p, "special_tokens");
    if (!cJSON_IsArray(single)) return psamp_fail(err, "%s: post_processor.single must be an array", path);
    if (hf->n_prefix || hf->n_suffix)
        return psamp_fail(err, "%s: post_processor: more than one TemplateProcessing", path);
    int seen_a = 0;
    for (const cJSON *e = single->child; e; e = e->next) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(e, "SpecialToken");
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "Sequence");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(sp ? sp : seq, "id");
        if (!cJSON_IsString(id))
            return psamp_fail(err, "%s: post_processor.single: an item is neither SpecialToken nor "
                              "Sequence with an id", path);
        if (seq) {
            if (strcmp(id->valuestring, "A") != 0 || seen_a)
                return psamp_fail(err, "%s: post_processor.single must hold sequence A once", path);
            seen_a = 1;
        } else if (template_ids(specials, id->valuestring, seen_a ? &hf->suffix : &hf->prefix,
                                seen_a ? &hf->n_suffix : &hf->n_prefix, path, err)) {
            return -1;
        }
    }
    if (!seen_a) return psamp_fail(err, "%s: post_processor.single must hold sequence A once", path);
    return 0;
}

static int read_post(psamp_tok_hf *hf, const cJSON *p, const char *where, const char *path,
                     psamp_err *err) {
    if (!p || cJSON_IsNull(p)) return 0;
    const char *type = type_of(p);
    if (!type) return psamp_fail(err, "%s: %s has no \"type\"", path, where);
    if (strcmp(type, "ByteLevel") == 0) return 0; /* offsets only: the ids are unchanged */
    if (strcmp(type, "TemplateProcessing") == 0) return read_template(hf, p, path, err);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "processors");
        if (!cJSON_IsArray(list)) return psamp_fail(err, "%s: %s.processors must be an array", path, where);
        int i = 0;
        for (const cJSON *e = list->child; e; e = e->next, i++) {
            char inner[64];
            snprintf(inner, sizeof inner, "post_processor.processors[%d]", i);
            if (read_post(hf, e, inner, path, err)) return -1;
        }
        return 0;
    }
    return psamp_fail(err, "%s: %s.type \"%s\" is not supported (TemplateProcessing, ByteLevel, "
                      "Sequence)", path, where, type);
}

/* The decoder's stages; Replace steps are applied to each id's piece afterwards. */
typedef struct {
    const char *from[8], *to[8];
    int n_replace, fuse;
} decoder_plan;

static int read_decoder_one(psamp_tok_hf *hf, decoder_plan *plan, const cJSON *d, const char *where,
                            const char *path, psamp_err *err) {
    const char *type = type_of(d);
    if (!type) return psamp_fail(err, "%s: %s has no \"type\"", path, where);
    if (hf->strip_start || hf->strip_stop)
        return psamp_fail(err, "%s: %s: only Strip may come last", path, where);
    if (strcmp(type, "Replace") == 0) {
        const char *pattern = string_pattern(d);
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
        if (!pattern || !pattern[0] || !cJSON_IsString(content))
            return psamp_fail(err, "%s: %s: only Replace with a non-empty {\"String\": ...} "
                              "pattern and a string content is supported", path, where);
        if (hf->decode_byte_fallback || plan->fuse || plan->n_replace == 8)
            return psamp_fail(err, "%s: %s: Replace is supported only before ByteFallback and Fuse "
                              "(at most 8)", path, where);
        plan->from[plan->n_replace] = pattern;
        plan->to[plan->n_replace++] = content->valuestring;
    } else if (strcmp(type, "ByteFallback") == 0) {
        if (plan->fuse) return psamp_fail(err, "%s: %s: ByteFallback after Fuse is not supported", path, where);
        hf->decode_byte_fallback = 1;
    } else if (strcmp(type, "Fuse") == 0) {
        plan->fuse = 1;
    } else if (strcmp(type, "Strip") == 0) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
        const cJSON *start = cJSON_GetObjectItemCaseSensitive(d, "start");
        const cJSON *stop = cJSON_GetObjectItemCaseSensitive(d, "stop");
        uint32_t cp = 0;
        if (!plan->fuse)
            return psamp_fail(err, "%s: %s: Strip is supported only after Fuse", path, where);
        if (!cJSON_IsString(content) || !content->valuestring[0] ||
            psamp_utf8_next((const unsigned char *)content->valuestring,
                            strlen(content->valuestring), 0, &cp) != strlen(content->valuestring) ||
            !cJSON_IsNumber(start) || !cJSON_IsNumber(stop) || start->valuedouble < 0 ||
            stop->valuedouble < 0 || start->valuedouble > 1e6 || stop->valuedouble > 1e6)
            return psamp_fail(err, "%s: %s needs one character \"content\" and counts \"start\", "
                              "\"stop\"", path, where);
        hf->strip_char = cp;
        hf->strip_start = (int)start->valuedouble;
        hf->strip_stop = (int)stop->valuedouble;
    } else {
        return psamp_fail(err, "%s: %s.type \"%s\" is not supported here (Replace, ByteFallback, "
                          "Fuse, Strip; or ByteLevel alone)", path, where, type);
    }
    return 0;
}

/* Appends s[0..len) with every `from` replaced by `to` to buf at *used (room checked by caller). */
static size_t replace_all(const char *s, size_t len, const char *from, const char *to, char *out) {
    size_t fl = strlen(from), tl = strlen(to), o = 0;
    for (size_t i = 0; i < len;) {
        if (len - i >= fl && memcmp(s + i, from, fl) == 0) {
            memcpy(out + o, to, tl);
            o += tl;
            i += fl;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

/* One id's piece for the ByteLevel decoder: its bytes when every character is one of the 256
 * byte characters, else its UTF-8 unchanged (Hugging Face decides per token). */
#define BYTE_CHAR_LIMIT (256 + 68) /* every byte character is below this */
static size_t byte_level_piece(const int16_t char_byte[BYTE_CHAR_LIMIT], const unsigned char *s,
                               size_t len, unsigned char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = psamp_utf8_next(s, len, i, &cp);
        int b = cp < BYTE_CHAR_LIMIT ? char_byte[cp] : -1;
        if (b < 0) {
            memcpy(out, s, len);
            return len;
        }
        out[o++] = (unsigned char)b;
        i += n;
    }
    return o;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int make_pieces(psamp_tokenizer *tok, const decoder_plan *plan, const char *path,
                       psamp_err *err) {
    psamp_tok_hf *hf = tok->hf;
    size_t ids = (size_t)tok->vocab_size, pool = 0, grow = 1;
    for (int r = 0; r < plan->n_replace; r++) {
        size_t fl = strlen(plan->from[r]), tl = strlen(plan->to[r]);
        if (tl > fl) grow *= tl; /* a piece grows at most this factor per Replace */
    }
    for (size_t id = 0; id < ids; id++)
        if (tok->spelling_len[id] > 0) pool += (size_t)tok->spelling_len[id] * grow;
    char *a = malloc(pool + 1), *b = malloc(pool + 1);
    hf->piece_pool = malloc(pool + 1);
    hf->piece_off = calloc(ids, sizeof *hf->piece_off);
    hf->piece_len = malloc(ids * sizeof *hf->piece_len);
    hf->fallback_byte = malloc(ids * sizeof *hf->fallback_byte);
    if (!a || !b || !hf->piece_pool || !hf->piece_off || !hf->piece_len || !hf->fallback_byte) {
        free(a);
        free(b);
        return psamp_fail(err, "%s: out of memory for the decoder", path);
    }
    uint32_t byte_char[256];
    int16_t char_byte[BYTE_CHAR_LIMIT];
    psamp_tok_byte_chars(byte_char);
    for (int c = 0; c < BYTE_CHAR_LIMIT; c++) char_byte[c] = -1;
    for (int k = 0; k < 256; k++) char_byte[byte_char[k]] = (int16_t)k;
    size_t used = 0;
    for (size_t id = 0; id < ids; id++) {
        hf->piece_off[id] = used;
        hf->piece_len[id] = tok->spelling_len[id];
        hf->fallback_byte[id] = -1;
        if (tok->spelling_len[id] < 0) continue;
        const char *s = tok->spelling_pool + tok->spelling_off[id];
        size_t len = (size_t)tok->spelling_len[id];
        if (hf->decode_byte_level) {
            len = byte_level_piece(char_byte, (const unsigned char *)s, len, hf->piece_pool + used);
        } else {
            memcpy(a, s, len);
            for (int r = 0; r < plan->n_replace; r++) {
                len = replace_all(a, len, plan->from[r], plan->to[r], b);
                memcpy(a, b, len);
            }
            memcpy(hf->piece_pool + used, a, len);
            if (hf->decode_byte_fallback && len == 6 && memcmp(a, "<0x", 3) == 0 && a[5] == '>' &&
                hex_digit(a[3]) >= 0 && hex_digit(a[4]) >= 0)
                hf->fallback_byte[id] = (int16_t)(hex_digit(a[3]) * 16 + hex_digit(a[4]));
        }
        hf->piece_len[id] = (int32_t)len;
        used += len;
    }
    free(a);
    free(b);
    return 0;
}

static int read_decoder(psamp_tokenizer *tok, const cJSON *d, const char *path, psamp_err *err) {
    psamp_tok_hf *hf = tok->hf;
    decoder_plan plan = {{NULL}, {NULL}, 0, 0};
    const char *type = d ? type_of(d) : NULL;
    if (!type)
        return psamp_fail(err, "%s: decoder is missing (null joins tokens with spaces; not supported)",
                          path);
    if (strcmp(type, "ByteLevel") == 0) {
        hf->decode_byte_level = 1;
    } else if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(d, "decoders");
        if (!cJSON_IsArray(list)) return psamp_fail(err, "%s: decoder.decoders must be an array", path);
        int i = 0;
        for (const cJSON *e = list->child; e; e = e->next, i++) {
            char where[64];
            snprintf(where, sizeof where, "decoder.decoders[%d]", i);
            if (read_decoder_one(hf, &plan, e, where, path, err)) return -1;
        }
    } else if (read_decoder_one(hf, &plan, d, "decoder", path, err)) {
        return -1;
    }
    return make_pieces(tok, &plan, path, err);
}

/* The byte-level alphabet: every byte's character must be a model token. */
static int find_byte_ids(psamp_tokenizer *tok, const char *path, psamp_err *err) {
    psamp_tok_byte_chars(tok->byte_char);
    for (int b = 0; b < 256; b++) {
        unsigned char utf8[4];
        size_t n = psamp_utf8_encode(tok->byte_char[b], utf8);
        int32_t id = psamp_tok_vocab_find(tok, (const char *)utf8, n);
        tok->byte_id[b] = id >= 0 && tok->hf->in_model[id] ? id : -1;
        if (tok->byte_id[b] < 0)
            return psamp_fail(err, "%s: pre_tokenizer is ByteLevel but model.vocab has no token for "
                              "byte 0x%02X (\"%.*s\")", path, b, (int)n, (const char *)utf8);
    }
    return 0;
}

int psamp_hf_read_pipeline(psamp_tokenizer *tok, const cJSON *root, const char *path,
                           psamp_err *err) {
    psamp_tok_hf *hf = tok->hf;
    static const char *const unsupported[] = {"truncation", "padding"};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, unsupported[k]);
        if (v && !cJSON_IsNull(v))
            return psamp_fail(err, "%s: %s is not supported (must be null)", path, unsupported[k]);
    }
    if (read_normalizer(hf, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), "normalizer", path, err) ||
        read_pre_tokenizer(hf, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), path, err) ||
        read_post(hf, cJSON_GetObjectItemCaseSensitive(root, "post_processor"), "post_processor", path, err) ||
        read_decoder(tok, cJSON_GetObjectItemCaseSensitive(root, "decoder"), path, err))
        return -1;
    if (hf->byte_level && find_byte_ids(tok, path, err)) return -1;
    for (int i = 0; i < hf->n_added; i++)
        if (hf->added[i].normalized && hf->n_norm > 0)
            return psamp_fail(err, "%s: added_tokens[%d] (\"%.*s\"): normalized true with a "
                              "normalizer is not supported", path, i, (int)hf->added[i].len,
                              hf->added[i].text);
    for (int i = 0; i < hf->n_prefix + hf->n_suffix; i++) {
        int32_t id = i < hf->n_prefix ? hf->prefix[i] : hf->suffix[i - hf->n_prefix];
        if (id >= tok->vocab_size || tok->spelling_len[id] < 0)
            return psamp_fail(err, "%s: post_processor: id %d is not in the vocabulary", path, id);
    }
    return 0;
}
