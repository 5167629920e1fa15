/* tokenizer.json tokenizers against transformers: every case of
 * tests/fixtures/hf_tokenizer_cases.json (Qwen2-, Llama-3- and Phi-3.5-shaped tokenizers)
 * must give transformers 5's ids, with and without special tokens, and every decode case its
 * text exactly; decoding every encode case's ids gives transformers' text
 * (hf_tokenizer_roundtrip.json), so decode(encode(x)) == x exactly where transformers
 * round-trips. Also: the checkpoint-directory rule, the load time of each fixture (printed),
 * and where the documented transformers 4 differences lie. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "tokenizer_hf.h"

static const char *const NAMES[3] = {"qwen2", "llama3", "phi3"};

static unsigned char *from_hex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n + 1);
    for (size_t i = 0; out && i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)v;
    }
    *len = n;
    return out;
}

static int ids_equal(const int32_t *got, int32_t n_got, const cJSON *want) {
    if (!cJSON_IsArray(want) || n_got != cJSON_GetArraySize(want)) return 0;
    int i = 0;
    for (const cJSON *e = want->child; e; e = e->next, i++)
        if (got[i] != (int32_t)e->valuedouble) return 0;
    return 1;
}

static int32_t *json_ids(const cJSON *arr, int32_t *n) {
    *n = cJSON_GetArraySize(arr);
    int32_t *ids = malloc(((size_t)*n + 1) * sizeof *ids);
    int i = 0;
    for (const cJSON *e = arr->child; ids && e; e = e->next) ids[i++] = (int32_t)e->valuedouble;
    return ids;
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static psamp_tokenizer *load(psamp_test_state *t, int k) {
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizers/%s/tokenizer.json", PSAMP_FIXTURES, NAMES[k]);
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(t, psamp_tokenizer_load_json(&tok, path, &err) == 0, "%s: %s", NAMES[k], err.msg);
    if (tok) printf("%s: loaded in %.2f ms\n", NAMES[k], 1e3 * seconds_since(&t0));
    return tok;
}

static int index_of(const char *name) {
    for (int k = 0; k < 3; k++)
        if (strcmp(NAMES[k], name) == 0) return k;
    return -1;
}

/* One encode case: ids, ids_special, and decode(encode(x)) is valid for a second run. */
static void encode_case(psamp_test_state *t, psamp_tokenizer *tok, const cJSON *c, int k,
                        int *hf4_same) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    size_t len;
    unsigned char *text = from_hex(cJSON_GetObjectItem(c, "hex")->valuestring, &len);
    int32_t *ids = NULL, n = 0;
    psamp_err err = {""};
    CHECK(t, text != NULL, "%s/%s: bad hex", NAMES[k], name);
    if (!text) return;
    CHECK(t, psamp_tokenizer_encode(tok, (const char *)text, len, &ids, &n, &err) == 0, "%s/%s: %s",
          NAMES[k], name, err.msg);
    CHECK(t, ids && ids_equal(ids, n, cJSON_GetObjectItem(c, "ids")), "%s/%s: ids differ",
          NAMES[k], name);
    free(ids);
    ids = NULL;
    CHECK(t, psamp_tokenizer_encode_special(tok, (const char *)text, len, &ids, &n, &err) == 0,
          "%s/%s: %s", NAMES[k], name, err.msg);
    CHECK(t, ids && ids_equal(ids, n, cJSON_GetObjectItem(c, "ids_special")),
          "%s/%s: ids with special tokens differ", NAMES[k], name);
    /* transformers 4's phi3 leaves out the file's <s>: the same ids as without specials. */
    const cJSON *hf4 = cJSON_GetObjectItem(c, "hf4_ids_special");
    if (hf4 && ids && n >= 1) *hf4_same += ids_equal(ids + 1, n - 1, cJSON_GetObjectItem(c, "ids")) &&
                          cJSON_Compare(hf4, cJSON_GetObjectItem(c, "ids"), 1);
    free(ids);
    free(text);
}

static void decode_case(psamp_test_state *t, psamp_tokenizer *tok, const cJSON *c, int k, int i) {
    int32_t n;
    int32_t *ids = json_ids(cJSON_GetObjectItem(c, "ids"), &n);
    int skip = cJSON_IsTrue(cJSON_GetObjectItem(c, "skip_special_tokens"));
    size_t want_len;
    unsigned char *want = from_hex(cJSON_GetObjectItem(c, "hex")->valuestring, &want_len);
    char *text = NULL;
    size_t len = 0;
    psamp_err err = {""};
    int rc = skip ? psamp_tokenizer_decode_skip_special(tok, ids, n, &text, &len, &err)
                  : psamp_tokenizer_decode(tok, ids, n, &text, &len, &err);
    CHECK(t, rc == 0, "%s decode case %d: %s", NAMES[k], i, err.msg);
    CHECK(t, rc == 0 && want && len == want_len && memcmp(text, want, len) == 0,
          "%s decode case %d (skip_special %d): text differs", NAMES[k], i, skip);
    free(text);
    free(want);
    free(ids);
}

static void fixture_cases(psamp_test_state *t, psamp_tokenizer *toks[3]) {
    size_t len;
    char *json = psamp_test_read_file(PSAMP_FIXTURES "/hf_tokenizer_cases.json", &len);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    CHECK(t, root != NULL, "hf_tokenizer_cases.json unreadable");
    if (!root) {
        free(json);
        return;
    }
    int counts[3] = {0, 0, 0}, hf4_cases = 0, hf4_same = 0, decodes = 0, i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "encode")) {
        int k = index_of(cJSON_GetObjectItem(c, "tokenizer")->valuestring);
        if (k < 0 || !toks[k]) continue;
        counts[k]++;
        hf4_cases += cJSON_GetObjectItem(c, "hf4_ids_special") != NULL;
        encode_case(t, toks[k], c, k, &hf4_same);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "decode")) {
        int k = index_of(cJSON_GetObjectItem(c, "tokenizer")->valuestring);
        if (k >= 0 && toks[k]) decode_case(t, toks[k], c, k, i);
        decodes += k >= 0 && toks[k];
        i++;
    }
    for (int k = 0; k < 3; k++) CHECK(t, counts[k] >= 97, "%s: only %d encode cases", NAMES[k], counts[k]);
    CHECK(t, decodes >= 100, "only %d decode cases", decodes);
    CHECK(t, hf4_cases == 97 && hf4_same == 97,
          "phi3: transformers 4 should differ only by the leading <s> (%d of %d)", hf4_same, hf4_cases);
    printf("%d + %d + %d encode cases, %d decode cases\n", counts[0], counts[1], counts[2], decodes);
    cJSON_Delete(root);
    free(json);
}

/* Decodes ids (with or without special tokens) and compares with the hex text. */
static int decodes_to(psamp_tokenizer *tok, const int32_t *ids, int32_t n, int skip, const char *hex) {
    size_t want_len, len;
    unsigned char *want = from_hex(hex, &want_len);
    char *text = NULL;
    psamp_err err = {""};
    int rc = skip ? psamp_tokenizer_decode_skip_special(tok, ids, n, &text, &len, &err)
                  : psamp_tokenizer_decode(tok, ids, n, &text, &len, &err);
    int same = rc == 0 && want && len == want_len && memcmp(text, want, len) == 0;
    free(text);
    free(want);
    return same;
}

/* decode(encode(x)) against transformers' decode of the same ids, for every encode case. */
static void round_trips(psamp_test_state *t, psamp_tokenizer *toks[3]) {
    size_t len;
    char *json = psamp_test_read_file(PSAMP_FIXTURES "/hf_tokenizer_roundtrip.json", &len);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    CHECK(t, root != NULL, "hf_tokenizer_roundtrip.json unreadable");
    int cases = 0, trips[3] = {0, 0, 0};
    const cJSON *c, *list = root ? cJSON_GetObjectItem(root, "cases") : NULL;
    cJSON_ArrayForEach(c, list) {
        int k = index_of(cJSON_GetObjectItem(c, "tokenizer")->valuestring);
        if (k < 0 || !toks[k]) continue;
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        int32_t *ids = NULL, n = 0;
        size_t text_len = 0;
        psamp_err err = {""};
        unsigned char *text = from_hex(cJSON_GetObjectItem(c, "text_hex")->valuestring, &text_len);
        CHECK(t, text && psamp_tokenizer_encode(toks[k], (const char *)text, text_len, &ids, &n, &err) == 0,
              "%s/%s: %s", NAMES[k], name, err.msg);
        CHECK(t, decodes_to(toks[k], ids, n, 0, cJSON_GetObjectItem(c, "decoded_hex")->valuestring),
              "%s/%s: decode(encode(x)) differs from transformers'", NAMES[k], name);
        int same = decodes_to(toks[k], ids, n, 0, cJSON_GetObjectItem(c, "text_hex")->valuestring);
        CHECK(t, same == cJSON_IsTrue(cJSON_GetObjectItem(c, "roundtrip")),
              "%s/%s: round trip %d where transformers' is the opposite", NAMES[k], name, same);
        trips[k] += same;
        free(ids);
        ids = NULL;
        CHECK(t, psamp_tokenizer_encode_special(toks[k], (const char *)text, text_len, &ids, &n, &err) == 0,
              "%s/%s: %s", NAMES[k], name, err.msg);
        CHECK(t, decodes_to(toks[k], ids, n, 1, cJSON_GetObjectItem(c, "decoded_special_skipped_hex")->valuestring),
              "%s/%s: decode(encode_special(x), skip_special) differs from transformers'", NAMES[k], name);
        free(ids);
        free(text);
        cases++;
    }
    CHECK(t, cases >= 292, "only %d round-trip cases", cases);
    printf("round trips: qwen2 %d, llama3 %d, phi3 %d (as transformers)\n", trips[0], trips[1], trips[2]);
    cJSON_Delete(root);
    free(json);
}

/* The directory rule: tokenizer.json alone is read; vocab.json + merges.txt win. */
static void directory_rule(psamp_test_state *t) {
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    CHECK(t, psamp_tokenizer_load_dir(&tok, PSAMP_FIXTURES "/qwen2-tiny-gqa", &err) == 0, "%s", err.msg);
    CHECK(t, tok && psamp_tokenizer_is_json(tok) && psamp_tokenizer_vocab_size(tok) == 1022,
          "qwen2-tiny-gqa: tokenizer.json with 1022 ids");
    CHECK(t, tok && psamp_tokenizer_id(tok, "<|im_end|>") == 1002, "added tokens are looked up");
    psamp_tokenizer_free(tok);
    tok = NULL;
    CHECK(t, psamp_tokenizer_load_dir(&tok, PSAMP_FIXTURES "/opt-tiny-pre", &err) == 0, "%s", err.msg);
    CHECK(t, tok && !psamp_tokenizer_is_json(tok), "opt-tiny-pre: vocab.json + merges.txt");
    psamp_tokenizer_free(tok);
    tok = (psamp_tokenizer *)&tok;
    CHECK(t, psamp_tokenizer_load_dir(&tok, PSAMP_FIXTURES "/tokenizers", &err) == -1 && tok == NULL,
          "a folder without tokenizer files fails");
    CHECK(t, strstr(err.msg, "no tokenizer") && strstr(err.msg, "/tokenizers"), "%s", err.msg);
}

int main(void) {
    psamp_test_state t = {0, 0};
    psamp_tokenizer *toks[3];
    for (int k = 0; k < 3; k++) toks[k] = load(&t, k);
    fixture_cases(&t, toks);
    round_trips(&t, toks);
    directory_rule(&t);
    for (int k = 0; k < 3; k++) psamp_tokenizer_free(toks[k]);
    return psamp_test_finish(&t, "test_tokenizer_hf");
}
