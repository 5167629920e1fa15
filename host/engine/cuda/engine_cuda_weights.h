/* The CUDA engine's weights on the device (engine_cuda_weights.c). */
#ifndef PSAMP_ENGINE_CUDA_WEIGHTS_H
#define PSAMP_ENGINE_CUDA_WEIGHTS_H

#include <stddef.h>

#include "engine_cuda_state.h"
#include "opt_checkpoint.h"

/* Uploads ck's weights in e->dtype into e->w. */
int cuda_weights_upload(cuda_engine *e, const opt_checkpoint *ck, psamp_err *err);
/* Device bytes cuda_weights_upload will take for this config and dtype. */
size_t cuda_weights_bytes(const opt_config *c, size_t elem);

#endif
