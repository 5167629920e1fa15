/* A checkpoint's weights as one set of safetensors files: DIR/model.safetensors, or, where
 * that is absent, the shards listed by DIR/model.safetensors.index.json (what save_pretrained
 * writes above its shard size, and how larger models ship).
 *
 * The index is {"metadata"?: {...}, "weight_map": {tensor name: shard file name}}. Opening
 * checks it against the shards: every shard named is a plain file name in DIR (no '/', '\',
 * "." or ".."), present and valid; every tensor is named once in the index and found in the
 * shard it names; and every tensor a shard holds is listed for that shard. */
#ifndef PSAMP_SAFETENSORS_SET_H
#define PSAMP_SAFETENSORS_SET_H

#include <stdint.h>

#include "error.h"
#include "safetensors.h"

typedef struct {
    psamp_safetensors *files; /* each mapped and validated */
    int32_t n_files;
    char *where; /* the single file's path, or the index's: what errors about the set name */
} psamp_st_set;

/* Opens dir's weights; on failure the set is left empty (safe to close). */
int psamp_st_set_open(psamp_st_set *set, const char *dir, psamp_err *err);
/* The tensor called name in any file of the set, or NULL. */
const psamp_st_tensor *psamp_st_set_find(const psamp_st_set *set, const char *name);
void psamp_st_set_close(psamp_st_set *set);

#endif
