/* --model PATH: a toy-world spec, an OPT or a Qwen2 / Llama / Phi-3 checkpoint directory, behind one handle. */
#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine_toy.h"
#include "model_decoder.h"
#include "model_opt.h"

struct psamp_model {
    toy_world *toy;      /* set for a toy-world spec */
    psamp_opt_model *opt; /* set for an OPT checkpoint directory */
    psamp_decoder_model *dec; /* set for a Qwen2 / Llama / Phi-3 checkpoint directory */
};

int psamp_model_open(psamp_model **out, const char *path, psamp_err *err) {
    struct stat st;
    psamp_model *m;
    *out = NULL;
    if (stat(path, &st) != 0) return psamp_fail(err, "--model: '%s' does not exist", path);
    m = calloc(1, sizeof *m);
    if (!m) return psamp_fail(err, "out of memory");
    int rc = !S_ISDIR(st.st_mode)                     ? toy_world_load(path, &m->toy, err)
             : psamp_decoder_model_is_decoder_dir(path) ? psamp_decoder_model_open(&m->dec, path, err)
                                                        : psamp_opt_model_open(&m->opt, path, err);
    if (rc != 0) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void psamp_model_close(psamp_model *m) {
    if (!m) return;
    toy_world_free(m->toy);
    psamp_opt_model_close(m->opt);
    psamp_decoder_model_close(m->dec);
    free(m);
}

const toy_world *psamp_model_toy(const psamp_model *m) { return m->toy; }

const opt_checkpoint *psamp_model_opt(const psamp_model *m) {
    return m->opt ? psamp_opt_model_checkpoint(m->opt) : NULL;
}

const decoder_checkpoint *psamp_model_decoder(const psamp_model *m) {
    return m->dec ? psamp_decoder_model_checkpoint(m->dec) : NULL;
}

int32_t psamp_model_max_len(const psamp_model *m) {
    if (m->dec) return psamp_decoder_model_checkpoint(m->dec)->cfg.max_positions;
    return m->toy ? m->toy->length : psamp_opt_model_checkpoint(m->opt)->cfg.max_positions;
}

int32_t psamp_model_vocab_size(const psamp_model *m) {
    if (m->dec) return psamp_decoder_model_checkpoint(m->dec)->cfg.vocab_size;
    return m->toy ? m->toy->n_tokens : psamp_opt_model_checkpoint(m->opt)->cfg.vocab_size;
}

/* A toy prompt is its tokens' strings joined: read it back longest match first. */
static int toy_encode(const toy_world *w, const char *text, int32_t **ids, int32_t *n, psamp_err *err) {
    size_t len = strlen(text), at = 0;
    int32_t *out = malloc((len + 1) * sizeof *out), count = 0;
    if (!out) return psamp_fail(err, "out of memory");
    while (at < len) {
        int32_t best = -1;
        size_t best_len = 0;
        for (int32_t t = 0; t < w->n_tokens; t++) {
            size_t tl = strlen(w->tokens[t]);
            if (tl > best_len && tl <= len - at && memcmp(text + at, w->tokens[t], tl) == 0) {
                best = t;
                best_len = tl;
            }
        }
        if (best < 0) {
            free(out);
            char qw[PSAMP_QUOTE_MAX], qt[PSAMP_QUOTE_MAX];
            return psamp_fail(err, "no token of %s matches at byte %zu of %s", psamp_escape(qw, sizeof qw, w->name),
                              at, psamp_quote(qt, sizeof qt, text));
        }
        out[count++] = best;
        at += best_len;
    }
    *ids = out;
    *n = count;
    return 0;
}

int psamp_model_encode(const psamp_model *m, const char *text, int32_t **ids, int32_t *n, psamp_err *err) {
    if (m->dec) return psamp_decoder_model_encode(m->dec, text, ids, n, err);
    return m->toy ? toy_encode(m->toy, text, ids, n, err) : psamp_opt_model_encode(m->opt, text, ids, n, err);
}

int psamp_model_check_ids(const psamp_model *m, const int32_t *ids, int32_t n, psamp_err *err) {
    int32_t v = psamp_model_vocab_size(m);
    for (int32_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= v)
            return psamp_fail(err, "token id %d (position %d) is outside the vocabulary [0, %d)", ids[i], i, v);
    return 0;
}

int psamp_model_decode(const psamp_model *m, const int32_t *ids, int32_t n, char **text, size_t *len,
                       psamp_err *err) {
    if (psamp_model_check_ids(m, ids, n, err) != 0) return -1;
    if (m->dec) return psamp_decoder_model_decode(m->dec, ids, n, 0, text, len, err);
    if (!m->toy) return psamp_opt_model_decode(m->opt, ids, n, text, len, err);
    size_t total = 1;
    for (int32_t i = 0; i < n; i++) total += strlen(m->toy->tokens[ids[i]]);
    char *out = malloc(total), *p = out;
    if (!out) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        size_t tl = strlen(m->toy->tokens[ids[i]]);
        memcpy(p, m->toy->tokens[ids[i]], tl);
        p += tl;
    }
    *p = '\0';
    *text = out;
    *len = (size_t)(p - out);
    return 0;
}

int psamp_model_is_eos(const psamp_model *m, int32_t id) {
    if (m->dec) return psamp_decoder_model_is_eos(m->dec, id);
    return m->opt ? id == psamp_opt_model_checkpoint(m->opt)->cfg.eos_id : 0;
}

int32_t psamp_model_bos_id(const psamp_model *m) {
    if (m->dec) return psamp_decoder_model_checkpoint(m->dec)->cfg.bos_id;
    return m->opt ? psamp_opt_model_checkpoint(m->opt)->cfg.bos_id : -1;
}

int psamp_model_completion_text(const psamp_model *m, const int32_t *ids, int32_t n, int ended, char **text,
                                size_t *len, psamp_err *err) {
    if (ended && n > 0 && psamp_model_is_eos(m, ids[n - 1])) n--;
    if (!m->dec) return psamp_model_decode(m, ids, n, text, len, err);
    if (psamp_model_check_ids(m, ids, n, err) != 0) return -1;
    return psamp_decoder_model_decode(m->dec, ids, n, 1, text, len, err);
}

int psamp_model_max_slots(psamp_model *m, const psamp_backend_options *opts, int32_t max_len,
                          int32_t *slots, psamp_err *err) {
    if (m->toy) {
        *slots = INT32_MAX / 4;
        return 0;
    }
    if (m->dec) return psamp_decoder_model_max_slots(m->dec, opts, max_len, slots, err);
    return psamp_opt_checkpoint_max_slots(psamp_opt_model_checkpoint(m->opt), opts, max_len, slots, err);
}

int psamp_model_engine(psamp_model *m, const psamp_backend_options *opts, int32_t n_slots,
                       int32_t max_len, psamp_engine **out, psamp_err *err) {
    if (m->toy && opts->kv_fp8)
        return psamp_fail(err, "--kv-cache fp8: a toy world has no KV cache");
    if (m->toy) return psamp_engine_toy_create(m->toy, n_slots, max_len, out, err);
    if (m->dec) return psamp_decoder_model_engine(m->dec, opts, n_slots, max_len, out, err);
    return psamp_opt_model_engine(m->opt, opts, n_slots, max_len, out, err);
}
