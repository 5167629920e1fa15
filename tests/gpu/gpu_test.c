#include "gpu_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_cuda.h"
#include "tensor_narrow.h"

int gpu_test_begin(const char *name) {
    if (psamp_cuda_device_count() > 0) return 0;
    const char *require = getenv("PSAMP_REQUIRE_GPU");
    if (require && strcmp(require, "1") == 0) {
        fprintf(stderr, "%s: no CUDA device, but PSAMP_REQUIRE_GPU=1\n", name);
        return 1;
    }
    printf("%s: skipped (no CUDA device)\n", name);
    return PSAMP_TEST_SKIP;
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

test_rng test_rng_make(const char *test_name) {
    const char *env = getenv("PSAMP_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0)
                        : (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
    printf("%s: seed %llu (set PSAMP_TEST_SEED to replay)\n", test_name, (unsigned long long)seed);
    return (test_rng){seed};
}

double test_uniform(test_rng *r) { return (double)(splitmix64(&r->state) >> 11) * 0x1p-53; }

double test_normal(test_rng *r) {
    double u = test_uniform(r), v = test_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

void test_fill_normal(test_rng *r, float *x, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(scale * test_normal(r));
}

size_t dtype_bytes(psamp_dtype dt) { return dt == PSAMP_F32 ? 4 : 2; }

const char *dtype_label(psamp_dtype dt) {
    return dt == PSAMP_F16 ? "fp16" : dt == PSAMP_BF16 ? "bf16" : "fp32";
}

/* dt's bits back to fp32 through the loader's own conversion. */
static void widen(const void *bits, size_t n, psamp_dtype dt, float *out) {
    psamp_tensor view = {bits, dt, 1, {(int64_t)n, 0}, "test"};
    psamp_tensor_to_f32(&view, out);
}

uint8_t fp8_e4m3_encode(float x) {
    if (isnan(x)) return 0x7f;
    const uint8_t sign = signbit(x) ? 0x80 : 0x00;
    const float a = fabsf(x);
    if (a >= 448.0f) return sign | 0x7e; /* saturate (448 itself is 0x7e) */
    if (a < 0x1p-6f) /* subnormal: multiples of 2^-9; 8 of them round up to 2^-6, 0x08 */
        return sign | (uint8_t)nearbyintf(a * 512.0f);
    int e2;
    (void)frexpf(a, &e2); /* a in [2^(e2-1), 2^e2) */
    int e = e2 - 1;       /* -6 .. 8 */
    int m = (int)nearbyintf(ldexpf(a, 3 - e)); /* 8 .. 16 with the implicit bit */
    if (m == 16) m = 8, e++;
    return sign | (uint8_t)(((e + 7) << 3) | (m - 8));
}

float fp8_e4m3_decode(uint8_t b) {
    const int e = (b >> 3) & 15, m = b & 7;
    float v;
    if (e == 15 && m == 7)
        v = NAN;
    else if (e == 0)
        v = ldexpf((float)m, -9);
    else
        v = ldexpf((float)(8 + m), e - 10);
    return (b & 0x80) ? -v : v;
}

float fp8_quantize(const float *x, int n, uint8_t *bytes) {
    float amax = 0.0f;
    for (int i = 0; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float s = amax > 0.0f ? amax / 448.0f : 1.0f;
    for (int i = 0; i < n; i++) bytes[i] = fp8_e4m3_encode(x[i] / s);
    return s;
}

void round_to_dtype(float *x, size_t n, psamp_dtype dt) {
    for (size_t i = 0; i < n && dt != PSAMP_F32; i++) {
        uint16_t bits = dt == PSAMP_F16 ? psamp_f32_to_f16_bits(x[i]) : psamp_f32_to_bf16_bits(x[i]);
        widen(&bits, 1, dt, &x[i]);
    }
}

cudaError_t gpu_poison(void *dev, size_t bytes) { return cudaMemset(dev, 0xff, bytes); }

void *gpu_alloc_poisoned(size_t bytes) {
    void *p = NULL;
    if (cudaMalloc(&p, bytes) != cudaSuccess) return NULL;
    if (gpu_poison(p, bytes) != cudaSuccess) {
        cudaFree(p);
        return NULL;
    }
    return p;
}

cudaError_t gpu_upload(void *dev, const float *host, size_t n, psamp_dtype dt) {
    void *bits = malloc(n * dtype_bytes(dt));
    if (!bits) return cudaErrorMemoryAllocation;
    psamp_f32_to_dtype(host, n, dt, bits);
    cudaError_t rc = cudaMemcpy(dev, bits, n * dtype_bytes(dt), cudaMemcpyHostToDevice);
    free(bits);
    return rc;
}

cudaError_t gpu_download(float *host, const void *dev, size_t n, psamp_dtype dt) {
    void *bits = malloc(n * dtype_bytes(dt));
    if (!bits) return cudaErrorMemoryAllocation;
    cudaError_t rc = cudaMemcpy(bits, dev, n * dtype_bytes(dt), cudaMemcpyDeviceToHost);
    if (rc == cudaSuccess) widen(bits, n, dt, host);
    free(bits);
    return rc;
}

double rel_error(const float *out, const double *ref, size_t n) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)out[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return sqrt(num / den);
}

void report_row(psamp_test_state *t, const char *check, const char *dtype, const char *what,
                double err, double tol) {
    const int pass = err <= tol; /* NaN fails */
    printf("ROW|%s|%s|%s|%s|%.3e|%.1e\n", check, dtype, pass ? "PASS" : "FAIL", what, err, tol);
    CHECK(t, pass, "%s (%s): %s %.3e exceeds %.1e", check, dtype, what, err, tol);
}
