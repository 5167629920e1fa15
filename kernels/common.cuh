/* Device helpers shared by the kernels: element types, conversions to and from fp32,
 * 16-byte vector loads, and the dtype dispatch of the launchers. */
#ifndef PSAMP_KERNELS_COMMON_CUH
#define PSAMP_KERNELS_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "kernels.h"

namespace psamp {

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f32<__half>(float v) {
    return __float2half_rn(v);
}
template <> __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}

/* Elements of T in one 16-byte vector. */
template <typename T> struct vec16 {
    static constexpr int n = 16 / (int)sizeof(T);
};

/* Loads N consecutive elements at p as fp32. With N == vec16<T>::n, p must be 16-byte
 * aligned and the load is one 16-byte transaction; N == 1 is a plain scalar load. */
template <typename T, int N>
__device__ __forceinline__ void load_f32(const T *p, float (&out)[N]) {
    if constexpr (N == vec16<T>::n) {
        union {
            uint4 raw;
            T elem[N];
        } u;
        u.raw = *reinterpret_cast<const uint4 *>(p);
#pragma unroll
        for (int i = 0; i < N; i++) out[i] = to_f32(u.elem[i]);
    } else {
#pragma unroll
        for (int i = 0; i < N; i++) out[i] = to_f32(p[i]);
    }
}

__host__ __device__ __forceinline__ int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

} // namespace psamp

/* Runs the statement(s) given after T with `T` bound to the C++ type of `dtype`; an unknown dtype returns
 * cudaErrorInvalidValue from the enclosing launcher. */
#define PSAMP_DISPATCH_DTYPE(dtype, T, ...)                                                 \
    switch (dtype) {                                                                       \
    case PSAMP_F32: {                                                                      \
        typedef float T;                                                                   \
        __VA_ARGS__;                                                                       \
        break;                                                                             \
    }                                                                                      \
    case PSAMP_F16: {                                                                      \
        typedef __half T;                                                                  \
        __VA_ARGS__;                                                                       \
        break;                                                                             \
    }                                                                                      \
    case PSAMP_BF16: {                                                                     \
        typedef __nv_bfloat16 T;                                                           \
        __VA_ARGS__;                                                                       \
        break;                                                                             \
    }                                                                                      \
    default:                                                                               \
        return cudaErrorInvalidValue;                                                      \
    }

#endif
