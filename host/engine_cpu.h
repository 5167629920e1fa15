/* The fp32 CPU engine for OPT: the reference implementation of host/engine.h, checked
 * against Hugging Face transformers.
 *
 * Weights are converted to fp32 once. Each slot owns a KV cache of max_len positions. A
 * step runs every requested slot as one batch: one GEMM (OpenBLAS cblas_sgemm) per linear
 * layer over all rows, attention per slot over its own KV, then sampling through
 * host/sample_row.h with the request's Philox draw. Nothing is allocated per step. */
#ifndef PSAMP_ENGINE_CPU_H
#define PSAMP_ENGINE_CPU_H

#include <stdint.h>

#include "engine.h"
#include "opt_checkpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_threads; /* threads for attention and sampling (GEMMs use OpenBLAS's own);
                      <= 0: one per online CPU */
} psamp_cpu_options;

/* Builds the engine from ck (which may be closed afterwards: the engine keeps its own fp32
 * copy). n_slots >= 1; 1 <= max_len <= the model's max_position_embeddings. opts may be
 * NULL. */
int psamp_engine_cpu_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                            const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err);

#ifdef __cplusplus
}
#endif
#endif
