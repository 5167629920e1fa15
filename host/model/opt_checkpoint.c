/* Loading a Hugging Face OPT checkpoint directory: config.json + model.safetensors (or its
 * shards, safetensors_set.h), every tensor bound by name and checked against the config's shapes. */
#include "opt_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt_config.h"
#include "opt_tensor_specs.h"

void opt_checkpoint_close(opt_checkpoint *ck) {
    if (!ck) return;
    opt_checkpoint_impl *impl = ck->impl;
    if (impl) {
        psamp_st_set_close(&impl->files);
        free(impl->specs);
        free(impl->weights);
        free(impl);
    }
    free(ck->layers);
    memset(ck, 0, sizeof *ck);
}

static void format_shape(char *buf, size_t size, int32_t ndim, const int64_t *shape) {
    int at = snprintf(buf, size, "[");
    for (int32_t d = 0; d < ndim && at > 0 && (size_t)at < size; d++)
        at += snprintf(buf + at, size - (size_t)at, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (at > 0 && (size_t)at < size) snprintf(buf + at, size - (size_t)at, "]");
}

static int bind_tensor(const psamp_st_set *files, const char *prefix, const opt_tensor_spec *s,
                       psamp_err *err) {
    char full[96];
    int outside_model = strncmp(s->name, "lm_head", 7) == 0;
    snprintf(full, sizeof full, "%s%s", outside_model ? "" : prefix, s->name);
    const psamp_st_tensor *t = psamp_st_set_find(files, full);
    if (!t) return psamp_fail(err, "%s: missing tensor '%s'", files->where, full);
    int same = t->ndim == s->ndim;
    for (int32_t d = 0; same && d < s->ndim; d++) same = t->shape[d] == s->shape[d];
    if (!same) {
        char want[64], got[160];
        format_shape(want, sizeof want, s->ndim, s->shape);
        format_shape(got, sizeof got, t->ndim, t->shape);
        return psamp_fail(err, "%s: tensor '%s': expected shape %s from config.json, found %s",
                          files->where, full, want, got);
    }
    psamp_tensor *dst = s->dst;
    dst->data = t->data;
    dst->dtype = t->dtype;
    dst->ndim = t->ndim;
    dst->shape[0] = t->shape[0];
    dst->shape[1] = t->ndim > 1 ? t->shape[1] : 0;
    dst->name = t->name;
    return 0;
}

int opt_checkpoint_open(opt_checkpoint *ck, const char *dir, psamp_err *err) {
    memset(ck, 0, sizeof *ck);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return psamp_fail(err, "%s: checkpoint path too long", dir);
    if (opt_config_load(&ck->cfg, path, err) != 0) return -1;
    opt_checkpoint_impl *impl = calloc(1, sizeof *impl);
    if (!impl) return psamp_fail(err, "%s: out of memory", dir);
    ck->impl = impl;
    opt_tensor_spec *specs = NULL;
    int32_t n = 0;
    if (psamp_st_set_open(&impl->files, dir, err) != 0 ||
        opt_tensor_specs_build(ck, &specs, &n, err) != 0)
        goto fail;
    /* save_pretrained writes "model.decoder.…"; the original facebook files "decoder.…". */
    const char *prefix =
        psamp_st_set_find(&impl->files, "model.decoder.embed_tokens.weight") ? "model." : "";
    for (int32_t i = 0; i < n; i++)
        if (bind_tensor(&impl->files, prefix, &specs[i], err) != 0) goto fail;
    free(specs);
    if (ck->cfg.tie_word_embeddings) ck->lm_head = ck->embed_tokens;
    return 0;
fail:
    free(specs);
    opt_checkpoint_close(ck);
    return -1;
}
