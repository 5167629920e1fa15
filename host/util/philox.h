/* Philox4x32-10 counter-based random numbers, bit-identical to cuRAND's
 * curand_init(seed, stream, 4 * counter, &state); curand(&state) for the first word.
 *
 * psamp keys every draw by (seed, stream, counter): a chain's draws depend only on the
 * seed and the chain's own streams, never on batch order or how many chains run beside
 * it. Header-only so the CUDA kernels use the very same arithmetic. */
#ifndef PSAMP_PHILOX_H
#define PSAMP_PHILOX_H

#include <stdint.h>

#if defined(__CUDACC__)
#define PSAMP_HD __host__ __device__ __forceinline__
#else
#define PSAMP_HD static inline
#endif

PSAMP_HD uint32_t psamp_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* One Philox4x32-10 block: ten rounds over the counter ctr[4] with key k[2]. */
PSAMP_HD void psamp_philox4x32_10(uint32_t ctr[4], uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = psamp_mulhilo32(0xD2511F53u, ctr[0], &hi0);
        uint32_t lo1 = psamp_mulhilo32(0xCD9E8D57u, ctr[2], &hi1);
        uint32_t c0 = hi1 ^ ctr[1] ^ k0, c2 = hi0 ^ ctr[3] ^ k1;
        ctr[0] = c0;
        ctr[1] = lo1;
        ctr[2] = c2;
        ctr[3] = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

/* The 32-bit draw number `counter` of stream `stream` under `seed`. */
PSAMP_HD uint32_t psamp_philox_u32(uint64_t seed, uint64_t stream, uint64_t counter) {
    uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    psamp_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32));
    return ctr[0];
}

/* Maps a 32-bit draw to the open interval (0, 1): never 0 (log-safe), never 1. */
PSAMP_HD double psamp_u32_to_unit(uint32_t x) {
    return ((double)x + 0.5) * (1.0 / 4294967296.0);
}

/* Streams of chain c: its token draws inside the engine, and the sampler's own
 * decisions (index, accept). Disjoint for every chain. */
PSAMP_HD uint64_t psamp_stream_tokens(uint64_t chain) { return 2 * chain; }
PSAMP_HD uint64_t psamp_stream_decisions(uint64_t chain) { return 2 * chain + 1; }

#endif
