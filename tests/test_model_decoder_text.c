/* Text on Qwen2 / Llama / Phi-3 checkpoints through the model seam (host/backend/model.h):
 * prompts encoded with the folder's tokenizer.json as transformers does with
 * add_special_tokens=True (ids from tests/fixtures/arch_text_reference.json), every
 * config.json eos id recognised (Llama-3's list), completions decoded without special tokens
 * and without a final EOS, and a checkpoint folder without a tokenizer taking ids only. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "testlib.h"

static psamp_model *open_fixture(psamp_test_state *t, const char *name) {
    char dir[512];
    psamp_err err = {{0}};
    psamp_model *m = NULL;
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, name);
    CHECK(t, psamp_model_open(&m, dir, &err) == 0, "%s: %s", name, err.msg);
    return m;
}

/* Each reference case: encode gives transformers' ids. */
static void check_encode_reference(psamp_test_state *t) {
    size_t len;
    char *text = psamp_test_read_file(PSAMP_FIXTURES "/arch_text_reference.json", &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    CHECK(t, root != NULL, "arch_text_reference.json does not parse");
    const cJSON *c, *cases = root ? cJSON_GetObjectItem(root, "cases") : NULL;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItem(c, "model")->valuestring;
        const char *prompt = cJSON_GetObjectItem(c, "text")->valuestring;
        const cJSON *want = cJSON_GetObjectItem(c, "ids");
        psamp_model *m = open_fixture(t, name);
        if (!m) continue;
        int32_t *ids = NULL, n = 0;
        psamp_err err = {{0}};
        CHECK(t, psamp_model_encode(m, prompt, &ids, &n, &err) == 0, "%s: %s", name, err.msg);
        int same = n == cJSON_GetArraySize(want);
        for (int32_t i = 0; same && i < n; i++) same = ids[i] == cJSON_GetArrayItem(want, i)->valueint;
        CHECK(t, same, "%s: ids of '%s' differ from transformers'", name, prompt);
        char *back = NULL;
        size_t back_len = 0;
        const char *want_text = cJSON_GetObjectItem(c, "text_skip_special")->valuestring;
        CHECK(t, psamp_model_completion_text(m, ids, n, 0, &back, &back_len, &err) == 0, "%s: %s", name, err.msg);
        CHECK(t, back && strcmp(back, want_text) == 0, "%s: skip-special decode '%s', want '%s'", name,
              back ? back : "(null)", want_text);
        free(back);
        free(ids);
        psamp_model_close(m);
        n_cases++;
    }
    CHECK(t, n_cases == 6, "expected 6 reference cases, read %d", n_cases);
    cJSON_Delete(root);
    free(text);
}

static void check_eos(psamp_test_state *t) {
    psamp_model *llama = open_fixture(t, "llama-tiny-gqa-llama3rope"); /* eos [1001, 1008, 1009] */
    psamp_model *qwen = open_fixture(t, "qwen2-tiny-mqa-bf16");        /* eos 1002 */
    if (!llama || !qwen) return;
    CHECK(t, psamp_model_is_eos(llama, 1001) && psamp_model_is_eos(llama, 1008) && psamp_model_is_eos(llama, 1009),
          "every id of Llama's eos list must end a sequence");
    CHECK(t, !psamp_model_is_eos(llama, 1000) && !psamp_model_is_eos(llama, 1002), "BOS and others are not EOS");
    CHECK(t, psamp_model_is_eos(qwen, 1002) && !psamp_model_is_eos(qwen, 1000), "qwen2 eos is 1002 only");
    CHECK(t, psamp_model_bos_id(llama) == 1000, "llama bos");

    /* "The answer is 42." then <|eot_id|>: the completion drops the EOS; with special
     * tokens kept, psamp_model_decode shows it. */
    int32_t ids[] = {720, 394, 82, 86, 283, 305, 220, 19, 17, 13, 1009};
    char *text = NULL;
    size_t len = 0;
    psamp_err err = {{0}};
    CHECK(t, psamp_model_completion_text(llama, ids, 11, 1, &text, &len, &err) == 0, "%s", err.msg);
    CHECK(t, text && strcmp(text, "The answer is 42.") == 0, "completion '%s'", text ? text : "(null)");
    free(text);
    CHECK(t, psamp_model_decode(llama, ids, 11, &text, &len, &err) == 0, "%s", err.msg);
    CHECK(t, text && strcmp(text, "The answer is 42.<|eot_id|>") == 0, "decode keeps special tokens: '%s'",
          text ? text : "(null)");
    free(text);
    psamp_model_close(llama);
    psamp_model_close(qwen);
}

/* A checkpoint folder without tokenizer files opens and takes ids; text fails naming it. */
static void check_no_tokenizer(psamp_test_state *t) {
    char dir[] = "/tmp/psamp_notok_XXXXXX", src[600], dst[600];
    if (!mkdtemp(dir)) {
        CHECK(t, 0, "mkdtemp failed");
        return;
    }
    const char *files[] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(src, sizeof src, "%s/qwen2-tiny-gqa/%s", PSAMP_FIXTURES, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        CHECK(t, symlink(src, dst) == 0, "symlink %s", dst);
    }
    psamp_model *m = NULL;
    psamp_err err = {{0}};
    CHECK(t, psamp_model_open(&m, dir, &err) == 0, "no tokenizer must still open: %s", err.msg);
    if (m) {
        int32_t *ids = NULL, n = 0;
        CHECK(t, psamp_model_encode(m, "hi", &ids, &n, &err) != 0 && strstr(err.msg, "no tokenizer.json") &&
                     strstr(err.msg, dir),
              "encode without tokenizer: '%s'", err.msg);
        free(ids);
        psamp_model_close(m);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        unlink(dst);
    }
    rmdir(dir);
}

/* Qwen2.5's tokenizer adds no BOS: the empty prompt is no tokens, which cannot be sampled from. */
static void check_empty_prompt(psamp_test_state *t) {
    psamp_model *qwen = open_fixture(t, "qwen2-tiny-gqa");
    psamp_model *phi = open_fixture(t, "phi3-tiny-longrope");
    if (!qwen || !phi) return;
    int32_t *ids = NULL, n = 0;
    psamp_err err = {{0}};
    CHECK(t, psamp_model_encode(qwen, "", &ids, &n, &err) != 0 && strstr(err.msg, "no BOS"), "qwen2 empty: '%s'",
          err.msg);
    free(ids);
    ids = NULL;
    CHECK(t, psamp_model_encode(phi, "", &ids, &n, &err) == 0 && n == 1 && ids[0] == 1, "phi3 empty prompt is <s>");
    free(ids);
    psamp_model_close(qwen);
    psamp_model_close(phi);
}

int main(void) {
    psamp_test_state t = {0, 0};
    check_encode_reference(&t);
    check_eos(&t);
    check_no_tokenizer(&t);
    check_empty_prompt(&t);
    return psamp_test_finish(&t, "test_model_decoder_text");
}
