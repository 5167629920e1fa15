/* Device helpers shared by the kernels: element types, conversions to and from fp32,
 * 16-byte vector loads and stores, dynamic shared memory, the launch macro, and the dtype
 * dispatch of the launchers.
 *
 * PSAMP_KERNEL_EMU: tests/cuda_emu compiles some kernel files (those that use only these
 * helpers, full-warp shuffles and __syncthreads) as host C++ and runs them on a CPU
 * emulator of a thread block; kernel_emu.h then supplies threadIdx, the shuffles, the
 * barrier, dynamic shared memory and PSAMP_LAUNCH. */
#ifndef PSAMP_KERNELS_COMMON_CUH
#define PSAMP_KERNELS_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <stdint.h>

#include "kernels.h"

#ifdef PSAMP_KERNEL_EMU
#include "kernel_emu.h"
#else
/* kernel<<<grid, block, smem, stream>>>: the kernel (a template id, commas and all) comes
 * last so that the emulator can take the same call. */
#define PSAMP_LAUNCH(grid, block, smem, stream, ...) __VA_ARGS__<<<grid, block, smem, stream>>>
#endif

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

/* One 16-byte load / store at p, which must be 16-byte aligned. */
__device__ __forceinline__ uint4 load16(const void *p) {
#ifdef PSAMP_KERNEL_EMU
    return psamp_emu::load16(p);
#else
    return *reinterpret_cast<const uint4 *>(p);
#endif
}
__device__ __forceinline__ void store16(void *p, uint4 v) {
#ifdef PSAMP_KERNEL_EMU
    psamp_emu::store16(p, v);
#else
    *reinterpret_cast<uint4 *>(p) = v;
#endif
}

/* The 16/sizeof(T) elements of a 16-byte vector as fp32, and back (rounded to nearest). */
template <typename T>
__device__ __forceinline__ void unpack_f32(uint4 raw, float (&out)[vec16<T>::n]) {
    union {
        uint4 raw;
        T elem[vec16<T>::n];
    } u;
    u.raw = raw;
#pragma unroll
    for (int i = 0; i < vec16<T>::n; i++) out[i] = to_f32(u.elem[i]);
}
template <typename T> __device__ __forceinline__ uint4 pack_f32(const float (&in)[vec16<T>::n]) {
    union {
        uint4 raw;
        T elem[vec16<T>::n];
    } u;
#pragma unroll
    for (int i = 0; i < vec16<T>::n; i++) u.elem[i] = from_f32<T>(in[i]);
    return u.raw;
}

/* Loads N consecutive elements at p as fp32. With N == vec16<T>::n, p must be 16-byte
 * aligned and the load is one 16-byte transaction; N == 1 is a plain scalar load. */
template <typename T, int N>
__device__ __forceinline__ void load_f32(const T *p, float (&out)[N]) {
    if constexpr (N == vec16<T>::n) {
        unpack_f32<T>(load16(p), out);
    } else {
#pragma unroll
        for (int i = 0; i < N; i++) out[i] = to_f32(p[i]);
    }
}

/* Stores N fp32 values at p as T, N a multiple of vec16<T>::n, p 16-byte aligned. */
template <typename T, int N> __device__ __forceinline__ void store_f32(T *p, const float (&in)[N]) {
    constexpr int V = vec16<T>::n;
    static_assert(N % V == 0, "whole 16-byte vectors");
#pragma unroll
    for (int c = 0; c < N; c += V) {
        float part[V];
#pragma unroll
        for (int i = 0; i < V; i++) part[i] = in[c + i];
        store16(p + c, pack_f32<T>(part));
    }
}

/* The fp8 KV cache (kernels.h, PSAMP_KV_FP8): e4m3 bytes, each vector of one head at one
 * position stored as x / s with s = max|x| / 448 (its largest value maps to e4m3's largest,
 * 448), rounded to nearest even; s is kept in fp32 beside the bytes. Every writer uses these
 * helpers, so the fused append and kv_append.cu store the same bytes and scales. */
constexpr float kFp8Max = 448.0f;
__device__ __forceinline__ float fp8_scale(float amax) { return amax > 0.0f ? amax / kFp8Max : 1.0f; }
__device__ __forceinline__ uint8_t fp8_encode(float x, float scale) {
    return (uint8_t)__nv_cvt_float_to_fp8(x / scale, __NV_SATFINITE, __NV_E4M3);
}
__device__ __forceinline__ float fp8_decode(uint8_t b) {
    return __half2float(__half(__nv_cvt_fp8_to_halfraw((__nv_fp8_storage_t)b, __NV_E4M3)));
}
/* The 16 bytes of a vector, decoded (not yet multiplied by the scale). */
__device__ __forceinline__ void fp8_unpack(uint4 raw, float (&out)[16]) {
    union {
        uint4 raw;
        uint8_t b[16];
    } u;
    u.raw = raw;
#pragma unroll
    for (int i = 0; i < 16; i++) out[i] = fp8_decode(u.b[i]);
}
__device__ __forceinline__ uint4 fp8_pack(const float (&in)[16], float scale) {
    union {
        uint4 raw;
        uint8_t b[16];
    } u;
#pragma unroll
    for (int i = 0; i < 16; i++) u.b[i] = fp8_encode(in[i], scale);
    return u.raw;
}

/* v summed over the warp's 32 lanes, in every lane (every lane must call it). */
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/* 1 / sqrt(var + eps) of the n fp32 values at row, the warp's lanes striding over them
 * (every lane must call it): the variance about the known mean, the stable second pass. */
__device__ __forceinline__ float warp_row_rstd(const float *row, int32_t n, float mean, float eps) {
    const int lane = (int)threadIdx.x & 31;
    float ss = 0.0f;
    for (int32_t i = lane; i < n; i += 32) {
        const float d = row[i] - mean;
        ss += d * d;
    }
    return rsqrtf(warp_sum(ss) / (float)n + eps);
}

__host__ __device__ __forceinline__ int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/* The block's dynamic shared memory (the launch's smem bytes), 16-byte aligned. */
template <typename T> __device__ __forceinline__ T *dynamic_smem() {
#ifdef PSAMP_KERNEL_EMU
    return static_cast<T *>(psamp_emu::dynamic_smem());
#else
    extern __shared__ __align__(16) unsigned char psamp_dynamic_smem[];
    return reinterpret_cast<T *>(psamp_dynamic_smem);
#endif
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
