/* Writing OPT checkpoint directories for loader tests: config.json from an opt_config (with
 * a field overridden or left out), and model.safetensors from a checkpoint's tensors (with
 * one tensor dropped, reshaped, or stored in another dtype). */
#ifndef PSAMP_OPT_TEST_FILES_H
#define PSAMP_OPT_TEST_FILES_H

#include "opt_checkpoint.h"

/* Every tensor a checkpoint binds (lm_head only when it is not embed_tokens); returns the
 * count written to out (at most max). */
int opt_test_list_tensors(const opt_checkpoint *ck, const psamp_tensor **out, int max);

/* Writes dir/config.json. extra (may be NULL) is JSON members placed first, so they win
 * over the generated ones (cJSON returns the first of duplicate keys); omit (may be NULL)
 * is a field left out. */
int opt_test_write_config(const char *dir, const opt_config *cfg, const char *extra,
                          const char *omit);

typedef struct {
    const char *prefix;     /* "model." (save_pretrained) or "" (original facebook files) */
    psamp_dtype dtype;      /* every tensor stored in this dtype */
    const char *drop;       /* a tensor name (without prefix) left out, or NULL */
    const char *transpose;  /* a 2-D tensor written with its shape swapped, or NULL */
    const char *bad_dtype;  /* a tensor written with dtype "I32" instead, or NULL */
} opt_test_write_options;

/* Writes dir/model.safetensors from ck's tensors (fp32 views) under their own names. */
int opt_test_write_weights(const char *dir, const opt_checkpoint *ck,
                           const opt_test_write_options *opts);

#endif
