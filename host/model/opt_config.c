/* OPT config.json: Hugging Face's OPTConfig fields, defaults and consistency checks. */
#include "opt_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_config.h"
#include "file_read.h"
#include "json_check.h"

/* A config.json is a few KB; refuse anything absurd before reading it whole. */
#define CONFIG_MAX_BYTES (1 << 20)

opt_config opt_config_125m(void) {
    opt_config c;
    memset(&c, 0, sizeof c);
    c.vocab_size = 50272;
    c.hidden = 768;
    c.ffn_dim = 3072;
    c.n_layers = 12;
    c.n_heads = 12;
    c.max_positions = 2048;
    c.word_embed_proj_dim = 768;
    c.pre_ln = 1;
    c.enable_bias = 1;
    c.ln_affine = 1;
    c.has_final_ln = 1;
    c.bos_id = 2;
    c.eos_id = 2;
    c.pad_id = 1;
    c.tie_word_embeddings = 1;
    return c;
}

int opt_config_check(const opt_config *c, const char *where, psamp_err *err) {
    const struct {
        const char *field;
        int32_t value;
    } sizes[] = {{"vocab_size", c->vocab_size},
                 {"hidden_size", c->hidden},
                 {"ffn_dim", c->ffn_dim},
                 {"num_hidden_layers", c->n_layers},
                 {"num_attention_heads", c->n_heads},
                 {"max_position_embeddings", c->max_positions},
                 {"word_embed_proj_dim", c->word_embed_proj_dim}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].value <= 0)
            return psamp_fail(err, "%s: field '%s' must be positive, got %d", where,
                              sizes[i].field, sizes[i].value);
    if (c->hidden % c->n_heads != 0)
        return psamp_fail(err, "%s: field 'hidden_size' (%d) is not divisible by num_attention_heads (%d)",
                          where, c->hidden, c->n_heads);
    /* Positions are looked up at position + 2; keep that inside int32. */
    if (c->max_positions > INT32_MAX - 2)
        return psamp_fail(err, "%s: field 'max_position_embeddings' is too large", where);
    const struct {
        const char *field;
        int32_t value;
    } ids[] = {{"bos_token_id", c->bos_id}, {"eos_token_id", c->eos_id}, {"pad_token_id", c->pad_id}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].value < -1 || ids[i].value >= c->vocab_size)
            return psamp_fail(err, "%s: field '%s' = %d is outside the vocabulary [0, %d)", where,
                              ids[i].field, ids[i].value, c->vocab_size);
    return 0;
}

/* An integer field: absent -> *out = dflt (or an error when required); null -> -1 when
 * nullable. */
static int read_int(const cJSON *root, const char *path, const char *key, int required,
                    int nullable, int32_t dflt, int32_t *out, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) {
        if (required) return psamp_fail(err, "%s: missing field '%s'", path, key);
        *out = dflt;
        return 0;
    }
    if (nullable && cJSON_IsNull(v)) {
        *out = -1;
        return 0;
    }
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(d >= (double)INT32_MIN && d <= (double)INT32_MAX) || floor(d) != d)
        return psamp_fail(err, "%s: field '%s' must be an integer", path, key);
    *out = (int32_t)d;
    return 0;
}

static int read_bool(const cJSON *root, const char *path, const char *key, int32_t dflt,
                     int32_t *out, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsBool(v)) return psamp_fail(err, "%s: field '%s' must be true or false", path, key);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

/* The config.json model_type values this loader reads. A config without model_type
 * (hand-written) is read as OPT; the decoder architectures have their own loader
 * (hf_config.h), and the refusal lists them too, since psamp loads those as well. */
static const char *const SUPPORTED_MODEL_TYPES[] = {"opt"};

static int check_model_type(const cJSON *root, const char *path, psamp_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (!v) return 0;
    size_t n = sizeof SUPPORTED_MODEL_TYPES / sizeof SUPPORTED_MODEL_TYPES[0];
    for (size_t i = 0; i < n && cJSON_IsString(v); i++)
        if (strcmp(v->valuestring, SUPPORTED_MODEL_TYPES[i]) == 0) return 0;
    char supported[128] = "", q[PSAMP_QUOTE_MAX];
    for (size_t i = 0, at = 0; i < n && at < sizeof supported; i++)
        at += (size_t)snprintf(supported + at, sizeof supported - at, "%s\"%s\"", i ? ", " : "",
                               SUPPORTED_MODEL_TYPES[i]);
    return psamp_fail(err, "%s: field 'model_type' is %s; supported: %s, " HF_CONFIG_DECODER_TYPES, path,
                      cJSON_IsString(v) ? psamp_quote(q, sizeof q, v->valuestring) : "not a string",
                      supported);
}

static int read_fields(const cJSON *root, const char *path, opt_config *c, psamp_err *err) {
    if (check_model_type(root, path, err) != 0) return -1;
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    char q[PSAMP_QUOTE_MAX];
    if (act && !(cJSON_IsString(act) && strcmp(act->valuestring, "relu") == 0))
        return psamp_fail(err, "%s: field 'activation_function' is %s%s%s; only \"relu\" is supported",
                          path, cJSON_IsString(act) ? "\"" : "",
                          cJSON_IsString(act) ? psamp_escape(q, sizeof q, act->valuestring) : "not a string",
                          cJSON_IsString(act) ? "\"" : "");
    if (read_int(root, path, "vocab_size", 1, 0, 0, &c->vocab_size, err) ||
        read_int(root, path, "hidden_size", 1, 0, 0, &c->hidden, err) ||
        read_int(root, path, "ffn_dim", 1, 0, 0, &c->ffn_dim, err) ||
        read_int(root, path, "num_hidden_layers", 1, 0, 0, &c->n_layers, err) ||
        read_int(root, path, "num_attention_heads", 1, 0, 0, &c->n_heads, err) ||
        read_int(root, path, "max_position_embeddings", 1, 0, 0, &c->max_positions, err))
        return -1;
    /* HF: word_embed_proj_dim absent or null means hidden_size. */
    if (read_int(root, path, "word_embed_proj_dim", 0, 1, c->hidden, &c->word_embed_proj_dim, err))
        return -1;
    if (c->word_embed_proj_dim == -1) c->word_embed_proj_dim = c->hidden;
    int32_t remove_final_ln = 0;
    if (read_bool(root, path, "do_layer_norm_before", 1, &c->pre_ln, err) ||
        read_bool(root, path, "enable_bias", 1, &c->enable_bias, err) ||
        read_bool(root, path, "layer_norm_elementwise_affine", 1, &c->ln_affine, err) ||
        read_bool(root, path, "_remove_final_layer_norm", 0, &remove_final_ln, err) ||
        read_bool(root, path, "tie_word_embeddings", 1, &c->tie_word_embeddings, err))
        return -1;
    c->has_final_ln = c->pre_ln && !remove_final_ln;
    if (read_int(root, path, "bos_token_id", 0, 1, 2, &c->bos_id, err) ||
        read_int(root, path, "eos_token_id", 0, 1, 2, &c->eos_id, err) ||
        read_int(root, path, "pad_token_id", 0, 1, 1, &c->pad_id, err))
        return -1;
    return opt_config_check(c, path, err);
}

int opt_config_load(opt_config *cfg, const char *path, psamp_err *err) {
    memset(cfg, 0, sizeof *cfg);
    char *text;
    size_t len;
    if (psamp_read_file(path, CONFIG_MAX_BYTES, NULL, &text, &len, err) != 0) return -1;
    const char *end = NULL;
    if (psamp_json_refuse_nul(text, len, path, err) != 0) {
        free(text);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc;
    if (!root)
        rc = psamp_fail(err, "%s: malformed JSON (near byte %lld)", path,
                        (long long)(end ? end - text : 0));
    else if (!cJSON_IsObject(root))
        rc = psamp_fail(err, "%s: not a JSON object", path);
    else
        rc = read_fields(root, path, cfg, err);
    cJSON_Delete(root);
    free(text);
    return rc;
}
