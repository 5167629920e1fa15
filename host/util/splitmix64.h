/* splitmix64 (Steele, Lea & Flood 2014; Vigna's constants): a fast 64-bit generator for bulk
 * data that needs no statistical guarantees -- random benchmark weights, prompts, shuffles.
 * Sampling draws come from Philox (philox.h), never from here. */
#ifndef PSAMP_SPLITMIX64_H
#define PSAMP_SPLITMIX64_H

#include <stdint.h>

/* Advances *state and returns the next 64 random bits. */
static inline uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
