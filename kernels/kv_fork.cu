/* Batched KV fork: for many (dst, src, n) triples at once, copies KV positions [0, n) of
 * slot src over those of slot dst, in every layer of the K and V caches.
 * Layout: caches [n_layers][n_slots][max_len][hidden] (a slot's prefix in one layer is one
 * contiguous range); pairs [n_forks][3] int32 (dst, src, n) in device memory.
 * Launch: grid (x: blocks sharing one range, y: 2 * n_layers ranges, z: forks), 256
 * threads copying 16-byte units when a position's row allows it (else 4, 2 or 1 bytes). */
#include "common.cuh"

namespace {

constexpr int kThreads = 256;
constexpr int kUnitsPerThread = 4; /* sizes grid x so each thread copies a few units */

template <typename U>
__global__ void kv_fork_kernel(U *__restrict__ k_cache, U *__restrict__ v_cache,
                               const int32_t *__restrict__ pairs, int32_t n_layers,
                               int64_t layer_units, int64_t slot_units, int64_t pos_units) {
    const int64_t f = blockIdx.z;
    const int32_t dst = pairs[3 * f], src = pairs[3 * f + 1], n_pos = pairs[3 * f + 2];
    if (dst == src || n_pos <= 0) return;
    const int32_t seg = blockIdx.y;
    U *cache = seg < n_layers ? k_cache : v_cache;
    const int64_t layer = seg < n_layers ? seg : seg - n_layers;
    U *d = cache + layer * layer_units + (int64_t)dst * slot_units;
    const U *s = cache + layer * layer_units + (int64_t)src * slot_units;
    const int64_t count = (int64_t)n_pos * pos_units;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < count;
         i += (int64_t)gridDim.x * blockDim.x)
        d[i] = s[i];
}

template <typename U>
cudaError_t launch(void *k_cache, void *v_cache, const int32_t *pairs, int32_t n_forks,
                   int32_t max_pos, int32_t n_layers, int32_t n_slots, int32_t max_len,
                   int64_t row_bytes, cudaStream_t stream) {
    const int64_t pos_units = row_bytes / (int64_t)sizeof(U);
    const int64_t slot_units = pos_units * max_len;
    const int64_t layer_units = slot_units * n_slots;
    int64_t gx = psamp::ceil_div((int64_t)max_pos * pos_units, kThreads * kUnitsPerThread);
    gx = gx < 1 ? 1 : (gx > 4096 ? 4096 : gx);
    for (int32_t f0 = 0; f0 < n_forks; f0 += 65535) {
        const int32_t nf = n_forks - f0 < 65535 ? n_forks - f0 : 65535;
        const dim3 grid((unsigned)gx, (unsigned)(2 * n_layers), (unsigned)nf);
        kv_fork_kernel<U><<<grid, kThreads, 0, stream>>>(
            static_cast<U *>(k_cache), static_cast<U *>(v_cache), pairs + 3 * (int64_t)f0,
            n_layers, layer_units, slot_units, pos_units);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
}

} // namespace

extern "C" cudaError_t psamp_k_kv_fork_bytes(void *k_cache, void *v_cache, const int32_t *pairs,
                                             int32_t n_forks, int32_t max_pos, int32_t n_layers,
                                             int32_t n_slots, int32_t max_len, int64_t row_bytes,
                                             cudaStream_t stream) {
    if (n_forks <= 0 || max_pos <= 0) return cudaSuccess;
    if (n_layers <= 0 || 2 * n_layers > 65535 || row_bytes <= 0) return cudaErrorInvalidValue;
    const bool aligned16 = (uintptr_t)k_cache % 16 == 0 && (uintptr_t)v_cache % 16 == 0;
    const bool aligned4 = (uintptr_t)k_cache % 4 == 0 && (uintptr_t)v_cache % 4 == 0;
    if (row_bytes % 16 == 0 && aligned16)
        return launch<uint4>(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots,
                             max_len, row_bytes, stream);
    if (row_bytes % 4 == 0 && aligned4)
        return launch<uint32_t>(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots,
                                max_len, row_bytes, stream);
    if (row_bytes % 2 == 0 && (uintptr_t)k_cache % 2 == 0 && (uintptr_t)v_cache % 2 == 0)
        return launch<uint16_t>(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots,
                                max_len, row_bytes, stream);
    return launch<uint8_t>(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots, max_len,
                           row_bytes, stream);
}

extern "C" cudaError_t psamp_k_kv_fork(void *k_cache, void *v_cache, const int32_t *pairs,
                                       int32_t n_forks, int32_t max_pos, int32_t n_layers,
                                       int32_t n_slots, int32_t max_len, int32_t hidden,
                                       psamp_dtype dtype, cudaStream_t stream) {
    int64_t elem = 0;
    switch (dtype) {
    case PSAMP_F32: elem = 4; break;
    case PSAMP_F16:
    case PSAMP_BF16: elem = 2; break;
    default: return cudaErrorInvalidValue;
    }
    return psamp_k_kv_fork_bytes(k_cache, v_cache, pairs, n_forks, max_pos, n_layers, n_slots,
                                 max_len, elem * hidden, stream);
}
