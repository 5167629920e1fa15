/* Philox4x32-10 against the Random123 known-answer vectors (kat_vectors, philox4x32_10),
 * and the properties the sampler relies on. */
#include <stdint.h>

#include "philox.h"
#include "testlib.h"

int main(void) {
    psamp_test_state t = {0, 0};
    struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
        {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
         {0xffffffffu, 0xffffffffu},
         {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
        {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
         {0xa4093822u, 0x299f31d0u},
         {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
    };
    for (int k = 0; k < 3; k++) {
        uint32_t c[4] = {kat[k].ctr[0], kat[k].ctr[1], kat[k].ctr[2], kat[k].ctr[3]};
        psamp_philox4x32_10(c, kat[k].key[0], kat[k].key[1]);
        for (int w = 0; w < 4; w++)
            CHECK(&t, c[w] == kat[k].out[w], "KAT %d word %d: %08x vs %08x", k, w, c[w], kat[k].out[w]);
    }
    /* The u32 draw is word 0 of the block whose counter is (counter, stream). */
    {
        uint32_t c[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
        uint64_t seed = ((uint64_t)0x299f31d0u << 32) | 0xa4093822u;
        uint64_t counter = ((uint64_t)0x85a308d3u << 32) | 0x243f6a88u;
        uint64_t stream = ((uint64_t)0x03707344u << 32) | 0x13198a2eu;
        psamp_philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
        CHECK(&t, psamp_philox_u32(seed, stream, counter) == c[0], "u32 draw is word 0");
    }
    /* Units stay strictly inside (0, 1) at both ends. */
    CHECK(&t, psamp_u32_to_unit(0) > 0.0, "unit(0) > 0");
    CHECK(&t, psamp_u32_to_unit(0xffffffffu) < 1.0, "unit(max) < 1");
    /* Streams of different chains never coincide. */
    CHECK(&t, psamp_stream_tokens(3) != psamp_stream_decisions(3), "token vs decision stream");
    CHECK(&t, psamp_stream_decisions(3) != psamp_stream_tokens(4), "chain 3 vs chain 4");
    /* Mean of many draws is near 1/2 (a gross-bias check). */
    {
        double sum = 0;
        for (uint64_t i = 0; i < 100000; i++) sum += psamp_u32_to_unit(psamp_philox_u32(7, 1, i));
        CHECK_NEAR(&t, sum / 100000.0, 0.5, 0.005, "mean of 1e5 units");
    }
    return psamp_test_finish(&t, "test_philox");
}
