/* Tensor views: element counts and conversion of F32 / F16 / BF16 data to fp32. */
#include <string.h>

#include "opt_checkpoint.h"

int64_t psamp_tensor_numel(const psamp_tensor *t) {
    int64_t n = 1;
    for (int32_t d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

/* IEEE half -> float, subnormals, infinities and NaNs included. */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else { /* subnormal: normalise the mantissa */
        int e = -1;
        do {
            mant <<= 1;
            e++;
        } while (!(mant & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void psamp_tensor_to_f32(const psamp_tensor *t, float *dst) {
    const unsigned char *src = t->data;
    int64_t n = psamp_tensor_numel(t);
    /* The mapping gives no alignment guarantee: read every element with memcpy. */
    if (t->dtype == PSAMP_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, src + 2 * i, sizeof v);
        if (t->dtype == PSAMP_F16) {
            dst[i] = half_to_float(v);
        } else {
            uint32_t bits = (uint32_t)v << 16;
            memcpy(&dst[i], &bits, sizeof bits);
        }
    }
}
