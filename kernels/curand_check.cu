/* Test-only: cuRAND's Philox4_32_10 beside host/util/philox.h evaluated on the device, to prove
 * that psamp_philox_u32(seed, stream, counter) is curand() after
 * curand_init(seed, stream, 4 * counter).
 * Layout: counter/out arrays [n]. Launch: 1-D, 128 threads, one counter per thread. */
#include <curand_kernel.h>

#include "common.cuh"
#include "philox.h"

namespace {

__global__ void curand_check_kernel(uint64_t seed, uint64_t stream_id,
                                    const uint64_t *__restrict__ counter, int32_t n,
                                    uint32_t *__restrict__ out_curand,
                                    uint32_t *__restrict__ out_psamp) {
    const int32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    curandStatePhilox4_32_10_t state;
    curand_init(seed, stream_id, 4 * counter[i], &state);
    out_curand[i] = curand(&state);
    out_psamp[i] = psamp_philox_u32(seed, stream_id, counter[i]);
}

} // namespace

extern "C" cudaError_t psamp_k_curand_check(uint64_t seed, uint64_t stream_id,
                                            const uint64_t *counter, int32_t n,
                                            uint32_t *out_curand, uint32_t *out_psamp,
                                            cudaStream_t stream) {
    if (n <= 0) return cudaSuccess;
    curand_check_kernel<<<(unsigned)psamp::ceil_div(n, 128), 128, 0, stream>>>(
        seed, stream_id, counter, n, out_curand, out_psamp);
    return cudaGetLastError();
}
