/* A CPU emulator of CUDA thread blocks for kernel sources that keep to a small subset:
 * threadIdx/blockIdx/blockDim/gridDim, full-warp __shfl_xor_sync, __syncthreads, dynamic
 * shared memory, the 16-byte loads/stores of kernels/common.cuh, and rsqrtf. kernels/common.cuh
 * includes this header when PSAMP_KERNEL_EMU is defined, so that tests/cuda_emu can compile
 * the real kernel files as host C++ and run them through the GPU tests on a machine without
 * a GPU: the indexing, reductions and merges are the CUDA code's own, not a re-implementation.
 *
 * Each thread of a block is a fiber; the blocks of a grid run one after another. Stricter
 * than a GPU where that helps: a shuffle's mask must be full, every lane of the warp must
 * reach it with the same offset and type (else "divergent shuffle"), every thread of the
 * block must reach each barrier (no thread may have exited), 16-byte accesses must be
 * aligned, and dynamic shared memory starts as NaN in every block. A violation or a
 * deadlock prints the block and thread and aborts. Not checked: performance, the memory
 * model, anything the real compiler does differently. */
#ifndef PSAMP_KERNEL_EMU_H
#define PSAMP_KERNEL_EMU_H

#include <cuda_runtime_api.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vector_functions.h>
#include <vector_types.h>

#include <functional>
#include <tuple>
#include <utility>

#define __launch_bounds__(...)

namespace psamp_emu {

const uint3 &thread_index();
const uint3 &block_index();
const dim3 &block_dim();
const dim3 &grid_dim();
void sync_block();
void *dynamic_smem();
/* Exchanges `size` bytes of every lane with lane ^ offset; checks that the warp agrees. */
void shfl_xor_bytes(unsigned mask, const void *in, void *out, size_t size, int offset);
[[noreturn]] void fail(const char *what);
/* Runs body() as every thread of every block of the grid. */
void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body);

inline uint4 load16(const void *p) {
    if ((uintptr_t)p % 16 != 0) fail("misaligned 16-byte load");
    uint4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
inline void store16(void *p, uint4 v) {
    if ((uintptr_t)p % 16 != 0) fail("misaligned 16-byte store");
    memcpy(p, &v, sizeof v);
}

/* Runs replay(blob) now, or records it in the mock's open stream capture (blob copied);
 * a capture rule broken leaves its error for the launcher's cudaGetLastError. */
void submit(cudaStream_t stream, void (*replay)(const void *blob), const void *blob, size_t size);

/* A launch as bytes (the configuration, then each argument), so that the mock's graph
 * capture can record it like its own kernels. */
template <typename... P> struct launch_header {
    dim3 grid, block;
    size_t smem;
    void (*kernel)(P...);
};
template <typename... P> constexpr size_t packed_size() { return (sizeof(P) + ... + 0); }

template <typename... P, size_t... I>
void replay_with(const launch_header<P...> &h, const unsigned char *args,
                 std::index_sequence<I...>) {
    constexpr size_t sizes[] = {sizeof(P)..., 0};
    size_t offsets[sizeof...(P) + 1] = {0};
    for (size_t i = 0; i < sizeof...(P); i++) offsets[i + 1] = offsets[i] + sizes[i];
    std::tuple<P...> values;
    ((void)memcpy((void *)&std::get<I>(values), args + offsets[I], sizeof(P)), ...);
    run_grid(h.grid, h.block, h.smem, [&] { std::apply(h.kernel, values); });
}
template <typename... P> void replay(const void *blob) {
    launch_header<P...> h;
    memcpy((void *)&h, blob, sizeof h);
    replay_with(h, static_cast<const unsigned char *>(blob) + sizeof h,
                std::index_sequence_for<P...>{});
}

/* kernel<<<grid, block, smem, stream>>>(args...) as launch(grid, block, smem, kernel)(args...). */
template <typename... P> struct launcher {
    launch_header<P...> header;
    cudaStream_t stream;
    template <typename... A> void operator()(A... args) const {
        static_assert(sizeof...(A) == sizeof...(P), "kernel argument count");
        const std::tuple<P...> values(args...); /* the kernel's own parameter types */
        unsigned char blob[sizeof header + packed_size<P...>()];
        memcpy(blob, (const void *)&header, sizeof header);
        size_t at = sizeof header;
        std::apply([&](const P &...v) { ((memcpy(blob + at, (const void *)&v, sizeof v), at += sizeof v), ...); },
                   values);
        submit(stream, replay<P...>, blob, sizeof blob);
    }
};
template <typename... P>
launcher<P...> launch(dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                      void (*kernel)(P...)) {
    return launcher<P...>{launch_header<P...>{grid, block, smem, kernel}, stream};
}

} // namespace psamp_emu

#define threadIdx (psamp_emu::thread_index())
#define blockIdx (psamp_emu::block_index())
#define blockDim (psamp_emu::block_dim())
#define gridDim (psamp_emu::grid_dim())
#define __syncthreads() psamp_emu::sync_block()
#define PSAMP_LAUNCH(grid, block, smem, stream, ...)                                         \
    psamp_emu::launch(dim3(grid), dim3(block), (smem), (stream), __VA_ARGS__)

template <typename T> T __shfl_xor_sync(unsigned mask, T v, int offset) {
    T out;
    psamp_emu::shfl_xor_bytes(mask, &v, &out, sizeof v, offset);
    return out;
}

/* CUDA's reciprocal square root (a device function there, within 2 ulp). */
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

/* CUDA's integer min/max (device functions there). */
template <typename T> inline T min(T a, T b) { return b < a ? b : a; }
template <typename T> inline T max(T a, T b) { return a < b ? b : a; }

#endif
