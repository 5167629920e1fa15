/* A checkpoint's tensors across one or more safetensors files: DIR/model.safetensors, or the
 * shards DIR/model.safetensors.index.json names ({"metadata": ..., "weight_map": {tensor:
 * file}}), as save_pretrained writes them. Each shard is mapped and validated once
 * (host/safetensors.h); a lookup goes to the file the weight map names, and a tensor that the
 * map names but its file lacks is an error naming both. */
#ifndef PSAMP_SAFETENSORS_INDEX_H
#define PSAMP_SAFETENSORS_INDEX_H

#include <stdint.h>

#include "error.h"
#include "safetensors.h"

typedef struct {
    psamp_safetensors *files;
    int32_t n_files;
    char **names;         /* weight map: tensor names ... */
    int32_t *file_of;     /* ... and the file each is in; n_names == 0 for a single file */
    int32_t n_names;
    char *where;          /* the index (or the single file) path, for messages */
} psamp_st_set;

/* Opens DIR/model.safetensors when it exists, else DIR/model.safetensors.index.json and its
 * shards. On failure set is left empty (safe to close). */
int psamp_st_set_open(psamp_st_set *set, const char *dir, psamp_err *err);
/* The tensor called name (NULL and a message naming the file when it is absent, or when the
 * weight map names a shard that lacks it). */
const psamp_st_tensor *psamp_st_set_find(const psamp_st_set *set, const char *name, psamp_err *err);
/* Whether name is present (no message). */
int psamp_st_set_has(const psamp_st_set *set, const char *name);
void psamp_st_set_close(psamp_st_set *set);

#endif
