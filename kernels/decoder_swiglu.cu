/* SwiGLU of the decoders' MLP (decoder_kernels.h): out = silu(gate) * up from the fused
 * gate|up projection, as decoder_forward_cpu.c computes it: g / (1 + exp(-g)) * u in fp32.
 * Launch: a grid-stride loop over [rows, ffn]; with ffn % 8 == 0 and 16-byte aligned buffers
 * each thread takes 8 consecutive elements (two 16-byte loads of gate and of up, 16-byte
 * stores), else one. */
#include "common.cuh"
#include "decoder_kernels.h"

namespace {

constexpr int kThreads = 256;
constexpr int kVec = 8;
constexpr int64_t kMaxBlocks = 65536;

__device__ __forceinline__ float silu_mul(float g, float u) { return g / (1.0f + expf(-g)) * u; }

template <typename T, bool VEC>
__global__ void __launch_bounds__(kThreads)
    swiglu_kernel(const float *__restrict__ gate_up, T *__restrict__ out, int32_t rows, int32_t ffn) {
    const int64_t per_row = VEC ? ffn / kVec : ffn;
    const int64_t total = (int64_t)rows * per_row;
    for (int64_t it = (int64_t)blockIdx.x * kThreads + threadIdx.x; it < total;
         it += (int64_t)gridDim.x * kThreads) {
        const int64_t r = it / per_row, c = it % per_row;
        const float *g = gate_up + r * 2 * ffn, *u = g + ffn;
        if constexpr (VEC) {
            const int64_t e = c * kVec;
            float gv[4], uv[4], o[kVec];
#pragma unroll
            for (int h = 0; h < 2; h++) {
                psamp::unpack_f32<float>(psamp::load16(g + e + 4 * h), gv);
                psamp::unpack_f32<float>(psamp::load16(u + e + 4 * h), uv);
#pragma unroll
                for (int i = 0; i < 4; i++) o[4 * h + i] = silu_mul(gv[i], uv[i]);
            }
            constexpr int V = psamp::vec16<T>::n;
#pragma unroll
            for (int s = 0; s < kVec; s += V) {
                float part[V];
#pragma unroll
                for (int i = 0; i < V; i++) part[i] = o[s + i];
                psamp::store16(out + r * ffn + e + s, psamp::pack_f32<T>(part));
            }
        } else {
            out[r * ffn + c] = psamp::from_f32<T>(silu_mul(g[c], u[c]));
        }
    }
}

bool aligned16(const void *p) { return (uintptr_t)p % 16 == 0; }

template <typename T>
cudaError_t launch(const float *gate_up, T *out, int32_t rows, int32_t ffn, cudaStream_t stream) {
    const bool vec = ffn % kVec == 0 && aligned16(gate_up) && aligned16(out);
    const int64_t items = (int64_t)rows * (vec ? ffn / kVec : ffn);
    const int64_t blocks = psamp::ceil_div(items, kThreads);
    const unsigned grid = (unsigned)(blocks < kMaxBlocks ? blocks : kMaxBlocks);
    if (vec)
        PSAMP_LAUNCH(grid, kThreads, 0, stream, swiglu_kernel<T, true>)(gate_up, out, rows, ffn);
    else
        PSAMP_LAUNCH(grid, kThreads, 0, stream, swiglu_kernel<T, false>)(gate_up, out, rows, ffn);
    return cudaGetLastError();
}

} // namespace

extern "C" cudaError_t psamp_k_swiglu(const float *gate_up, void *out, int32_t rows, int32_t ffn,
                                      psamp_dtype dtype, cudaStream_t stream) {
    if (rows < 0 || ffn <= 0 || !gate_up || !out) return cudaErrorInvalidValue;
    if (rows == 0) return cudaSuccess;
    PSAMP_DISPATCH_DTYPE(dtype, T, return launch<T>(gate_up, static_cast<T *>(out), rows, ffn, stream));
    return cudaSuccess;
}
