/* fp32 -> F16 / BF16 with round-to-nearest-even (the inverse of psamp_tensor_to_f32), for
 * engines that keep weights on a device in 16-bit floats. */
#ifndef PSAMP_TENSOR_NARROW_H
#define PSAMP_TENSOR_NARROW_H

#include <stddef.h>
#include <stdint.h>

#include "opt_checkpoint.h"

uint16_t psamp_f32_to_f16_bits(float f);
uint16_t psamp_f32_to_bf16_bits(float f);
/* Writes n elements of dtype to dst (F32: a copy). */
void psamp_f32_to_dtype(const float *src, size_t n, psamp_dtype dtype, void *dst);

#endif
