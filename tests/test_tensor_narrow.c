/* fp32 -> F16 / BF16 narrowing (host/model/tensor_narrow.c): every 16-bit value survives the round
 * trip through psamp_tensor_to_f32 bit for bit (NaNs stay NaN), and values between two
 * neighbours round to the nearer, ties to even, with overflow to inf and underflow through
 * the subnormals to zero. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "opt_checkpoint.h"
#include "tensor_narrow.h"
#include "testlib.h"

static float widen(uint16_t bits, psamp_dtype dt) {
    psamp_tensor v = {&bits, dt, 1, {1, 0}, "test"};
    float f;
    psamp_tensor_to_f32(&v, &f);
    return f;
}

static uint16_t narrow(float f, psamp_dtype dt) {
    return dt == PSAMP_F16 ? psamp_f32_to_f16_bits(f) : psamp_f32_to_bf16_bits(f);
}

/* The float halfway between two adjacent 16-bit values a < b (same sign, finite). */
static float midpoint(uint16_t a, psamp_dtype dt) {
    return (float)(((double)widen(a, dt) + (double)widen((uint16_t)(a + 1), dt)) / 2.0);
}

int main(void) {
    psamp_test_state t = {0, 0};
    const psamp_dtype dts[2] = {PSAMP_F16, PSAMP_BF16};
    for (int d = 0; d < 2; d++) {
        const psamp_dtype dt = dts[d];
        const uint16_t exp_mask = dt == PSAMP_F16 ? 0x7c00u : 0x7f80u;
        int bad_round_trip = 0, bad_ties = 0, bad_between = 0;
        for (uint32_t b = 0; b < 0x10000u; b++) {
            const uint16_t bits = (uint16_t)b;
            const float f = widen(bits, dt);
            if (isnan(f)) {
                bad_round_trip += !isnan(widen(narrow(f, dt), dt));
                continue;
            }
            bad_round_trip += narrow(f, dt) != bits;
            /* Neighbours up in magnitude, both finite: the midpoint ties to the even one and
             * a hair either side goes to the nearer. */
            const uint16_t next = (uint16_t)(bits + 1);
            if ((bits & exp_mask) == exp_mask || (next & exp_mask) == exp_mask || (next & 0x7fffu) == 0)
                continue;
            const float mid = midpoint(bits, dt);
            const uint16_t even = (bits & 1u) ? next : bits;
            bad_ties += narrow(mid, dt) != even;
            const float below = nextafterf(mid, 0.0f), above = nextafterf(mid, 2.0f * mid);
            if (below != mid && fabsf(below) > fabsf(f)) bad_between += narrow(below, dt) != bits;
            if (above != mid) bad_between += narrow(above, dt) != next;
        }
        const char *name = dt == PSAMP_F16 ? "f16" : "bf16";
        CHECK(&t, bad_round_trip == 0, "%s: %d values do not survive the round trip", name, bad_round_trip);
        CHECK(&t, bad_ties == 0, "%s: %d midpoints did not round to even", name, bad_ties);
        CHECK(&t, bad_between == 0, "%s: %d near-midpoint values rounded the wrong way", name, bad_between);
    }
    CHECK(&t, psamp_f32_to_f16_bits(70000.0f) == 0x7c00u, "f16 overflow is inf");
    CHECK(&t, psamp_f32_to_f16_bits(-1e-10f) == 0x8000u, "f16 underflow is -0");
    CHECK(&t, psamp_f32_to_f16_bits(65519.0f) == 0x7bffu, "f16 65519 rounds down to the max");
    CHECK(&t, psamp_f32_to_f16_bits(65520.0f) == 0x7c00u, "f16 65520 rounds up to inf");
    CHECK(&t, psamp_f32_to_bf16_bits(3.4e38f) == 0x7f80u, "bf16 overflow near FLT_MAX is inf");
    /* The dtype writer. */
    const float src[3] = {1.0f, -2.5f, 0.1f};
    uint16_t half[3];
    float copy[3];
    psamp_f32_to_dtype(src, 3, PSAMP_F16, half);
    CHECK(&t, half[0] == 0x3c00u && half[1] == 0xc100u && half[2] == 0x2e66u, "f16 writer");
    psamp_f32_to_dtype(src, 3, PSAMP_F32, copy);
    CHECK(&t, memcmp(copy, src, sizeof src) == 0, "f32 writer copies");
    return psamp_test_finish(&t, "test_tensor_narrow");
}
