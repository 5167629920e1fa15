/* Reading Qwen2 / Llama / Phi-3 config.json files: both spellings (transformers 4's rope_theta /
 * rope_scaling and 5's rope_parameters), and a one-line refusal naming the key for everything
 * that changes the computation and is not implemented (arch_reference.json's config_keys).
 * Also the sharded-checkpoint errors: an index naming a missing shard or a tensor its shard
 * lacks. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_checkpoint.h"
#include "hf_config.h"
#include "test_files.h"
#include "testlib.h"

/* The fixture's config.json with `edit` (a JSON object) merged over its top level; keys with
 * the value "<delete>" are removed. */
static char *edited_config(const char *fixture, const char *edit) {
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s/config.json", PSAMP_FIXTURES, fixture);
    char *text = psamp_test_read_file(path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL, *patch = cJSON_Parse(edit), *item;
    free(text);
    if (!root || !patch) {
        cJSON_Delete(root);
        cJSON_Delete(patch);
        return NULL;
    }
    cJSON_ArrayForEach(item, patch) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, item->string);
        if (cJSON_IsString(item) && strcmp(item->valuestring, "<delete>") == 0) continue;
        cJSON_AddItemToObject(root, item->string, cJSON_Duplicate(item, 1));
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    cJSON_Delete(patch);
    return out;
}

/* Loads the edited config; returns hf_config_load's result with err filled. */
static int load_edited(const char *dir, const char *fixture, const char *edit, decoder_config *cfg, psamp_err *err) {
    char path[4096];
    char *text = edited_config(fixture, edit);
    test_path(path, dir, "config.json");
    if (!text || test_write_text(path, text) != 0) {
        free(text);
        return psamp_fail(err, "test: cannot write %s", path);
    }
    free(text);
    return hf_config_load(cfg, path, err);
}

static void expect_refusal(psamp_test_state *t, const char *dir, const char *fixture, const char *edit,
                           const char *key) {
    decoder_config cfg;
    psamp_err err = {{0}};
    int rc = load_edited(dir, fixture, edit, &cfg, &err);
    CHECK(t, rc == -1, "%s + %s: accepted, should be refused", fixture, edit);
    CHECK(t, strstr(err.msg, key) != NULL, "%s + %s: message '%s' does not name '%s'", fixture, edit, err.msg, key);
    CHECK(t, strchr(err.msg, '\n') == NULL && strstr(err.msg, "config.json") != NULL,
          "%s: one line naming the file: '%s'", fixture, err.msg);
    printf("  refused: %s\n", err.msg);
}

static void expect_accept(psamp_test_state *t, const char *dir, const char *fixture, const char *edit,
                          decoder_config *cfg) {
    psamp_err err = {{0}};
    CHECK(t, load_edited(dir, fixture, edit, cfg, &err) == 0, "%s + %s: %s", fixture, edit, err.msg);
}

static void check_fixture_configs(psamp_test_state *t, const char *dir) {
    decoder_config c;
    /* v4 spelling, tied, biases */
    expect_accept(t, dir, "qwen2-tiny-gqa", "{}", &c);
    CHECK(t, c.arch == DECODER_QWEN2 && c.qkv_bias && c.tie_word_embeddings && c.n_kv_heads == 2 && c.head_dim == 16 &&
                 c.rope.type == ROPE_DEFAULT && c.rope.theta == 1e6 && c.rms_eps == 1e-6 && c.n_eos == 1 &&
                 c.eos_ids[0] == 1000,
          "qwen2-tiny-gqa config");
    /* v5 spelling: rope_parameters and layer_types */
    expect_accept(t, dir, "qwen2-tiny-sharded", "{}", &c);
    CHECK(t, c.n_heads == 8 && c.n_kv_heads == 2 && c.head_dim == 8 && c.rope.theta == 1e6 && !c.tie_word_embeddings,
          "qwen2-tiny-sharded config");
    expect_accept(t, dir, "llama-tiny-gqa-llama3rope", "{}", &c);
    CHECK(t, c.rope.type == ROPE_LLAMA3 && c.rope.factor == 8.0 && c.rope.original_max_positions == 64 &&
                 c.n_eos == 3 && c.eos_ids[2] == 1009 && !c.qkv_bias,
          "llama3 config: rope and the eos list");
    expect_accept(t, dir, "llama-tiny-mha-f16", "{}", &c);
    CHECK(t, c.rope.theta == 5e5 && c.n_kv_heads == 4 && c.tie_word_embeddings, "llama-tiny-mha-f16 config (v5)");
    expect_accept(t, dir, "phi3-tiny-longrope", "{}", &c);
    CHECK(t, c.fused && c.rope.type == ROPE_LONGROPE && c.rope.original_max_positions == 32 &&
                 c.rope.long_factor[7] == 11.5 && c.rope.short_factor[1] == 1.02,
          "phi3 config: longrope");
    /* Absent num_key_value_heads means MHA; absent head_dim means hidden / heads. */
    expect_accept(t, dir, "llama-tiny-mha-f16", "{\"num_key_value_heads\": null, \"head_dim\": \"<delete>\"}", &c);
    CHECK(t, c.n_kv_heads == 4 && c.head_dim == 16, "defaults of kv heads and head_dim");
    /* Harmless keys: Qwen2.5's unused sliding window, Phi-3.5's huge one, explicit defaults. */
    expect_accept(t, dir, "qwen2-tiny-gqa", "{\"sliding_window\": 32, \"use_sliding_window\": false}", &c);
    expect_accept(t, dir, "phi3-tiny-longrope", "{\"sliding_window\": 128}", &c);
    expect_accept(t, dir, "llama-tiny-mha-f16", "{\"rope_parameters\": {\"rope_theta\": 5e5, \"rope_type\": \"default\", "
                                               "\"partial_rotary_factor\": 1.0}}", &c);
    expect_accept(t, dir, "qwen2-tiny-gqa", "{\"rope_theta\": 1e4, \"rope_scaling\": {\"rope_type\": \"default\"}}", &c);
    CHECK(t, c.rope.theta == 1e4 && c.rope.type == ROPE_DEFAULT, "qwen2 default rope_scaling");
}

static void check_refusals(psamp_test_state *t, const char *dir) {
    expect_refusal(t, dir, "qwen2-tiny-gqa", "{\"use_sliding_window\": true}", "use_sliding_window");
    expect_refusal(t, dir, "qwen2-tiny-sharded",
                   "{\"layer_types\": [\"full_attention\", \"sliding_attention\", \"full_attention\"]}", "layer_types");
    expect_refusal(t, dir, "qwen2-tiny-gqa", "{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}", "linear");
    expect_refusal(t, dir, "qwen2-tiny-gqa", "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}", "yarn");
    expect_refusal(t, dir, "qwen2-tiny-gqa", "{\"hidden_act\": \"gelu\"}", "hidden_act");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope", "{\"attention_bias\": true}", "attention_bias");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope", "{\"mlp_bias\": true}", "mlp_bias");
    expect_refusal(t, dir, "llama-tiny-mha-f16",
                   "{\"rope_parameters\": {\"rope_theta\": 5e5, \"rope_type\": \"dynamic\", \"factor\": 2.0}}", "dynamic");
    expect_refusal(t, dir, "llama-tiny-mha-f16",
                   "{\"rope_parameters\": {\"rope_theta\": 5e5, \"rope_type\": \"default\", \"partial_rotary_factor\": 0.5}}",
                   "partial_rotary_factor");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope",
                   "{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0}}",
                   "high_freq_factor");
    expect_refusal(t, dir, "phi3-tiny-longrope", "{\"sliding_window\": 16}", "sliding_window");
    expect_refusal(t, dir, "phi3-tiny-longrope", "{\"partial_rotary_factor\": 0.75}", "partial_rotary_factor");
    expect_refusal(t, dir, "phi3-tiny-longrope",
                   "{\"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1, 1], \"long_factor\": [1, 2]}}",
                   "short_factor");
    expect_refusal(t, dir, "phi3-tiny-longrope", "{\"original_max_position_embeddings\": \"<delete>\"}",
                   "original_max_position_embeddings");
    expect_refusal(t, dir, "phi3-tiny-longrope", "{\"rope_scaling\": {\"type\": \"dynamic\"}}", "dynamic");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope", "{\"num_key_value_heads\": 3}", "num_key_value_heads");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope", "{\"eos_token_id\": [1001, 4096]}", "eos_token_id");
    expect_refusal(t, dir, "llama-tiny-gqa-llama3rope", "{\"model_type\": \"mistral\"}", "model_type");
    expect_refusal(t, dir, "qwen2-tiny-gqa", "{\"hidden_size\": \"<delete>\"}", "hidden_size");
}

/* A sharded checkpoint whose index names a shard that is not there, or puts a tensor in a
 * shard that lacks it. */
static void check_index_errors(psamp_test_state *t, const char *dir) {
    char path[4096], src[512];
    size_t len;
    snprintf(src, sizeof src, "%s/qwen2-tiny-sharded/config.json", PSAMP_FIXTURES);
    char *config = psamp_test_read_file(src, &len);
    test_write_text(test_path(path, dir, "config.json"), config);
    free(config);
    test_write_text(test_path(path, dir, "model.safetensors.index.json"),
                    "{\"weight_map\": {\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\"}}");
    decoder_checkpoint ck;
    psamp_err err = {{0}};
    int rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1 && strstr(err.msg, "model-00001-of-00002.safetensors") != NULL,
          "missing shard named: '%s'", err.msg);
    printf("  refused: %s\n", err.msg);
    test_write_text(test_path(path, dir, "model.safetensors.index.json"),
                    "{\"weight_map\": {\"model.embed_tokens.weight\": \"../model.safetensors\"}}");
    rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1 && strstr(err.msg, "plain file name") != NULL, "shard outside the folder: '%s'", err.msg);
    /* A real shard that lacks the tensor the map puts in it. */
    char shard[512];
    snprintf(shard, sizeof shard, "%s/qwen2-tiny-sharded/model-00005-of-00005.safetensors", PSAMP_FIXTURES);
    char *bytes = psamp_test_read_file(shard, &len);
    test_write_bytes(test_path(path, dir, "model-00005-of-00005.safetensors"), bytes, len);
    free(bytes);
    test_write_text(test_path(path, dir, "model.safetensors.index.json"),
                    "{\"weight_map\": {\"model.embed_tokens.weight\": \"model-00005-of-00005.safetensors\"}}");
    rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1 && strstr(err.msg, "does not hold it") != NULL && strstr(err.msg, "model.embed_tokens.weight") != NULL,
          "tensor missing from its shard: '%s'", err.msg);
    printf("  refused: %s\n", err.msg);
    remove(test_path(path, dir, "model.safetensors.index.json"));
    rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1 && strstr(err.msg, "model.safetensors.index.json") != NULL, "no weights at all: '%s'", err.msg);
}

/* generation_config.json: its eos_token_id replaces config.json's (as generate() does); absent,
 * null or no file keeps config.json's; a bad one is refused naming the file and the field. */
static void check_generation_config(psamp_test_state *t, const char *dir) {
    char path[4096];
    decoder_config c;
    psamp_err err = {{0}};
    expect_accept(t, dir, "qwen2-tiny-gqa", "{}", &c);
    test_path(path, dir, "generation_config.json");
    CHECK(t, hf_generation_config_load(&c, path, &err) == 0 && c.n_eos == 1 && c.eos_ids[0] == 1000,
          "no generation_config.json: config.json's eos stays (%s)", err.msg);
    test_write_text(path, "{\"eos_token_id\": [1001, 1005, 1000], \"do_sample\": true}");
    CHECK(t, hf_generation_config_load(&c, path, &err) == 0 && c.n_eos == 3 && c.eos_ids[0] == 1001 &&
                 c.eos_ids[1] == 1005 && c.eos_ids[2] == 1000,
          "generation_config.json's eos list replaces config.json's (%s)", err.msg);
    expect_accept(t, dir, "qwen2-tiny-gqa", "{}", &c);
    test_write_text(path, "{\"eos_token_id\": null, \"bos_token_id\": 1000}");
    CHECK(t, hf_generation_config_load(&c, path, &err) == 0 && c.n_eos == 1 && c.eos_ids[0] == 1000,
          "null eos in generation_config.json keeps config.json's (%s)", err.msg);
    const char *bad[][2] = {{"{\"eos_token_id\": 4096}", "eos_token_id"},
                            {"{\"eos_token_id\": [1001, \"x\"]}", "eos_token_id"},
                            {"{\"eos_token_id\": 1.5}", "eos_token_id"},
                            {"[1001]", "not a JSON object"},
                            {"{\"eos_token_id\": ", "malformed JSON"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_accept(t, dir, "qwen2-tiny-gqa", "{}", &c);
        test_write_text(path, bad[i][0]);
        err.msg[0] = '\0';
        int rc = hf_generation_config_load(&c, path, &err);
        CHECK(t, rc == -1 && strstr(err.msg, bad[i][1]) && strstr(err.msg, "generation_config.json") &&
                     !strchr(err.msg, '\n') && c.n_eos == 1 && c.eos_ids[0] == 1000,
              "generation_config.json %s: rc %d, '%s' (config unchanged?)", bad[i][0], rc, err.msg);
    }
    remove(path);
}

/* The checkpoint loader applies generation_config.json: a copy of the qwen2 fixture whose
 * generation config lists two ids ends sequences at both. */
static void check_generation_config_open(psamp_test_state *t, const char *dir) {
    char path[4096], src[512];
    size_t len;
    const char *files[] = {"config.json", "model.safetensors"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(src, sizeof src, "%s/qwen2-tiny-gqa/%s", PSAMP_FIXTURES, files[i]);
        char *bytes = psamp_test_read_file(src, &len);
        test_write_bytes(test_path(path, dir, files[i]), bytes, len);
        free(bytes);
    }
    test_write_text(test_path(path, dir, "generation_config.json"), "{\"eos_token_id\": [1000, 7]}");
    decoder_checkpoint ck;
    psamp_err err = {{0}};
    int rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == 0 && ck.cfg.n_eos == 2 && ck.cfg.eos_ids[0] == 1000 && ck.cfg.eos_ids[1] == 7,
          "checkpoint with generation_config.json: rc %d, %d eos ids (%s)", rc, rc == 0 ? ck.cfg.n_eos : -1, err.msg);
    if (rc == 0) decoder_checkpoint_close(&ck);
    test_write_text(test_path(path, dir, "generation_config.json"), "{\"eos_token_id\": [1000, 99999]}");
    rc = decoder_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1 && strstr(err.msg, "generation_config.json") && strstr(err.msg, "eos_token_id"),
          "bad generation_config.json refused at open: '%s'", err.msg);
    printf("  refused: %s\n", err.msg);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    if (!dir) {
        fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    check_fixture_configs(&t, dir);
    check_refusals(&t, dir);
    check_generation_config(&t, dir);
    test_dir_remove(dir);
    dir = test_dir_create();
    check_generation_config_open(&t, dir);
    test_dir_remove(dir);
    dir = test_dir_create();
    check_index_errors(&t, dir);
    test_dir_remove(dir);
    return psamp_test_finish(&t, "test_hf_config");
}
