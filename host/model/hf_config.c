/* config.json of Qwen2, Llama and Phi-3 checkpoints: sizes, special ids, the rotary
 * embedding and the refusals (see hf_config.h and tests/fixtures/arch_reference.json's
 * config_keys). */
#include "hf_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"

#define CONFIG_MAX_BYTES (1 << 20)

int hf_config_is_decoder_type(const char *t) {
    return t && (strcmp(t, "qwen2") == 0 || strcmp(t, "llama") == 0 || strcmp(t, "phi3") == 0);
}

static const cJSON *field(const cJSON *obj, const char *key) {
    return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static int is_present(const cJSON *v) { return v && !cJSON_IsNull(v); }

/* An integer field; absent or null -> dflt, or an error when required. */
static int read_int(const cJSON *root, const char *path, const char *key, int required, int32_t dflt,
                    int32_t *out, psamp_err *err) {
    const cJSON *v = field(root, key);
    if (!is_present(v)) {
        if (required) return psamp_fail(err, "%s: missing field '%s'", path, key);
        *out = dflt;
        return 0;
    }
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(d >= (double)INT32_MIN && d <= (double)INT32_MAX) || floor(d) != d)
        return psamp_fail(err, "%s: field '%s' must be an integer", path, key);
    *out = (int32_t)d;
    return 0;
}

/* A number field of obj (named where for messages); absent or null -> dflt. */
static int read_num(const cJSON *obj, const char *path, const char *where, const char *key, int required,
                    double dflt, double *out, psamp_err *err) {
    const cJSON *v = field(obj, key);
    if (!is_present(v)) {
        if (required) return psamp_fail(err, "%s: missing field '%s%s'", path, where, key);
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return psamp_fail(err, "%s: field '%s%s' must be a finite number", path, where, key);
    *out = v->valuedouble;
    return 0;
}

static int read_bool(const cJSON *root, const char *path, const char *key, int32_t dflt, int32_t *out,
                     psamp_err *err) {
    const cJSON *v = field(root, key);
    if (!is_present(v)) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsBool(v)) return psamp_fail(err, "%s: field '%s' must be true or false", path, key);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

/* eos_token_id: an integer, a list of integers (Llama-3.1 instruct), or null. */
static int read_eos(const cJSON *root, const char *path, decoder_config *c, psamp_err *err) {
    const cJSON *v = field(root, "eos_token_id");
    c->n_eos = 0;
    if (!is_present(v)) return 0;
    if (!cJSON_IsArray(v)) {
        c->n_eos = 1;
        return read_int(root, path, "eos_token_id", 1, -1, &c->eos_ids[0], err);
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
        double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!(d >= 0.0 && d <= (double)INT32_MAX) || floor(d) != d)
            return psamp_fail(err, "%s: field 'eos_token_id' must hold integers", path);
        if (c->n_eos == DECODER_MAX_EOS)
            return psamp_fail(err, "%s: field 'eos_token_id' lists more than %d ids", path, DECODER_MAX_EOS);
        c->eos_ids[c->n_eos++] = (int32_t)d;
    }
    return 0;
}

/* A list of exactly n numbers at obj[key] (longrope's factors). */
static int read_factors(const cJSON *obj, const char *path, const char *key, int32_t n, double *out,
                        psamp_err *err) {
    const cJSON *v = field(obj, key), *item;
    if (!cJSON_IsArray(v)) return psamp_fail(err, "%s: field 'rope_scaling.%s' must be a list of numbers", path, key);
    int32_t count = 0;
    cJSON_ArrayForEach(item, v) {
        if (!cJSON_IsNumber(item) || !(item->valuedouble > 0.0) || !isfinite(item->valuedouble))
            return psamp_fail(err, "%s: field 'rope_scaling.%s' must hold positive numbers", path, key);
        if (count < n) out[count] = item->valuedouble;
        count++;
    }
    if (count != n)
        return psamp_fail(err, "%s: field 'rope_scaling.%s' has %d entries; head_dim / 2 = %d", path, key, count, n);
    return 0;
}

/* partial_rotary_factor (top level or in the rope parameters): only 1 is implemented. */
static int check_partial_rotary(const cJSON *obj, const char *path, const char *where, psamp_err *err) {
    double f = 1.0;
    if (read_num(obj, path, where, "partial_rotary_factor", 0, 1.0, &f, err)) return -1;
    if (f != 1.0)
        return psamp_fail(err, "%s: field '%spartial_rotary_factor' is %g; only 1 (rotary over the whole head) is supported",
                          path, where, f);
    return 0;
}

static int read_llama3(const cJSON *p, const char *path, decoder_rope *r, psamp_err *err) {
    double orig = 0.0;
    if (read_num(p, path, "rope_scaling.", "factor", 1, 0, &r->factor, err) ||
        read_num(p, path, "rope_scaling.", "low_freq_factor", 1, 0, &r->low_freq_factor, err) ||
        read_num(p, path, "rope_scaling.", "high_freq_factor", 1, 0, &r->high_freq_factor, err) ||
        read_num(p, path, "rope_scaling.", "original_max_position_embeddings", 1, 0, &orig, err))
        return -1;
    if (!(r->factor > 0.0) || !(r->low_freq_factor > 0.0) || !(r->high_freq_factor > r->low_freq_factor))
        return psamp_fail(err, "%s: rope_scaling (llama3) needs factor > 0 and high_freq_factor > low_freq_factor > 0", path);
    if (!(orig >= 1.0 && orig <= (double)INT32_MAX) || floor(orig) != orig)
        return psamp_fail(err, "%s: field 'rope_scaling.original_max_position_embeddings' must be a positive integer", path);
    r->original_max_positions = (int32_t)orig;
    return 0;
}

static int read_longrope(const cJSON *root, const cJSON *p, const char *path, decoder_config *c, psamp_err *err) {
    decoder_rope *r = &c->rope;
    const int32_t pairs = c->head_dim / 2;
    int32_t orig = 0;
    /* The top-level key wins over one inside rope_scaling (transformers' standardisation). */
    if (read_int(p, path, "original_max_position_embeddings", 0, 0, &orig, err) ||
        read_int(root, path, "original_max_position_embeddings", 0, orig, &orig, err))
        return -1;
    if (orig <= 0)
        return psamp_fail(err, "%s: rope_scaling longrope needs a positive 'original_max_position_embeddings'", path);
    r->original_max_positions = orig;
    if (read_factors(p, path, "short_factor", pairs, r->short_factor, err) ||
        read_factors(p, path, "long_factor", pairs, r->long_factor, err))
        return -1;
    /* transformers 4 always uses max / original here, transformers 5 a 'factor' key when
     * present: refuse the case where they disagree rather than pick one. */
    const double scale = (double)c->max_positions / (double)orig;
    double factor = 0.0;
    if (read_num(p, path, "rope_scaling.", "factor", 0, scale, &factor, err)) return -1;
    if (fabs(factor - scale) > 1e-12 * scale)
        return psamp_fail(err, "%s: field 'rope_scaling.factor' (%g) differs from max_position_embeddings / "
                          "original_max_position_embeddings (%g); not supported", path, factor, scale);
    double dflt = scale <= 1.0 ? 1.0 : sqrt(1.0 + log(scale) / log((double)orig));
    if (read_num(p, path, "rope_scaling.", "attention_factor", 0, dflt, &r->attention_factor, err)) return -1;
    if (!(r->attention_factor > 0.0))
        return psamp_fail(err, "%s: field 'rope_scaling.attention_factor' must be positive", path);
    return 0;
}

/* The rotary embedding: rope_theta and rope_scaling (v4) or rope_parameters (v5). */
static int read_rope(const cJSON *root, const char *path, decoder_config *c, psamp_err *err) {
    decoder_rope *r = &c->rope;
    const cJSON *params = field(root, "rope_parameters");
    const char *pname = "rope_parameters";
    if (!is_present(params)) {
        params = field(root, "rope_scaling");
        pname = "rope_scaling";
    }
    if (is_present(params) && !cJSON_IsObject(params))
        return psamp_fail(err, "%s: field '%s' must be an object or null", path, pname);
    if (!is_present(params)) params = NULL;
    double top_theta = 0.0;
    if (read_num(root, path, "", "rope_theta", 0, 10000.0, &top_theta, err) ||
        read_num(params, path, "rope_parameters.", "rope_theta", 0, top_theta, &r->theta, err))
        return -1;
    if (!(r->theta > 1.0)) return psamp_fail(err, "%s: field 'rope_theta' must be > 1", path);
    char where[32];
    snprintf(where, sizeof where, "%s.", pname);
    if (check_partial_rotary(root, path, "", err) || check_partial_rotary(params, path, where, err)) return -1;
    r->type = ROPE_DEFAULT;
    r->attention_factor = 1.0;
    const cJSON *type = field(params, "rope_type");
    if (!is_present(type)) type = field(params, "type");
    if (!is_present(type)) {
        if (params && field(params, "full_attention"))
            return psamp_fail(err, "%s: per-layer-type '%s' are not supported", path, pname);
        return 0;
    }
    if (!cJSON_IsString(type)) return psamp_fail(err, "%s: field '%s.rope_type' must be a string", path, pname);
    const char *t = type->valuestring;
    if (strcmp(t, "default") == 0) return 0;
    if (c->arch == DECODER_LLAMA && strcmp(t, "llama3") == 0) {
        r->type = ROPE_LLAMA3;
        return read_llama3(params, path, r, err);
    }
    /* transformers maps Phi-3's older names "su" and "yarn" to longrope. */
    if (c->arch == DECODER_PHI3 && (strcmp(t, "longrope") == 0 || strcmp(t, "su") == 0 || strcmp(t, "yarn") == 0)) {
        r->type = ROPE_LONGROPE;
        return read_longrope(root, params, path, c, err);
    }
    return psamp_fail(err, "%s: field '%s' rope type \"%s\" is not supported for %s (supported: default%s)", path,
                      pname, t, c->model_type,
                      c->arch == DECODER_LLAMA ? ", llama3" : c->arch == DECODER_PHI3 ? ", longrope" : "");
}

/* layer_types (transformers 5): every layer must attend to the whole sequence. */
static int check_layer_types(const cJSON *root, const char *path, int sliding_ok, psamp_err *err) {
    const cJSON *v = field(root, "layer_types"), *item;
    if (!is_present(v)) return 0;
    if (!cJSON_IsArray(v)) return psamp_fail(err, "%s: field 'layer_types' must be a list", path);
    cJSON_ArrayForEach(item, v) {
        const char *s = cJSON_IsString(item) ? item->valuestring : "";
        if (strcmp(s, "full_attention") != 0 && !(sliding_ok && strcmp(s, "sliding_attention") == 0))
            return psamp_fail(err, "%s: field 'layer_types' holds \"%s\"; only \"full_attention\" is supported", path, s);
    }
    return 0;
}

/* The keys each architecture has that change the computation and are not implemented. */
static int check_unsupported(const cJSON *root, const char *path, decoder_config *c, psamp_err *err) {
    int32_t flag = 0;
    if (c->arch == DECODER_QWEN2) {
        if (read_bool(root, path, "use_sliding_window", 0, &flag, err)) return -1;
        if (flag)
            return psamp_fail(err, "%s: field 'use_sliding_window' is true; sliding-window attention is not supported", path);
        return check_layer_types(root, path, 0, err);
    }
    if (c->arch == DECODER_LLAMA) {
        if (read_bool(root, path, "attention_bias", 0, &flag, err)) return -1;
        if (flag) return psamp_fail(err, "%s: field 'attention_bias' is true; not supported", path);
        if (read_bool(root, path, "mlp_bias", 0, &flag, err)) return -1;
        if (flag) return psamp_fail(err, "%s: field 'mlp_bias' is true; not supported", path);
        return check_layer_types(root, path, 0, err);
    }
    /* phi3 masks keys with q - k >= sliding_window whenever it is set: harmless only when
     * the window covers every position the model can take. */
    int32_t window = 0;
    if (read_int(root, path, "sliding_window", 0, 0, &window, err)) return -1;
    if (is_present(field(root, "sliding_window")) && window < c->max_positions)
        return psamp_fail(err, "%s: field 'sliding_window' (%d) is smaller than max_position_embeddings (%d); "
                          "sliding-window attention is not supported", path, window, c->max_positions);
    return check_layer_types(root, path, 1, err);
}

int hf_config_check(const decoder_config *c, const char *where, psamp_err *err) {
    const struct {
        const char *field;
        int32_t value;
    } sizes[] = {{"vocab_size", c->vocab_size},         {"hidden_size", c->hidden},
                 {"intermediate_size", c->ffn_dim},     {"num_hidden_layers", c->n_layers},
                 {"num_attention_heads", c->n_heads},   {"num_key_value_heads", c->n_kv_heads},
                 {"head_dim", c->head_dim},             {"max_position_embeddings", c->max_positions}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].value <= 0)
            return psamp_fail(err, "%s: field '%s' must be positive, got %d", where, sizes[i].field, sizes[i].value);
    if (c->n_heads % c->n_kv_heads != 0)
        return psamp_fail(err, "%s: field 'num_attention_heads' (%d) is not a multiple of num_key_value_heads (%d)",
                          where, c->n_heads, c->n_kv_heads);
    if (c->head_dim % 2 != 0 || c->head_dim / 2 > DECODER_MAX_ROPE_PAIRS)
        return psamp_fail(err, "%s: field 'head_dim' (%d) must be even and at most %d", where, c->head_dim,
                          2 * DECODER_MAX_ROPE_PAIRS);
    if (!(c->rms_eps > 0.0)) return psamp_fail(err, "%s: field 'rms_norm_eps' must be positive", where);
    if (c->bos_id < -1 || c->bos_id >= c->vocab_size)
        return psamp_fail(err, "%s: field 'bos_token_id' = %d is outside the vocabulary [0, %d)", where, c->bos_id,
                          c->vocab_size);
    for (int32_t i = 0; i < c->n_eos; i++)
        if (c->eos_ids[i] < 0 || c->eos_ids[i] >= c->vocab_size)
            return psamp_fail(err, "%s: field 'eos_token_id' = %d is outside the vocabulary [0, %d)", where,
                              c->eos_ids[i], c->vocab_size);
    return 0;
}

static int read_fields(const cJSON *root, const char *path, decoder_config *c, psamp_err *err) {
    const cJSON *mt = field(root, "model_type");
    if (!cJSON_IsString(mt) || !hf_config_is_decoder_type(mt->valuestring))
        return psamp_fail(err, "%s: field 'model_type' must be one of " HF_CONFIG_DECODER_TYPES, path);
    c->arch = strcmp(mt->valuestring, "qwen2") == 0 ? DECODER_QWEN2
              : strcmp(mt->valuestring, "llama") == 0 ? DECODER_LLAMA : DECODER_PHI3;
    c->model_type = c->arch == DECODER_QWEN2 ? "qwen2" : c->arch == DECODER_LLAMA ? "llama" : "phi3";
    const cJSON *act = field(root, "hidden_act");
    if (is_present(act) && !(cJSON_IsString(act) && strcmp(act->valuestring, "silu") == 0))
        return psamp_fail(err, "%s: field 'hidden_act' is %s; only \"silu\" is supported", path,
                          cJSON_IsString(act) ? act->valuestring : "not a string");
    if (read_int(root, path, "vocab_size", 1, 0, &c->vocab_size, err) ||
        read_int(root, path, "hidden_size", 1, 0, &c->hidden, err) ||
        read_int(root, path, "intermediate_size", 1, 0, &c->ffn_dim, err) ||
        read_int(root, path, "num_hidden_layers", 1, 0, &c->n_layers, err) ||
        read_int(root, path, "num_attention_heads", 1, 0, &c->n_heads, err) ||
        read_int(root, path, "max_position_embeddings", 1, 0, &c->max_positions, err) ||
        read_int(root, path, "num_key_value_heads", 0, c->n_heads, &c->n_kv_heads, err))
        return -1;
    if (c->n_heads <= 0) return psamp_fail(err, "%s: field 'num_attention_heads' must be positive", path);
    if (read_int(root, path, "head_dim", 0, c->hidden / c->n_heads, &c->head_dim, err)) return -1;
    if (read_num(root, path, "", "rms_norm_eps", 0, c->arch == DECODER_PHI3 ? 1e-5 : 1e-6, &c->rms_eps, err) ||
        read_bool(root, path, "tie_word_embeddings", 0, &c->tie_word_embeddings, err) ||
        read_int(root, path, "bos_token_id", 0, -1, &c->bos_id, err) || read_eos(root, path, c, err))
        return -1;
    c->qkv_bias = c->arch == DECODER_QWEN2;
    c->fused = c->arch == DECODER_PHI3;
    if (hf_config_check(c, path, err)) return -1;
    return read_rope(root, path, c, err) || check_unsupported(root, path, c, err) ? -1 : 0;
}

/* The JSON object in the file at path (NULL with err filled otherwise). */
static cJSON *read_object(const char *path, psamp_err *err) {
    char *text;
    size_t len;
    if (psamp_read_file(path, CONFIG_MAX_BYTES, NULL, &text, &len, err) != 0) return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root)
        psamp_fail(err, "%s: malformed JSON (near byte %lld)", path, (long long)(end ? end - text : 0));
    else if (!cJSON_IsObject(root)) {
        psamp_fail(err, "%s: not a JSON object", path);
        cJSON_Delete(root);
        root = NULL;
    }
    free(text);
    return root;
}

int hf_config_load(decoder_config *cfg, const char *path, psamp_err *err) {
    memset(cfg, 0, sizeof *cfg);
    cJSON *root = read_object(path, err);
    int rc = root ? read_fields(root, path, cfg, err) : -1;
    cJSON_Delete(root);
    return rc;
}

int hf_generation_config_load(decoder_config *cfg, const char *path, psamp_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    cJSON *root = read_object(path, err);
    if (!root) return -1;
    decoder_config gen = *cfg;
    int rc = is_present(field(root, "eos_token_id")) ? read_eos(root, path, &gen, err) : 0;
    if (rc == 0) rc = hf_config_check(&gen, path, err);
    if (rc == 0) *cfg = gen;
    cJSON_Delete(root);
    return rc;
}
