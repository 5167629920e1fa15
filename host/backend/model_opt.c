/* An OPT checkpoint directory as a model: the weights, the GPT-2 BPE tokenizer beside
 * them, and the engine the user asked for (cuda when a GPU is present, else cpu). */
#include "model_opt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine_cpu.h"
#include "file_read.h"
#include "json_check.h"
#include "tokenizer.h"
#ifdef PSAMP_HAVE_CUDA
#include "engine_cuda.h"
#endif

struct psamp_opt_model {
    opt_checkpoint ck;
    psamp_tokenizer *tok;
    int32_t bos_id; /* prepended to text prompts; -1: the checkpoint names none */
    char *dir;      /* for errors found after opening */
};

/* The BOS a text prompt starts with, as transformers' tokenizer takes it: tokenizer_config.json's
 * `bos_token` (a string, or an object with "content") when that file names one, whatever
 * config.json's bos_token_id says (real OPT tokenizers prepend "</s>" even where the config
 * has null); without it, config.json's bos_token_id. psamp always prepends it, as OPT's
 * released tokenizer does (add_bos_token true), so add_bos_token is not read. */
static int resolve_bos(psamp_opt_model *m, const char *dir, psamp_err *err) {
    char path[4096];
    struct stat sb;
    m->bos_id = m->ck.cfg.bos_id;
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (stat(path, &sb) != 0 && errno == ENOENT) return 0;
    char *text;
    size_t len;
    if (psamp_read_file(path, 1 << 24, NULL, &text, &len, err) != 0) return -1;
    if (psamp_json_refuse_nul(text, len, path, err) != 0) {
        free(text);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    int rc = 0;
    const cJSON *bos = cJSON_GetObjectItemCaseSensitive(root, "bos_token");
    if (cJSON_IsObject(bos)) bos = cJSON_GetObjectItemCaseSensitive(bos, "content");
    if (!cJSON_IsObject(root)) {
        rc = psamp_fail(err, "%s: not a JSON object", path);
    } else if (cJSON_IsString(bos)) {
        m->bos_id = psamp_tokenizer_id(m->tok, bos->valuestring);
        if (m->bos_id < 0) rc = psamp_fail(err, "%s: field 'bos_token' names a token vocab.json does not have", path);
    } else if (bos && !cJSON_IsNull(bos)) {
        rc = psamp_fail(err, "%s: field 'bos_token' must be a string, an object with \"content\", or null", path);
    }
    cJSON_Delete(root);
    return rc;
}

int psamp_opt_model_open(psamp_opt_model **out, const char *dir, psamp_err *err) {
    char vocab[4096], merges[4096];
    psamp_opt_model *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m) return psamp_fail(err, "out of memory");
    if (opt_checkpoint_open(&m->ck, dir, err) != 0) {
        free(m);
        return -1;
    }
    snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
    snprintf(merges, sizeof merges, "%s/merges.txt", dir);
    if (psamp_tokenizer_load(&m->tok, vocab, merges, err) != 0) {
        opt_checkpoint_close(&m->ck);
        free(m);
        return -1;
    }
    m->dir = strdup(dir);
    if (!m->dir || resolve_bos(m, dir, err) != 0) {
        if (!m->dir) psamp_fail(err, "out of memory");
        psamp_opt_model_close(m);
        return -1;
    }
    if (psamp_tokenizer_vocab_size(m->tok) > m->ck.cfg.vocab_size) {
        psamp_fail(err, "%s: vocab.json has %d ids but config.json's vocab_size is %d", dir,
                   psamp_tokenizer_vocab_size(m->tok), m->ck.cfg.vocab_size);
        psamp_opt_model_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

void psamp_opt_model_close(psamp_opt_model *m) {
    if (!m) return;
    psamp_tokenizer_free(m->tok);
    free(m->dir);
    opt_checkpoint_close(&m->ck);
    free(m);
}

const opt_checkpoint *psamp_opt_model_checkpoint(const psamp_opt_model *m) { return &m->ck; }

int psamp_opt_model_encode(const psamp_opt_model *m, const char *text, int32_t **ids, int32_t *n,
                           psamp_err *err) {
    int32_t *bpe = NULL, n_bpe = 0;
    if (m->bos_id < 0)
        return psamp_fail(err, "%s/config.json: field 'bos_token_id' is null and no tokenizer_config.json "
                               "gives a 'bos_token': a text prompt needs a BOS (give token ids instead)", m->dir);
    if (psamp_tokenizer_encode(m->tok, text, strlen(text), &bpe, &n_bpe, err) != 0) return -1;
    int32_t *out = malloc(((size_t)n_bpe + 1) * sizeof *out);
    if (!out) {
        free(bpe);
        return psamp_fail(err, "out of memory");
    }
    out[0] = m->bos_id; /* OPT's tokenizer prepends </s> */
    if (n_bpe) memcpy(out + 1, bpe, (size_t)n_bpe * sizeof *out);
    free(bpe);
    *ids = out;
    *n = n_bpe + 1;
    return 0;
}

/* Appends bytes to a malloc'd buffer that grows as needed. */
static int append_bytes(char **buf, size_t *used, size_t *cap, const char *bytes, size_t n) {
    if (*used + n + 1 > *cap) {
        size_t want = (*used + n + 1) * 2;
        char *grown = realloc(*buf, want);
        if (!grown) return -1;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *used, bytes, n);
    *used += n;
    (*buf)[*used] = '\0';
    return 0;
}

/* Real OPT checkpoints have more embedding rows (config vocab_size 50272) than vocab.json
 * entries (50265), and the model can sample the extra ids. They decode to the placeholder
 * "<unk:ID>" (documented in README.md, Output formats) so that no sample is ever lost; the
 * id itself stays in the tokens. */
int psamp_opt_model_decode(const psamp_opt_model *m, const int32_t *ids, int32_t n, char **text,
                           size_t *len, psamp_err *err) {
    char *buf = NULL;
    size_t used = 0, cap = 0;
    *text = NULL;
    *len = 0;
    if (append_bytes(&buf, &used, &cap, "", 0) != 0) return psamp_fail(err, "decode: out of memory");
    for (int32_t i = 0; i < n;) {
        if (ids[i] < 0 || ids[i] >= m->ck.cfg.vocab_size) {
            free(buf);
            return psamp_fail(err, "decode: ids[%d] = %d is outside the vocabulary [0, %d)", i, ids[i],
                              m->ck.cfg.vocab_size);
        }
        int rc;
        int32_t run = 0;
        if (!psamp_tokenizer_has_id(m->tok, ids[i])) {
            char placeholder[32];
            int pl = snprintf(placeholder, sizeof placeholder, PSAMP_OPT_UNK_FORMAT, ids[i]);
            rc = append_bytes(&buf, &used, &cap, placeholder, (size_t)pl);
            run = 1;
        } else {
            while (i + run < n && psamp_tokenizer_has_id(m->tok, ids[i + run])) run++;
            char *part;
            size_t part_len;
            if (psamp_tokenizer_decode(m->tok, ids + i, run, &part, &part_len, err) != 0) {
                free(buf);
                return -1;
            }
            rc = append_bytes(&buf, &used, &cap, part, part_len);
            free(part);
        }
        if (rc != 0) {
            free(buf);
            return psamp_fail(err, "decode: out of memory");
        }
        i += run;
    }
    *text = buf;
    *len = used;
    return 0;
}

/* Whether opts->backend means the CUDA engine ("auto": when a GPU is present); fails when it
 * names one this build or machine does not have. */
static int wants_cuda(const psamp_backend_options *opts, int *cuda, psamp_err *err) {
    *cuda = strcmp(opts->backend, "cuda") == 0;
#ifdef PSAMP_HAVE_CUDA
    if (strcmp(opts->backend, "auto") == 0) *cuda = psamp_cuda_device_count() > 0;
    if (*cuda && psamp_cuda_device_count() == 0)
        return psamp_fail(err, "--backend cuda: no CUDA device is present");
#else
    if (*cuda) return psamp_fail(err, "--backend cuda: this psamp was built without CUDA (-DPSAMP_CUDA=OFF or no nvcc)");
#endif
    return 0;
}

int psamp_opt_checkpoint_engine(const opt_checkpoint *ck, const psamp_backend_options *opts, int32_t n_slots,
                                int32_t max_len, psamp_engine **out, psamp_err *err) {
    int cuda;
    if (wants_cuda(opts, &cuda, err) != 0) return -1;
#ifdef PSAMP_HAVE_CUDA
    if (cuda) {
        psamp_cuda_options co = {.dtype = opts->dtype, .kv_fp8 = opts->kv_fp8};
        return psamp_engine_cuda_create(ck, n_slots, max_len, &co, out, err);
    }
#endif
    if (opts->kv_fp8) return psamp_fail(err, "--kv-cache fp8: only the CUDA engine has it (--backend cuda)");
    psamp_cpu_options co = {opts->n_threads};
    return psamp_engine_cpu_create(ck, n_slots, max_len, &co, out, err);
}

int psamp_opt_checkpoint_max_slots(const opt_checkpoint *ck, const psamp_backend_options *opts,
                                   int32_t max_len, int32_t *slots, psamp_err *err) {
    int cuda;
    if (wants_cuda(opts, &cuda, err) != 0) return -1;
#ifdef PSAMP_HAVE_CUDA
    if (cuda) {
        psamp_cuda_options co = {.dtype = opts->dtype, .kv_fp8 = opts->kv_fp8};
        return psamp_engine_cuda_max_slots(ck, max_len, &co, slots, err);
    }
#endif
    if (opts->kv_fp8) return psamp_fail(err, "--kv-cache fp8: only the CUDA engine has it (--backend cuda)");
    return psamp_engine_cpu_max_slots(ck, max_len, slots, err);
}

int psamp_opt_model_engine(psamp_opt_model *m, const psamp_backend_options *opts, int32_t n_slots,
                           int32_t max_len, psamp_engine **out, psamp_err *err) {
    return psamp_opt_checkpoint_engine(&m->ck, opts, n_slots, max_len, out, err);
}
