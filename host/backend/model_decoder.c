/* A Qwen2 / Llama / Phi-3 checkpoint directory as a model (model_decoder.h). */
#include "model_decoder.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_cpu_decoder.h"
#include "file_read.h"
#include "hf_config.h"
#include "tokenizer_hf.h"
#ifdef PSAMP_HAVE_CUDA
#include "engine_cuda.h"
#endif

struct psamp_decoder_model {
    decoder_checkpoint ck;
    psamp_tokenizer *tok; /* NULL when the directory has no tokenizer: token ids only */
    char *dir;
};

int psamp_decoder_model_is_decoder_dir(const char *dir) {
    char path[4096], *text;
    size_t len;
    psamp_err ignored;
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path) return 0;
    if (psamp_read_file(path, 1 << 20, NULL, &text, &len, &ignored) != 0) return 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *t = root ? cJSON_GetObjectItemCaseSensitive(root, "model_type") : NULL;
    int yes = cJSON_IsString(t) && hf_config_is_decoder_type(t->valuestring);
    cJSON_Delete(root);
    free(text);
    return yes;
}

static int has_file(const char *dir, const char *name) {
    char path[4096];
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path && access(path, F_OK) == 0;
}

/* The checkpoint's tokenizer.json when there is one (a broken one fails the open); without
 * one the model still scores and samples token ids. */
static int open_tokenizer(psamp_decoder_model *m, psamp_err *err) {
    if (!has_file(m->dir, "tokenizer.json") && !has_file(m->dir, "vocab.json")) return 0;
    if (psamp_tokenizer_load_dir(&m->tok, m->dir, err) != 0) return -1;
    if (psamp_tokenizer_vocab_size(m->tok) > m->ck.cfg.vocab_size)
        return psamp_fail(err, "%s: the tokenizer has ids up to %d but config.json's vocab_size is %d", m->dir,
                          psamp_tokenizer_vocab_size(m->tok) - 1, m->ck.cfg.vocab_size);
    return 0;
}

int psamp_decoder_model_open(psamp_decoder_model **out, const char *dir, psamp_err *err) {
    *out = NULL;
    psamp_decoder_model *m = calloc(1, sizeof *m);
    if (!m || !(m->dir = strdup(dir))) {
        free(m);
        return psamp_fail(err, "out of memory");
    }
    if (decoder_checkpoint_open(&m->ck, dir, err) != 0) {
        free(m->dir);
        free(m);
        return -1;
    }
    if (open_tokenizer(m, err) != 0) {
        psamp_decoder_model_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

void psamp_decoder_model_close(psamp_decoder_model *m) {
    if (!m) return;
    psamp_tokenizer_free(m->tok);
    decoder_checkpoint_close(&m->ck);
    free(m->dir);
    free(m);
}

const decoder_checkpoint *psamp_decoder_model_checkpoint(const psamp_decoder_model *m) { return &m->ck; }

int psamp_decoder_model_is_eos(const psamp_decoder_model *m, int32_t id) {
    for (int32_t i = 0; i < m->ck.cfg.n_eos; i++)
        if (m->ck.cfg.eos_ids[i] == id) return 1;
    return 0;
}

static int need_tokenizer(const psamp_decoder_model *m, psamp_err *err) {
    if (m->tok) return 0;
    return psamp_fail(err, "%s: no tokenizer.json beside the %s checkpoint: give token ids (psamp score --tokens)",
                      m->dir, m->ck.cfg.model_type);
}

int psamp_decoder_model_encode(const psamp_decoder_model *m, const char *text, int32_t **ids, int32_t *n,
                               psamp_err *err) {
    *ids = NULL;
    *n = 0;
    if (need_tokenizer(m, err) != 0) return -1;
    if (psamp_tokenizer_encode_special(m->tok, text, strlen(text), ids, n, err) != 0) return -1;
    if (*n == 0) {
        free(*ids);
        *ids = NULL;
        return psamp_fail(err, "--prompt: the empty text is no tokens for %s (its tokenizer adds no BOS): give a prompt",
                          m->ck.cfg.model_type);
    }
    return 0;
}

int psamp_decoder_model_decode(const psamp_decoder_model *m, const int32_t *ids, int32_t n, int skip_special,
                               char **text, size_t *len, psamp_err *err) {
    *text = NULL;
    *len = 0;
    if (need_tokenizer(m, err) != 0) return -1;
    return skip_special ? psamp_tokenizer_decode_skip_special(m->tok, ids, n, text, len, err)
                        : psamp_tokenizer_decode(m->tok, ids, n, text, len, err);
}

/* Whether opts->backend means the CUDA engine; fails when it names one this build or machine
 * does not have. "auto" is the CPU engine for these models (model_decoder.h says why). */
static int wants_cuda(const psamp_backend_options *opts, int *cuda, psamp_err *err) {
    *cuda = strcmp(opts->backend, "cuda") == 0;
#ifdef PSAMP_HAVE_CUDA
    if (*cuda && psamp_cuda_device_count() == 0) return psamp_fail(err, "--backend cuda: no CUDA device is present");
#else
    if (*cuda) return psamp_fail(err, "--backend cuda: this psamp was built without CUDA (-DPSAMP_CUDA=OFF or no nvcc)");
#endif
    return 0;
}

int psamp_decoder_model_engine(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t n_slots,
                               int32_t max_len, psamp_engine **out, psamp_err *err) {
    int cuda;
    if (wants_cuda(opts, &cuda, err) != 0) return -1;
#ifdef PSAMP_HAVE_CUDA
    if (cuda) {
        psamp_cuda_options co = {.dtype = opts->dtype, .kv_fp8 = opts->kv_fp8};
        return psamp_engine_cuda_decoder_create(&m->ck, n_slots, max_len, &co, out, err);
    }
#endif
    if (opts->kv_fp8) return psamp_fail(err, "--kv-cache fp8: only the CUDA engine has it (--backend cuda)");
    psamp_cpu_options co = {opts->n_threads};
    return psamp_engine_cpu_decoder_create(&m->ck, n_slots, max_len, &co, out, err);
}

int psamp_decoder_model_max_slots(psamp_decoder_model *m, const psamp_backend_options *opts, int32_t max_len,
                                  int32_t *slots, psamp_err *err) {
    int cuda;
    if (wants_cuda(opts, &cuda, err) != 0) return -1;
#ifdef PSAMP_HAVE_CUDA
    if (cuda) {
        psamp_cuda_options co = {.dtype = opts->dtype, .kv_fp8 = opts->kv_fp8};
        return psamp_engine_cuda_decoder_max_slots(&m->ck, max_len, &co, slots, err);
    }
#endif
    if (opts->kv_fp8) return psamp_fail(err, "--kv-cache fp8: only the CUDA engine has it (--backend cuda)");
    return psamp_engine_cpu_decoder_max_slots(&m->ck, max_len, slots, err);
}
