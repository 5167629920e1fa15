/* The tokenizer against Hugging Face: every case of tests/fixtures/tokenizer_cases.json (ids
 * from transformers' GPT2Tokenizer, invalid UTF-8 included) must encode to the same ids and
 * decode back to the same bytes; decode cases give HF's bytes; a seeded fuzz over random byte
 * strings must round-trip exactly. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tokenizer.h"

/* Hex string -> malloc'd bytes (at least 1 byte allocated). */
static unsigned char *from_hex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
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
    if (n_got != cJSON_GetArraySize(want)) return 0;
    int32_t i = 0;
    for (const cJSON *e = want->child; e; e = e->next, i++)
        if (got[i] != (int32_t)e->valuedouble) return 0;
    return 1;
}

static void check_encode_case(psamp_test_state *t, const psamp_tokenizer *tok, const cJSON *c) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const cJSON *want = cJSON_GetObjectItem(c, "ids");
    size_t len = 0;
    unsigned char *text = from_hex(cJSON_GetObjectItem(c, "hex")->valuestring, &len);
    CHECK(t, text != NULL, "%s: bad hex", name);
    if (!text) return;
    int32_t *ids = NULL, n = 0;
    psamp_err err = {""};
    int rc = psamp_tokenizer_encode(tok, (const char *)text, len, &ids, &n, &err);
    CHECK(t, rc == 0, "%s: encode failed: %s", name, err.msg);
    if (rc == 0) {
        CHECK(t, ids_equal(ids, n, want), "%s: %d ids differ from HF's %d", name, n,
              cJSON_GetArraySize(want));
        char *back = NULL;
        size_t back_len = 0;
        rc = psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err);
        CHECK(t, rc == 0 && back_len == len && memcmp(back, text, len) == 0,
              "%s: decode(encode(x)) != x (%s)", name, err.msg);
        free(back);
    }
    free(ids);
    free(text);
}

static void check_decode_case(psamp_test_state *t, const psamp_tokenizer *tok, const cJSON *c) {
    const cJSON *jids = cJSON_GetObjectItem(c, "ids");
    int32_t n = cJSON_GetArraySize(jids), ids[64];
    CHECK(t, n <= 64, "decode case too long");
    if (n > 64) return;
    for (int32_t i = 0; i < n; i++) ids[i] = (int32_t)cJSON_GetArrayItem(jids, i)->valuedouble;
    size_t want_len = 0, len = 0;
    unsigned char *want = from_hex(cJSON_GetObjectItem(c, "hex")->valuestring, &want_len);
    char *text = NULL;
    psamp_err err = {""};
    int rc = psamp_tokenizer_decode(tok, ids, n, &text, &len, &err);
    CHECK(t, rc == 0 && want && len == want_len && memcmp(text, want, len) == 0,
          "decode of %d ids: got %zu bytes, want %zu (%s)", n, len, want_len, err.msg);
    CHECK(t, rc != 0 || text[len] == '\0', "decoded text is NUL-terminated");
    free(text);
    free(want);
}

static void check_lookups_and_decode_errors(psamp_test_state *t, const psamp_tokenizer *tok) {
    CHECK(t, psamp_tokenizer_vocab_size(tok) == 1024, "vocab size %d", psamp_tokenizer_vocab_size(tok));
    const char *specials[4] = {"<s>", "<pad>", "</s>", "<unk>"};
    for (int i = 0; i < 4; i++)
        CHECK(t, psamp_tokenizer_id(tok, specials[i]) == i, "%s -> %d", specials[i],
              psamp_tokenizer_id(tok, specials[i]));
    CHECK(t, psamp_tokenizer_id(tok, "no such token") == -1, "absent token gives -1");
    CHECK(t, psamp_tokenizer_id(tok, "\xc4\xa0t") >= 0, "the merge \"\xc4\xa0t\" is a token");

    const int32_t bad[3][2] = {{5, 1024}, {-1, 5}, {5, 2147483647}};
    const char *named[3] = {"ids[1] = 1024", "ids[0] = -1", "ids[1] = 2147483647"};
    for (int k = 0; k < 3; k++) {
        char *text = NULL;
        size_t len = 0;
        psamp_err err = {""};
        int rc = psamp_tokenizer_decode(tok, bad[k], 2, &text, &len, &err);
        CHECK(t, rc == -1 && text == NULL && strstr(err.msg, named[k]) && !strchr(err.msg, '\n'),
              "out-of-range decode: rc %d, message \"%s\"", rc, err.msg);
    }
    int32_t *ids = NULL, n = -1;
    psamp_err err = {""};
    CHECK(t, psamp_tokenizer_encode(tok, "", 0, &ids, &n, &err) == 0 && n == 0 && ids != NULL,
          "empty text encodes to no ids");
    free(ids);
}

/* xorshift64*: a fixed stream of test inputs, independent of the platform's rand(). */
static uint64_t next_random(uint64_t *state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C(0x2545F4914F6CDD1D);
}

/* Random byte strings drawn from an alphabet rich in the pattern's edge cases (spaces,
 * apostrophes, contractions, specials, multi-byte and broken UTF-8) must round-trip. */
static void fuzz_round_trip(psamp_test_state *t, const psamp_tokenizer *tok) {
    static const char *const atoms[] = {
        " ", "  ", "\n", "\t", "\r\n", "'", "'s", "'ll", "a", "Z", "the", " of", "7", "42",
        ".", "!?", "\xc3\xa9", "e\xcc\x81", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xe2\x80\x8d",
        "\xc2\xa0", "\xe3\x80\x80", "</s>", "<pad>", "<s", "\xff", "\x80", "\xc3", "\xe2\x82",
        "\xed\xa0\x80", "\x00", "\x1f"};
    const int n_atoms = (int)(sizeof atoms / sizeof atoms[0]);
    uint64_t state = UINT64_C(0x9E3779B97F4A7C15);
    unsigned char buf[256];
    int failures = 0;
    for (int iter = 0; iter < 4000 && failures < 5; iter++) {
        size_t len = 0, target = next_random(&state) % 96;
        while (len < target) {
            uint64_t r = next_random(&state);
            if (r % 3 == 0) { /* a uniformly random byte */
                buf[len++] = (unsigned char)(r >> 8);
            } else {
                const char *a = atoms[(r >> 8) % (uint64_t)n_atoms];
                size_t al = a[0] ? strlen(a) : 1; /* the "\x00" atom is one NUL byte */
                if (len + al > sizeof buf) break;
                memcpy(buf + len, a, al);
                len += al;
            }
        }
        int32_t *ids = NULL, n = 0;
        char *back = NULL;
        size_t back_len = 0;
        psamp_err err = {""};
        int ok = psamp_tokenizer_encode(tok, (const char *)buf, len, &ids, &n, &err) == 0 &&
                 psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) == 0 &&
                 back_len == len && memcmp(back, buf, len) == 0 && n <= (int32_t)len;
        CHECK(t, ok, "fuzz case %d (%zu bytes) does not round-trip: %s", iter, len, err.msg);
        failures += !ok;
        free(ids);
        free(back);
    }
}

int main(void) {
    psamp_test_state t = {0, 0};
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    int rc = psamp_tokenizer_load(&tok, PSAMP_FIXTURES "/tokenizer/vocab.json",
                                  PSAMP_FIXTURES "/tokenizer/merges.txt", &err);
    CHECK(&t, rc == 0, "load: %s", err.msg);
    size_t json_len = 0;
    char *json_text = psamp_test_read_file(PSAMP_FIXTURES "/tokenizer_cases.json", &json_len);
    cJSON *cases = json_text ? cJSON_Parse(json_text) : NULL;
    CHECK(&t, cases != NULL, "cannot read tokenizer_cases.json");
    if (rc == 0 && cases) {
        check_lookups_and_decode_errors(&t, tok);
        const cJSON *encode = cJSON_GetObjectItem(cases, "encode");
        const cJSON *decode = cJSON_GetObjectItem(cases, "decode");
        CHECK(&t, cJSON_GetArraySize(encode) >= 50 && cJSON_GetArraySize(decode) >= 5,
              "the fixture has its cases");
        for (const cJSON *c = encode->child; c; c = c->next) check_encode_case(&t, tok, c);
        for (const cJSON *c = decode->child; c; c = c->next) check_decode_case(&t, tok, c);
        fuzz_round_trip(&t, tok);
    }
    cJSON_Delete(cases);
    free(json_text);
    psamp_tokenizer_free(tok);
    return psamp_test_finish(&t, "test_tokenizer");
}
