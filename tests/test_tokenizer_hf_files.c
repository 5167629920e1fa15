/* Broken or unsupported tokenizer.json files each fail with one line naming the file and the
 * field; harmless variations (merges as "a b" strings or as pairs) load and agree. Each case
 * is the qwen2 or phi3 fixture with one field changed. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "test_files.h"
#include "testlib.h"
#include "tokenizer_hf.h"

#define QWEN2 PSAMP_FIXTURES "/tokenizers/qwen2/tokenizer.json"
#define PHI3 PSAMP_FIXTURES "/tokenizers/phi3/tokenizer.json"

static cJSON *fixture(const char *path) {
    size_t len;
    char *text = psamp_test_read_file(path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    return root;
}

static void expect_error(psamp_test_state *t, const char *path, const char *says) {
    psamp_tokenizer *tok = (psamp_tokenizer *)&tok; /* must come back NULL */
    psamp_err err = {""};
    int rc = psamp_tokenizer_load_json(&tok, path, &err);
    CHECK(t, rc == -1 && tok == NULL, "%s: load should fail", says);
    CHECK(t, strstr(err.msg, path) != NULL, "message names %s: \"%s\"", path, err.msg);
    CHECK(t, strstr(err.msg, says) != NULL, "message says \"%s\": \"%s\"", says, err.msg);
    CHECK(t, strchr(err.msg, '\n') == NULL, "message is one line: \"%s\"", err.msg);
    if (rc == 0) psamp_tokenizer_free(tok);
}

/* Writes root (then frees it) as NAME in dir and expects `says`. */
static void expect_json_error(psamp_test_state *t, const char *dir, const char *name, cJSON *root,
                              const char *says) {
    char path[4096];
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    CHECK(t, text != NULL, "%s: cannot build the case", name);
    if (text) {
        test_write_text(test_path(path, dir, name), text);
        expect_error(t, path, says);
    }
    free(text);
    cJSON_Delete(root);
}

static cJSON *item(cJSON *obj, const char *key) { return cJSON_GetObjectItemCaseSensitive(obj, key); }

static void set(cJSON *obj, const char *key, cJSON *value) {
    if (item(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else cJSON_AddItemToObject(obj, key, value);
}

static void raw_files(psamp_test_state *t, const char *dir) {
    char path[4096];
    expect_error(t, "/nonexistent/tokenizer.json", "cannot open");
    test_write_text(test_path(path, dir, "malformed.json"), "{\"model\": {\"type\": \"BPE\",}");
    expect_error(t, path, "malformed JSON near byte");
    test_write_text(test_path(path, dir, "array.json"), "[1, 2]");
    expect_error(t, path, "expected a JSON object");
    test_write_bytes(test_path(path, dir, "latin1.json"), "{\"model\": \"\xE9\"}", 14);
    expect_error(t, path, "not valid UTF-8 at byte 11");
    test_write_text(test_path(path, dir, "no_model.json"), "{\"version\": \"1.0\"}");
    expect_error(t, path, "\"model\" is missing");
}

static void model_fields(psamp_test_state *t, const char *dir) {
    cJSON *r = fixture(QWEN2);
    set(item(r, "model"), "type", cJSON_CreateString("Unigram"));
    expect_json_error(t, dir, "unigram.json", r, "model.type \"Unigram\" is not supported");
    r = fixture(QWEN2);
    set(item(r, "model"), "dropout", cJSON_CreateNumber(0.1));
    expect_json_error(t, dir, "dropout.json", r, "model.dropout is not supported");
    r = fixture(QWEN2);
    set(item(r, "model"), "continuing_subword_prefix", cJSON_CreateString("##"));
    expect_json_error(t, dir, "prefix.json", r, "model.continuing_subword_prefix is not supported");
    r = fixture(QWEN2);
    cJSON_AddNumberToObject(item(item(r, "model"), "vocab"), "bad", -1);
    expect_json_error(t, dir, "negative_id.json", r, "model.vocab: the id of \"bad\" is not an integer");
    r = fixture(QWEN2);
    cJSON_ReplaceItemInArray(item(item(r, "model"), "merges"), 3, cJSON_CreateString("QQQQ q"));
    expect_json_error(t, dir, "merge_unknown.json", r, "model.merges[3]: token \"QQQQ\" is not in model.vocab");
    r = fixture(QWEN2);
    cJSON_ReplaceItemInArray(item(item(r, "model"), "merges"), 0, cJSON_CreateString("a b c"));
    expect_json_error(t, dir, "merge_three.json", r, "model.merges[0] is not \"a b\"");
    r = fixture(QWEN2);
    cJSON_AddItemToArray(item(item(r, "model"), "merges"), cJSON_CreateString("| |"));
    expect_json_error(t, dir, "merge_result.json", r, "merged token \"||\" is not in model.vocab");
    r = fixture(PHI3);
    cJSON_DeleteItemFromObjectCaseSensitive(item(item(r, "model"), "vocab"), "<0x41>");
    expect_json_error(t, dir, "no_byte.json", r, "model.byte_fallback is true but model.vocab has no \"<0x41>\"");
    r = fixture(PHI3);
    set(item(r, "model"), "unk_token", cJSON_CreateString("<nope>"));
    expect_json_error(t, dir, "unk.json", r, "model.unk_token \"<nope>\" is not in model.vocab");
    r = fixture(QWEN2);
    cJSON_DeleteItemFromObjectCaseSensitive(item(item(r, "model"), "vocab"), "\xC4\x80"); /* byte 0 */
    expect_json_error(t, dir, "no_byte_char.json", r, "model.vocab has no token for byte 0x00");
}

static void added_tokens(psamp_test_state *t, const char *dir) {
    cJSON *r = fixture(QWEN2);
    set(cJSON_GetArrayItem(item(r, "added_tokens"), 2), "single_word", cJSON_CreateTrue());
    expect_json_error(t, dir, "single_word.json", r, "added_tokens[2] (\"<|im_end|>\"): single_word is not supported");
    r = fixture(QWEN2);
    set(cJSON_GetArrayItem(item(r, "added_tokens"), 0), "id", cJSON_CreateNumber(5));
    expect_json_error(t, dir, "added_clash.json", r, "added_tokens: id 5 is given to both");
    r = fixture(QWEN2);
    set(cJSON_GetArrayItem(item(r, "added_tokens"), 1), "normalized", cJSON_CreateTrue());
    expect_json_error(t, dir, "added_normalized.json", r, "normalized true with a normalizer is not supported");
    r = fixture(QWEN2);
    set(cJSON_GetArrayItem(item(r, "added_tokens"), 1), "content", cJSON_CreateString(""));
    expect_json_error(t, dir, "added_empty.json", r, "added_tokens[1] needs a non-empty string");
}

static void pipeline_fields(psamp_test_state *t, const char *dir) {
    cJSON *r = fixture(QWEN2);
    set(r, "normalizer", cJSON_Parse("{\"type\": \"NFKC\"}"));
    expect_json_error(t, dir, "nfkc.json", r, "normalizer.type \"NFKC\" is not supported");
    r = fixture(PHI3);
    cJSON_ReplaceItemInArray(item(item(r, "normalizer"), "normalizers"), 1,
                             cJSON_Parse("{\"type\": \"Lowercase\"}"));
    expect_json_error(t, dir, "lowercase.json", r, "normalizer.normalizers[1].type \"Lowercase\" is not supported");
    r = fixture(QWEN2);
    set(r, "pre_tokenizer", cJSON_Parse("{\"type\": \"Metaspace\", \"replacement\": \"_\"}"));
    expect_json_error(t, dir, "metaspace.json", r, "pre_tokenizer.type \"Metaspace\" is not supported");
    r = fixture(QWEN2);
    cJSON *split = cJSON_GetArrayItem(item(item(r, "pre_tokenizer"), "pretokenizers"), 0);
    set(item(split, "pattern"), "Regex", cJSON_CreateString("\\s+|\\S+"));
    expect_json_error(t, dir, "regex.json", r, "pre_tokenizer.pretokenizers[0].pattern.Regex is not supported");
    r = fixture(QWEN2);
    split = cJSON_GetArrayItem(item(item(r, "pre_tokenizer"), "pretokenizers"), 0);
    set(split, "behavior", cJSON_CreateString("MergedWithPrevious"));
    expect_json_error(t, dir, "behavior.json", r, "only behavior \"Isolated\"");
    r = fixture(QWEN2);
    set(cJSON_GetArrayItem(item(item(r, "pre_tokenizer"), "pretokenizers"), 1), "add_prefix_space",
        cJSON_CreateTrue());
    expect_json_error(t, dir, "prefix_space.json", r, "pre_tokenizer.pretokenizers[1].add_prefix_space true is not supported");
    r = fixture(QWEN2);
    set(r, "post_processor", cJSON_Parse("{\"type\": \"BertProcessing\"}"));
    expect_json_error(t, dir, "bert.json", r, "post_processor.type \"BertProcessing\" is not supported");
    r = fixture(PHI3);
    cJSON_DeleteItemFromObjectCaseSensitive(item(r, "post_processor"), "special_tokens");
    expect_json_error(t, dir, "template.json", r, "special token \"<s>\" is not in special_tokens");
    r = fixture(QWEN2);
    set(r, "decoder", cJSON_CreateNull());
    expect_json_error(t, dir, "no_decoder.json", r, "decoder is missing");
    r = fixture(PHI3);
    cJSON_DeleteItemFromArray(item(item(r, "decoder"), "decoders"), 2); /* Fuse */
    expect_json_error(t, dir, "strip_unfused.json", r, "decoder.decoders[2]: Strip is supported only after Fuse");
    r = fixture(PHI3);
    set(r, "decoder", cJSON_Parse("{\"type\": \"Metaspace\"}"));
    expect_json_error(t, dir, "metaspace_decoder.json", r, "decoder.type \"Metaspace\" is not supported");
    r = fixture(QWEN2);
    set(r, "truncation", cJSON_Parse("{\"max_length\": 8}"));
    expect_json_error(t, dir, "truncation.json", r, "truncation is not supported");
}

/* Merges as ["a", "b"] pairs give the same tokenizer as "a b" strings. */
static void merge_formats(psamp_test_state *t, const char *dir) {
    cJSON *r = fixture(QWEN2);
    cJSON *merges = item(item(r, "model"), "merges"), *pairs = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        char *s = strdup(m->valuestring), *space = strchr(s, ' ');
        *space = '\0';
        const char *both[2] = {s, space + 1};
        cJSON_AddItemToArray(pairs, cJSON_CreateStringArray(both, 2));
        free(s);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(item(r, "model"), "merges", pairs);
    char path[4096], *text = cJSON_PrintUnformatted(r);
    test_write_text(test_path(path, dir, "pairs.json"), text);
    free(text);
    cJSON_Delete(r);
    psamp_tokenizer *a = NULL, *b = NULL;
    psamp_err err = {""};
    CHECK(t, psamp_tokenizer_load_json(&a, QWEN2, &err) == 0, "%s", err.msg);
    CHECK(t, psamp_tokenizer_load_json(&b, path, &err) == 0, "%s", err.msg);
    const char *text_in = "def f(x):\n    return x ** 2  # 12345 caf\xC3\xA9";
    int32_t *ia = NULL, *ib = NULL, na = 0, nb = 0;
    if (a && b) {
        CHECK(t, psamp_tokenizer_encode(a, text_in, strlen(text_in), &ia, &na, &err) == 0, "%s", err.msg);
        CHECK(t, psamp_tokenizer_encode(b, text_in, strlen(text_in), &ib, &nb, &err) == 0, "%s", err.msg);
        CHECK(t, na == nb && na > 0 && na < (int32_t)strlen(text_in) &&
                     memcmp(ia, ib, (size_t)na * sizeof *ia) == 0,
              "pairs and strings give the same ids (%d vs %d, merged below %zu)", na, nb, strlen(text_in));
    }
    free(ia);
    free(ib);
    psamp_tokenizer_free(a);
    psamp_tokenizer_free(b);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    CHECK(&t, dir != NULL, "cannot create a temp dir");
    if (!dir) return psamp_test_finish(&t, "test_tokenizer_hf_files");
    raw_files(&t, dir);
    model_fields(&t, dir);
    added_tokens(&t, dir);
    pipeline_fields(&t, dir);
    merge_formats(&t, dir);
    test_dir_remove(dir);
    return psamp_test_finish(&t, "test_tokenizer_hf_files");
}
