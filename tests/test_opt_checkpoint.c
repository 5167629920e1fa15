/* The OPT checkpoint loader on checkpoints written here in C: good ones of every layout
 * (prefix or not, F32/F16/BF16, project_in/out, untied lm_head, no biases, no affine layer
 * norms, post-LN) load with the exact values; each broken one fails with one line naming the
 * file and the field or tensor at fault. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt_config.h"
#include "opt_test_files.h"
#include "safetensors.h"
#include "safetensors_set.h"
#include "test_files.h"
#include "testlib.h"

static opt_config tiny_config(void) {
    opt_config c = opt_config_125m();
    c.vocab_size = 16;
    c.hidden = 8;
    c.word_embed_proj_dim = 8;
    c.ffn_dim = 12;
    c.n_layers = 2;
    c.n_heads = 2;
    c.max_positions = 6;
    return c;
}

/* Writes ck's config and weights into dir, loads them back and compares every tensor. */
static void check_roundtrip(psamp_test_state *t, const char *dir, const opt_config *cfg,
                            const opt_test_write_options *o, const char *what) {
    opt_checkpoint ref, ck;
    psamp_err err = {{0}};
    if (opt_checkpoint_random(&ref, cfg, 7, &err) != 0) {
        CHECK(t, 0, "%s: random checkpoint: %s", what, err.msg);
        return;
    }
    opt_test_write_config(dir, cfg, NULL, NULL);
    opt_test_write_weights(dir, &ref, o);
    int rc = opt_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == 0, "%s: loads: %s", what, err.msg);
    if (rc == 0) {
        CHECK(t, memcmp(&ck.cfg, cfg, sizeof *cfg) == 0, "%s: config read back", what);
        const psamp_tensor *a[512], *b[512];
        int na = opt_test_list_tensors(&ref, a, 512), nb = opt_test_list_tensors(&ck, b, 512);
        CHECK(t, na == nb, "%s: %d tensors vs %d", what, nb, na);
        /* F16/BF16 files hold the rounded values: compare within the dtype's precision. */
        double tol = o->dtype == PSAMP_F32 ? 0.0 : o->dtype == PSAMP_F16 ? 1e-4 : 1e-3;
        for (int i = 0; i < na && i < nb; i++) {
            CHECK(t, strstr(b[i]->name, a[i]->name) != NULL, "%s: tensor %s bound as %s", what,
                  a[i]->name, b[i]->name);
            CHECK(t, b[i]->dtype == o->dtype, "%s: %s dtype", what, b[i]->name);
            int64_t n = psamp_tensor_numel(a[i]);
            float *v = malloc((size_t)n * sizeof *v);
            if (!v) continue;
            psamp_tensor_to_f32(b[i], v);
            double worst = 0;
            for (int64_t k = 0; k < n; k++) {
                double d = fabs((double)v[k] - ((const float *)a[i]->data)[k]);
                if (d > worst) worst = d;
            }
            CHECK(t, worst <= tol, "%s: %s differs by %g", what,
                  b[i]->name, worst);
            free(v);
        }
        CHECK(t, (ck.lm_head.data == ck.embed_tokens.data) == (cfg->tie_word_embeddings != 0),
              "%s: lm_head tied iff tie_word_embeddings", what);
        CHECK(t, (ck.project_in.data != NULL) == (cfg->word_embed_proj_dim != cfg->hidden),
              "%s: project_in iff word_embed_proj_dim != hidden", what);
    }
    opt_checkpoint_close(&ck);
    opt_checkpoint_close(&ref);
}

/* Loading dir must fail with want1 and want2 (when non-NULL) in a one-line message. */
static void expect_error(psamp_test_state *t, const char *dir, const char *what, const char *want1,
                         const char *want2) {
    opt_checkpoint ck;
    psamp_err err = {{0}};
    int rc = opt_checkpoint_open(&ck, dir, &err);
    CHECK(t, rc == -1, "%s: should fail", what);
    CHECK(t, ck.impl == NULL && ck.layers == NULL, "%s: nothing left allocated", what);
    CHECK(t, strstr(err.msg, dir) != NULL, "%s: message names the file: %s", what, err.msg);
    CHECK(t, !want1 || strstr(err.msg, want1), "%s: message lacks '%s': %s", what, want1, err.msg);
    CHECK(t, !want2 || strstr(err.msg, want2), "%s: message lacks '%s': %s", what, want2, err.msg);
    CHECK(t, strchr(err.msg, '\n') == NULL, "%s: one line", what);
    printf("  %-34s %s\n", what, err.msg);
    if (rc == 0) opt_checkpoint_close(&ck);
}

static void check_good_layouts(psamp_test_state *t, const char *dir) {
    opt_config c = tiny_config();
    opt_test_write_options o = {"model.", PSAMP_F32, NULL, NULL, NULL};
    check_roundtrip(t, dir, &c, &o, "pre-LN, model. prefix");
    o.prefix = "";
    check_roundtrip(t, dir, &c, &o, "pre-LN, no prefix");
    o.prefix = "model.";
    o.dtype = PSAMP_F16;
    check_roundtrip(t, dir, &c, &o, "F16 file");
    o.dtype = PSAMP_BF16;
    check_roundtrip(t, dir, &c, &o, "BF16 file");
    o.dtype = PSAMP_F32;
    opt_config post = c;
    post.pre_ln = 0;
    post.has_final_ln = 0;
    post.word_embed_proj_dim = 4;
    check_roundtrip(t, dir, &post, &o, "post-LN with project_in/out");
    opt_config bare = c;
    bare.enable_bias = 0;
    bare.ln_affine = 0;
    bare.tie_word_embeddings = 0;
    check_roundtrip(t, dir, &bare, &o, "no biases, no affine LN, untied");
    opt_config no_final = c;
    no_final.has_final_ln = 0;
    check_roundtrip(t, dir, &no_final, &o, "_remove_final_layer_norm");
}

static void check_config_errors(psamp_test_state *t, const char *dir) {
    opt_config c = tiny_config();
    opt_checkpoint ref;
    psamp_err err = {{0}};
    char path[4096];
    if (opt_checkpoint_random(&ref, &c, 3, &err) != 0) {
        CHECK(t, 0, "random checkpoint: %s", err.msg);
        return;
    }
    opt_test_write_options o = {"model.", PSAMP_F32, NULL, NULL, NULL};
    opt_test_write_weights(dir, &ref, &o);
    opt_checkpoint ck;

    unlink(test_path(path, dir, "config.json"));
    expect_error(t, dir, "missing config.json", "config.json", "cannot open");
    test_write_text(path, "{\"hidden_size\": 8,, }");
    expect_error(t, dir, "malformed config.json", "config.json", "malformed JSON");
    test_write_text(path, "[8]");
    expect_error(t, dir, "config.json not an object", "config.json", "not a JSON object");
    opt_test_write_config(dir, &c, NULL, "hidden_size");
    expect_error(t, dir, "missing hidden_size", "config.json", "missing field 'hidden_size'");
    opt_test_write_config(dir, &c, "\"activation_function\": \"gelu\"", NULL);
    expect_error(t, dir, "gelu activation", "'activation_function'", "\"gelu\"");
    opt_test_write_config(dir, &c, "\"activation_function\": \"ge\\nlu\\u001b\"", NULL);
    expect_error(t, dir, "activation escaped", "'activation_function'", "\"ge\\nlu\\x1b\"");
    opt_test_write_config(dir, &c, "\"activation_function\": \"relu\\u0000gelu\"", NULL);
    expect_error(t, dir, "NUL in a value", "config.json", "U+0000");
    /* Another architecture's config is refused by name, not read as OPT. */
    opt_test_write_config(dir, &c, "\"model_type\": \"gpt2\"", NULL);
    expect_error(t, dir, "model_type gpt2", "field 'model_type' is 'gpt2'",
                 "supported: \"opt\", \"qwen2\", \"llama\", \"phi3\"");
    opt_test_write_config(dir, &c, "\"model_type\": 7", NULL);
    expect_error(t, dir, "model_type not a string", "'model_type' is not a string", "supported");
    opt_test_write_config(dir, &c, "\"model_type\": \"opt\"", NULL);
    CHECK(t, opt_checkpoint_open(&ck, dir, &err) == 0, "model_type opt: %s", err.msg);
    opt_checkpoint_close(&ck);
    opt_test_write_config(dir, &c, "\"ffn_dim\": 12.5", NULL);
    expect_error(t, dir, "fractional ffn_dim", "'ffn_dim'", "integer");
    opt_test_write_config(dir, &c, "\"num_attention_heads\": 3", NULL);
    expect_error(t, dir, "heads do not divide hidden", "'hidden_size'", "num_attention_heads");
    opt_test_write_config(dir, &c, "\"num_hidden_layers\": 0", NULL);
    expect_error(t, dir, "zero layers", "'num_hidden_layers'", "positive");
    opt_test_write_config(dir, &c, "\"eos_token_id\": 16", NULL);
    expect_error(t, dir, "eos outside vocabulary", "'eos_token_id'", "vocabulary");
    opt_test_write_config(dir, &c, "\"enable_bias\": 1", NULL);
    expect_error(t, dir, "non-boolean enable_bias", "'enable_bias'", "true or false");
    /* A config that disagrees with the weights: the tensors' shapes give it away. */
    opt_test_write_config(dir, &c, "\"ffn_dim\": 10", NULL);
    expect_error(t, dir, "config ffn_dim vs weights", "fc1.weight'", "expected shape [10, 8]");
    opt_test_write_config(dir, &c, "\"tie_word_embeddings\": false", NULL);
    expect_error(t, dir, "untied without lm_head", "missing tensor 'lm_head.weight'", NULL);
    /* Defaults: eos/bos/pad and word_embed_proj_dim may be absent or null. */
    opt_test_write_config(dir, &c, "\"word_embed_proj_dim\": null, \"pad_token_id\": null", NULL);
    CHECK(t, opt_checkpoint_open(&ck, dir, &err) == 0, "null proj dim and pad id: %s", err.msg);
    CHECK(t, ck.cfg.word_embed_proj_dim == 8 && ck.cfg.pad_id == -1, "defaults applied");
    opt_checkpoint_close(&ck);
    opt_checkpoint_close(&ref);
}

static void check_weight_errors(psamp_test_state *t, const char *dir) {
    opt_config c = tiny_config();
    opt_checkpoint ref;
    psamp_err err = {{0}};
    char path[4096];
    if (opt_checkpoint_random(&ref, &c, 5, &err) != 0) {
        CHECK(t, 0, "random checkpoint: %s", err.msg);
        return;
    }
    opt_test_write_config(dir, &c, NULL, NULL);
    unlink(test_path(path, dir, "model.safetensors"));
    expect_error(t, dir, "missing model.safetensors", "model.safetensors", "cannot open");

    opt_test_write_options o = {"model.", PSAMP_F32, "decoder.layers.1.fc2.bias", NULL, NULL};
    opt_test_write_weights(dir, &ref, &o);
    expect_error(t, dir, "missing tensor", "missing tensor 'model.decoder.layers.1.fc2.bias'", NULL);
    o.drop = "decoder.embed_tokens.weight";
    o.prefix = "";
    opt_test_write_weights(dir, &ref, &o);
    expect_error(t, dir, "missing embed_tokens", "missing tensor", "decoder.embed_tokens.weight");
    o = (opt_test_write_options){"model.", PSAMP_F32, NULL, "decoder.layers.0.self_attn.k_proj.weight", NULL};
    opt_test_write_config(dir, &c, NULL, NULL);
    opt_test_write_weights(dir, &ref, &o);
    opt_checkpoint ck;
    /* k_proj is square: a transposed copy has the right shape, so make fc1 wrong instead. */
    CHECK(t, opt_checkpoint_open(&ck, dir, &err) == 0, "square transpose loads: %s", err.msg);
    opt_checkpoint_close(&ck);
    o.transpose = "decoder.layers.0.fc1.weight";
    opt_test_write_weights(dir, &ref, &o);
    expect_error(t, dir, "wrong shape", "'model.decoder.layers.0.fc1.weight'",
                 "expected shape [12, 8] from config.json, found [8, 12]");
    o = (opt_test_write_options){"model.", PSAMP_F32, NULL, NULL, "decoder.final_layer_norm.bias"};
    opt_test_write_weights(dir, &ref, &o);
    expect_error(t, dir, "wrong dtype", "'model.decoder.final_layer_norm.bias'", "\"I32\"");

    /* A truncated download: the data ends early. */
    o = (opt_test_write_options){"model.", PSAMP_F32, NULL, NULL, NULL};
    opt_test_write_weights(dir, &ref, &o);
    FILE *f = fopen(test_path(path, dir, "model.safetensors"), "rb");
    static unsigned char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    test_write_bytes(path, buf, n - 100);
    expect_error(t, dir, "truncated model.safetensors", "model.safetensors", "past the data buffer");
    test_write_bytes(path, buf, 200);
    expect_error(t, dir, "truncated inside the header", "model.safetensors", "past the end of the file");
    opt_checkpoint_close(&ref);
}

/* What the sharded-checkpoint tests break in the index they write. */
typedef enum { IDX_GOOD, IDX_UNLISTED, IDX_TWICE, IDX_WRONG_SHARD, IDX_ESCAPE, IDX_NO_MAP } index_fault;

/* Writes dir/model.safetensors.index.json for the shards of `set` (their file names are the
 * fixture's), with one fault. */
static void write_index(const char *dir, const psamp_st_set *set, index_fault fault) {
    static char text[1 << 16];
    size_t at = (size_t)snprintf(text, sizeof text, "{\"metadata\": {}, \"%s\": {",
                                 fault == IDX_NO_MAP ? "weightmap" : "weight_map");
    int first = 1;
    for (int32_t i = 0; i < set->n_files; i++) {
        const char *base = strrchr(set->files[i].path, '/') + 1;
        for (int32_t k = 0; k < set->files[i].n_tensors; k++) {
            const char *name = set->files[i].tensors[k].name;
            int is_first = i == 0 && k == 0;
            if (is_first && fault == IDX_UNLISTED) continue;
            const char *shard = base;
            if (is_first && fault == IDX_WRONG_SHARD) shard = strrchr(set->files[1].path, '/') + 1;
            at += (size_t)snprintf(text + at, sizeof text - at, "%s\"%s\": \"%s%s\"", first ? "" : ",",
                                   name, is_first && fault == IDX_ESCAPE ? "../opt-tiny-sharded/" : "",
                                   shard);
            if (is_first && fault == IDX_TWICE)
                at += (size_t)snprintf(text + at, sizeof text - at, ",\"%s\": \"%s\"", name, shard);
            first = 0;
        }
    }
    snprintf(text + at, sizeof text - at, "}}");
    char path[4096];
    test_write_text(test_path(path, dir, "model.safetensors.index.json"), text);
}

/* opt-tiny-sharded (5 shards written by transformers) loads with tensors bit-identical to
 * opt-tiny-pre's; each broken index or missing shard fails naming the file. */
static void check_sharded(psamp_test_state *t, const char *dir) {
    opt_checkpoint one, sharded;
    psamp_err err = {{0}};
    int rc1 = opt_checkpoint_open(&one, PSAMP_FIXTURES "/opt-tiny-pre", &err);
    CHECK(t, rc1 == 0, "opt-tiny-pre: %s", err.msg);
    int rc2 = opt_checkpoint_open(&sharded, PSAMP_FIXTURES "/opt-tiny-sharded", &err);
    CHECK(t, rc2 == 0, "opt-tiny-sharded loads: %s", err.msg);
    if (rc1 == 0 && rc2 == 0) {
        const psamp_tensor *a[512], *b[512];
        int na = opt_test_list_tensors(&one, a, 512), nb = opt_test_list_tensors(&sharded, b, 512);
        CHECK(t, na == nb && na > 0, "sharded: %d tensors vs %d", nb, na);
        for (int i = 0; i < na && i < nb; i++)
            CHECK(t, strcmp(a[i]->name, b[i]->name) == 0 && a[i]->dtype == b[i]->dtype &&
                         memcmp(a[i]->data, b[i]->data, (size_t)psamp_tensor_numel(a[i]) * 4) == 0,
                  "sharded: %s differs from opt-tiny-pre's", a[i]->name);
    }
    if (rc1 == 0) opt_checkpoint_close(&one);
    if (rc2 == 0) opt_checkpoint_close(&sharded);

    /* Copy the fixture into dir, then break it one way at a time. */
    psamp_st_set set;
    if (psamp_st_set_open(&set, PSAMP_FIXTURES "/opt-tiny-sharded", &err) != 0) {
        CHECK(t, 0, "fixture shards: %s", err.msg);
        return;
    }
    CHECK(t, set.n_files == 5, "5 shards, got %d", set.n_files);
    char path[4096];
    size_t len;
    char *config = psamp_test_read_file(PSAMP_FIXTURES "/opt-tiny-sharded/config.json", &len);
    test_write_bytes(test_path(path, dir, "config.json"), config, len);
    free(config);
    unlink(test_path(path, dir, "model.safetensors"));
    for (int32_t i = 0; i < set.n_files; i++) {
        char *bytes = psamp_test_read_file(set.files[i].path, &len);
        test_write_bytes(test_path(path, dir, strrchr(set.files[i].path, '/') + 1), bytes, len);
        free(bytes);
    }
    opt_checkpoint ck;
    write_index(dir, &set, IDX_GOOD);
    CHECK(t, opt_checkpoint_open(&ck, dir, &err) == 0, "rewritten index loads: %s", err.msg);
    opt_checkpoint_close(&ck);
    const char *first = set.files[0].tensors[0].name;
    write_index(dir, &set, IDX_UNLISTED);
    expect_error(t, dir, "shard tensor not in the index", first, "does not list it");
    write_index(dir, &set, IDX_TWICE);
    expect_error(t, dir, "tensor listed twice", first, "listed twice");
    write_index(dir, &set, IDX_WRONG_SHARD);
    expect_error(t, dir, "tensor listed for another shard", first, "does not hold it");
    write_index(dir, &set, IDX_ESCAPE);
    expect_error(t, dir, "shard path escapes the folder", "../opt-tiny-sharded/", "not a plain file name");
    write_index(dir, &set, IDX_NO_MAP);
    expect_error(t, dir, "no weight_map", "model.safetensors.index.json", "\"weight_map\"");
    write_index(dir, &set, IDX_GOOD);
    const char *last = strrchr(set.files[4].path, '/') + 1;
    unlink(test_path(path, dir, last));
    expect_error(t, dir, "missing shard", last, "is missing");
    unlink(test_path(path, dir, "model.safetensors.index.json"));
    expect_error(t, dir, "neither file", "model.safetensors.index.json", "cannot open");
    for (int32_t i = 0; i < set.n_files; i++)
        unlink(test_path(path, dir, strrchr(set.files[i].path, '/') + 1));
    psamp_st_set_close(&set);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    if (!dir) return 1;
    check_good_layouts(&t, dir);
    check_config_errors(&t, dir);
    check_weight_errors(&t, dir);
    check_sharded(&t, dir);
    test_dir_remove(dir);

    /* The random builder refuses a bad shape like the loader does. */
    opt_config bad = tiny_config();
    bad.n_heads = 3;
    opt_checkpoint ck;
    psamp_err err = {{0}};
    CHECK(&t, opt_checkpoint_random(&ck, &bad, 1, &err) == -1 && strstr(err.msg, "num_attention_heads"),
          "random checkpoint checks its config: %s", err.msg);
    return psamp_test_finish(&t, "test_opt_checkpoint");
}
