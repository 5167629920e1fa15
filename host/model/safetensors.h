/* A validated, memory-mapped safetensors file.
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__"?: {...}}, then the
 * data buffer. Offsets are relative to the data buffer. Opening checks everything a reader
 * could trip on: lengths inside the file, known dtypes (F32, F16, BF16), sizes equal to
 * numel x dtype size, and offsets that tile the data buffer exactly (no gap, no overlap). */
#ifndef PSAMP_SAFETENSORS_H
#define PSAMP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "opt_checkpoint.h" /* psamp_dtype */

#ifdef __cplusplus
extern "C" {
#endif

#define PSAMP_ST_MAX_DIMS 8

typedef struct {
    char *name;
    psamp_dtype dtype;
    int32_t ndim;
    int64_t shape[PSAMP_ST_MAX_DIMS];
    int64_t numel;
    const void *data; /* into the mapping; may be unaligned (read with memcpy) */
    size_t nbytes;
} psamp_st_tensor;

typedef struct {
    char *path;
    void *map;
    size_t map_size;
    psamp_st_tensor *tensors; /* in data-buffer order */
    int32_t n_tensors;
} psamp_safetensors;

/* Maps and validates the file. On failure st is left empty (safe to close). */
int psamp_safetensors_open(psamp_safetensors *st, const char *path, psamp_err *err);
/* The tensor called name, or NULL. */
const psamp_st_tensor *psamp_safetensors_find(const psamp_safetensors *st, const char *name);
void psamp_safetensors_close(psamp_safetensors *st);

/* Bytes per element of a dtype. */
size_t psamp_dtype_size(psamp_dtype dtype);
const char *psamp_dtype_name(psamp_dtype dtype);

#ifdef __cplusplus
}
#endif
#endif
