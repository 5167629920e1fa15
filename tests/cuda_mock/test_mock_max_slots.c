/* psamp_engine_cuda_max_slots on the CPU mock, whose free device memory the test sets: the
 * count it gives is one psamp_engine_cuda_create accepts and the one the create's
 * out-of-memory error names, it grows with the free memory and shrinks with max_len, and
 * fp32 weights and KV leave room for fewer slots than fp16, and the fp8 KV cache for more,
 * with the same agreement between the count, create and its error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cuda.h"
#include "engine_testlib.h"
#include "mock.h"
#include "testlib.h"

#define MB ((size_t)1 << 20)

static int32_t max_slots(psamp_test_state *t, const opt_checkpoint *ck, int32_t max_len, psamp_dtype dt) {
    psamp_cuda_options o = {.dtype = dt};
    psamp_err err = {{0}};
    int32_t n = -1;
    CHECK(t, psamp_engine_cuda_max_slots(ck, max_len, &o, &n, &err) == 0, "max_slots: %s", err.msg);
    return n;
}

int main(void) {
    psamp_test_state t = {0, 0};
    opt_checkpoint ck;
    psamp_err err = {{0}};
    if (test_open_fixture("opt-tiny-pre", &ck, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    mock_set_free_bytes(700 * MB);
    int32_t n = max_slots(&t, &ck, 128, PSAMP_F16);
    printf("700 MiB free, 128 tokens, fp16: room for %d slots\n", n);
    CHECK(&t, n > 100, "room for %d slots in 700 MiB of the tiny model", n);

    /* That many slots can be made ... */
    psamp_cuda_options o = {.dtype = PSAMP_F16};
    psamp_engine *e = NULL;
    CHECK(&t, psamp_engine_cuda_create(&ck, n, 128, &o, &e, &err) == 0, "create %d slots: %s", n, err.msg);
    psamp_engine_destroy(e);
    /* ... and far more cannot, with an error that names the same count. */
    char want[64];
    snprintf(want, sizeof want, "at most %d slots of 128 tokens would fit", n);
    e = NULL;
    CHECK(&t, psamp_engine_cuda_create(&ck, 3 * n, 128, &o, &e, &err) != 0 && strstr(err.msg, want),
          "create %d slots: '%s' (want '%s')", 3 * n, e ? "made" : err.msg, want);
    psamp_engine_destroy(e);

    mock_set_free_bytes(900 * MB);
    CHECK(&t, max_slots(&t, &ck, 128, PSAMP_F16) > n, "more free memory, no more slots");
    mock_set_free_bytes(700 * MB);
    CHECK(&t, max_slots(&t, &ck, 64, PSAMP_F16) > n, "shorter slots, no more of them");
    CHECK(&t, max_slots(&t, &ck, 128, PSAMP_F32) < n, "fp32 has room for as many slots as fp16");
    /* The fp8 cache (64 bytes and 4 scales of 4 bytes per position and layer against fp16's
     * 128 bytes here): more slots, and again the count is what create accepts and names. */
    psamp_cuda_options o8 = {.dtype = PSAMP_F16, .kv_fp8 = 1};
    int32_t n8 = -1;
    CHECK(&t, psamp_engine_cuda_max_slots(&ck, 128, &o8, &n8, &err) == 0, "fp8 max_slots: %s", err.msg);
    printf("700 MiB free, 128 tokens, fp16 weights, fp8 KV: room for %d slots\n", n8);
    CHECK(&t, n8 > n, "the fp8 cache has room for %d slots, fp16 for %d", n8, n);
    e = NULL;
    CHECK(&t, psamp_engine_cuda_create(&ck, n8, 128, &o8, &e, &err) == 0, "create %d fp8 slots: %s", n8,
          err.msg);
    psamp_engine_destroy(e);
    snprintf(want, sizeof want, "at most %d slots of 128 tokens would fit", n8);
    e = NULL;
    CHECK(&t, psamp_engine_cuda_create(&ck, 3 * n8, 128, &o8, &e, &err) != 0 && strstr(err.msg, want),
          "create %d fp8 slots: '%s' (want '%s')", 3 * n8, e ? "made" : err.msg, want);
    psamp_engine_destroy(e);
    mock_set_free_bytes(100 * MB); /* less than the workspaces and margin alone */
    CHECK(&t, max_slots(&t, &ck, 128, PSAMP_F16) == 0, "room found in 100 MiB");
    int32_t bad = 0;
    CHECK(&t, psamp_engine_cuda_max_slots(&ck, 100000, &o, &bad, &err) != 0 && strstr(err.msg, "max_len"),
          "max_len past the model's positions: %s", err.msg);
    mock_set_free_bytes((size_t)8 << 30);
    opt_checkpoint_close(&ck);
    return psamp_test_finish(&t, "test_mock_max_slots");
}
