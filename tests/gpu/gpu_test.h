/* Helpers of the GPU tests (label gpu): the skip/fail policy without a GPU, device buffers
 * poisoned with NaN before every run, dtype round trips, fresh random inputs, relative
 * errors, and the one-line "ROW" results that tests/gpu/check.sh gathers into its table. */
#ifndef PSAMP_GPU_TEST_H
#define PSAMP_GPU_TEST_H

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#include "opt_checkpoint.h"
#include "testlib.h"

/* 0 when a GPU is present. Otherwise prints why and returns the exit code: 77 (skipped), or
 * 1 when PSAMP_REQUIRE_GPU=1 (the GPU check machine: a missing GPU is then a failure). */
int gpu_test_begin(const char *name);

/* Records a failed CUDA call (naming it and where) and returns from the calling function. */
#define GPU_OK(t, call)                                                                      \
    do {                                                                                     \
        cudaError_t gpu_rc_ = (call);                                                        \
        (t)->checks++;                                                                       \
        if (gpu_rc_ != cudaSuccess) {                                                        \
            psamp_test_fail((t), __FILE__, __LINE__, "%s: %s", #call,                        \
                            cudaGetErrorString(gpu_rc_));                                    \
            return;                                                                          \
        }                                                                                    \
    } while (0)

/* Random numbers for test inputs (splitmix64): a seed per process from PSAMP_TEST_SEED or
 * the clock, printed so a failure can be replayed. */
typedef struct {
    uint64_t state;
} test_rng;
test_rng test_rng_make(const char *test_name);
double test_uniform(test_rng *r); /* [0, 1) */
double test_normal(test_rng *r);
void test_fill_normal(test_rng *r, float *x, size_t n, double scale);

size_t dtype_bytes(psamp_dtype dt);
const char *dtype_label(psamp_dtype dt);
/* x = the value x takes once stored in dt (what the device will read). */
void round_to_dtype(float *x, size_t n, psamp_dtype dt);

/* The fp8 KV cache's rule (kernels.h psamp_k_kv_fp8) in plain C, for the references:
 * e4m3 (bias 7, no infinities, 0x7f NaN) with round to nearest even and saturation to
 * +-448; a head's vector stored as x / s, s = max|x| / 448 (1 when all are 0). */
uint8_t fp8_e4m3_encode(float x);
float fp8_e4m3_decode(uint8_t b);
/* x[n] -> bytes[n] as the cache stores them; returns the scale. */
float fp8_quantize(const float *x, int n, uint8_t *bytes);

/* cudaMalloc filled with 0xff bytes: NaN in fp32/fp16/bf16, -1 in int32. NULL on failure. */
void *gpu_alloc_poisoned(size_t bytes);
cudaError_t gpu_poison(void *dev, size_t bytes);
/* host fp32 -> device dt, device dt -> host fp32. */
cudaError_t gpu_upload(void *dev, const float *host, size_t n, psamp_dtype dt);
cudaError_t gpu_download(float *host, const void *dev, size_t n, psamp_dtype dt);

/* ||out - ref|| / ||ref|| (NaN when out holds a NaN). */
double rel_error(const float *out, const double *ref, size_t n);
/* Prints "ROW|check|dtype|PASS or FAIL|what|err|tol" (tests/gpu/check.sh tabulates these)
 * and checks err <= tol. dtype may be "model/dtype". */
void report_row(psamp_test_state *t, const char *check, const char *dtype, const char *what,
                double err, double tol);

#endif
