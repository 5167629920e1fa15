/* cuBLASLt descriptors of the CUDA engine's GEMMs (engine_cuda_lt.c), shared by the untuned
 * epilogue path (engine_cuda_gemm.c) and the tuned plans (engine_cuda_tune.c). */
#ifndef PSAMP_ENGINE_CUDA_LT_H
#define PSAMP_ENGINE_CUDA_LT_H

#include <stdint.h>

#include "engine_cuda_state.h"

/* The CUDA data type of the engine's dtype (cuBLAS and cuBLASLt take it). */
cudaDataType_t cuda_data_type(psamp_dtype d);
/* cuBLASLt descriptors of out = x W^T (+ the kind's epilogue; bias_t as in
 * cuda_gemm_bias_relu) in column-major terms, with a preference limited to the lane's
 * workspace and to these pointers' alignments. On failure c holds what was made. */
int cuda_lt_describe(cuda_engine *e, const cuda_lane *lane, cuda_lt_kind kind, const void *w,
                     const void *x, const void *bias_t, const void *out, int32_t m, int32_t n,
                     int32_t k, cuda_lt_call *c, psamp_err *err);
void cuda_lt_call_free(cuda_lt_call *c);
/* The largest power of two up to 256 that divides p's address. */
uint32_t cuda_lt_alignment(const void *p);

#endif
