/* Private to the checkpoint code (opt_checkpoint.c, opt_random.c): the list of tensors an
 * OPT config calls for, with their Hugging Face names and shapes, and what a checkpoint's
 * impl pointer owns. The loader binds the list to a file; the random builder fills it. */
#ifndef PSAMP_OPT_TENSOR_SPECS_H
#define PSAMP_OPT_TENSOR_SPECS_H

#include "opt_checkpoint.h"
#include "safetensors_set.h"

/* Longest layer-level name prefix, "decoder.layers.<int32>.self_attn_layer_norm". */
#define SPEC_NAME_MAX 64

typedef struct {
    psamp_tensor *dst;
    char name[SPEC_NAME_MAX + 8]; /* without the "model." prefix, e.g. "decoder.layers.0.fc1.weight" */
    int32_t ndim;
    int64_t shape[2];
    float init;       /* random builder: constant value (layer norm 1 / 0), or NAN = random */
} opt_tensor_spec;

typedef struct {
    psamp_st_set files;       /* the mappings, for a loaded checkpoint */
    opt_tensor_spec *specs;   /* names of a random checkpoint's tensors live here */
    int32_t n_specs;
    float *weights;           /* a random checkpoint's values */
} opt_checkpoint_impl;

/* Allocates ck->layers and lists every tensor ck->cfg needs (lm_head only when untied).
 * Returns 0, or -1 when out of memory. The caller frees *specs. */
int opt_tensor_specs_build(opt_checkpoint *ck, opt_tensor_spec **specs, int32_t *n,
                           psamp_err *err);

#endif
