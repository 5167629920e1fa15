/* The fp32 CPU engine for OPT: the reference implementation of host/engine/engine.h, checked
 * against Hugging Face transformers.
 *
 * Weights are converted to fp32 once. Each slot owns a KV cache of max_len positions. A
 * step runs every requested slot as one batch: one GEMM (OpenBLAS cblas_sgemm) per linear
 * layer over all rows, attention per slot over its own KV, then sampling through
 * host/engine/sample_row.h with the request's Philox draw. Nothing is allocated per step.
 *
 * Threads: one pool of n_threads does everything; each GEMM is split by output columns into
 * single-threaded cblas_sgemm calls. Creating an engine therefore sets OpenBLAS to one thread
 * per call (openblas_set_num_threads(1), a process-wide setting).
 *
 * Note: Debian 12's OpenBLAS 0.3.21 does not know CPUs newer than Sapphire Rapids and falls
 * back to its slowest kernels ("Prescott"); psamp_blas_coretype_hint() says when to set
 * OPENBLAS_CORETYPE before the program starts, and psamp_blas_coretype_reexec() does it. */
#ifndef PSAMP_ENGINE_CPU_H
#define PSAMP_ENGINE_CPU_H

#include <stdint.h>

#include "engine.h"
#include "opt_checkpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_threads; /* the engine's pool: GEMM tasks, attention, sampling;
                      <= 0: one per online CPU */
} psamp_cpu_options;

/* Builds the engine from ck (which may be closed afterwards: the engine keeps its own fp32
 * copy). n_slots >= 1; 1 <= max_len <= the model's max_position_embeddings. opts may be
 * NULL. */
int psamp_engine_cpu_create(const opt_checkpoint *ck, int32_t n_slots, int32_t max_len,
                            const psamp_cpu_options *opts, psamp_engine **out, psamp_err *err);

/* Rows one engine call carries at least (a prefill's chunk); more when there are more slots. */
#define PSAMP_CPU_PREFILL_CHUNK 64

/* Bytes an engine of n_slots x max_len with `threads` threads allocates beside its fp32
 * weights: every slot's KV cache and tokens, and scratch for max(n_slots, 64) rows (each row
 * holds its logits: vocab floats). Equals the engine's info.host_bytes. */
uint64_t psamp_engine_cpu_bytes(const opt_config *c, int32_t n_slots, int32_t max_len, int threads);
/* The pool size an engine gets when its options do not say: one thread per online CPU. */
int psamp_engine_cpu_default_threads(void);

/* How many slots of max_len tokens fit in the memory the system has available now
 * (MemAvailable, less a tenth and 512 MiB for the weights and everything else): the largest
 * n whose psamp_engine_cpu_bytes fits; INT32_MAX / 4 when the system does not say. */
int psamp_engine_cpu_max_slots(const opt_checkpoint *ck, int32_t max_len, int32_t *slots,
                               psamp_err *err);
/* The arithmetic of the above for avail_bytes of available memory and the default threads. */
int32_t psamp_engine_cpu_slots_in(const opt_config *c, int32_t max_len, uint64_t avail_bytes);

/* NULL when OpenBLAS picked a kernel set that suits this CPU; otherwise the value to put in
 * OPENBLAS_CORETYPE (read by OpenBLAS when the program loads: re-exec or restart with it),
 * e.g. "SkylakeX" on an AVX-512 CPU that OpenBLAS detected as "Prescott". */
const char *psamp_blas_coretype_hint(void);

/* Runs the program again (execv of /proc/self/exe with argv) with OPENBLAS_CORETYPE set to
 * the hint above, so that OpenBLAS loads the kernels that suit this CPU; call it first thing
 * in main. Does nothing and returns 0 when OPENBLAS_CORETYPE is already set (the user's
 * choice, or this is the re-run) or there is no hint; does not return when the re-run
 * starts; -1 when it cannot (err says sgemm will be slower and what to set), and the
 * program may go on as it is. */
int psamp_blas_coretype_reexec(char *const argv[], psamp_err *err);

#ifdef __cplusplus
}
#endif
#endif
