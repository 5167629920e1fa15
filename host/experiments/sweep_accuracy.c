#include "sweep_accuracy.h"

#include <math.h>
#include <stdlib.h>

#include "passk_interval.h"

static cJSON *number_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static int add(cJSON *row, const char *key, double v) { return cJSON_AddItemToObject(row, key, number_or_null(v)); }

/* The default k values: powers of two below n, then n. */
static int32_t default_ks(int64_t n, int32_t *out) {
    int32_t m = 0;
    for (int64_t k = 1; k < n; k *= 2) out[m++] = (int32_t)k;
    out[m++] = (int32_t)n;
    return m;
}

int sweep_accuracy_add(cJSON *row, int64_t n, const int64_t *correct, int32_t n_problems, int deterministic,
                       const int32_t *ks, int32_t n_ks) {
    int32_t own[64];
    if (!ks) {
        n_ks = default_ks(n, own);
        ks = own;
    }
    int64_t total = 0;
    for (int32_t i = 0; correct && i < n_problems; i++) total += correct[i];
    double p1 = NAN, lo1 = NAN, hi1 = NAN;
    if (correct) passk_interval(n, correct, n_problems, 1, deterministic, &p1, &lo1, &hi1);
    cJSON *k_arr = cJSON_CreateArray(), *v = cJSON_CreateArray(), *lo = cJSON_CreateArray(), *hi = cJSON_CreateArray();
    int ok = k_arr && v && lo && hi;
    for (int32_t i = 0; ok && i < n_ks; i++) {
        double m = NAN, l = NAN, h = NAN;
        if (correct) passk_interval(n, correct, n_problems, ks[i], deterministic, &m, &l, &h);
        ok = cJSON_AddItemToArray(k_arr, cJSON_CreateNumber(ks[i])) && cJSON_AddItemToArray(v, number_or_null(m)) &&
             cJSON_AddItemToArray(lo, number_or_null(l)) && cJSON_AddItemToArray(hi, number_or_null(h));
    }
    if (!ok) {
        cJSON_Delete(k_arr);
        cJSON_Delete(v);
        cJSON_Delete(lo);
        cJSON_Delete(hi);
        return -1;
    }
    ok = cJSON_AddNumberToObject(row, "samples_per_problem", (double)n) &&
         add(row, "correct_total", correct ? (double)total : NAN) && add(row, "pass_at_1", p1) &&
         add(row, "pass_at_1_lo", lo1) && add(row, "pass_at_1_hi", hi1);
    cJSON *arrays[4] = {k_arr, v, lo, hi};
    static const char *const names[4] = {"k", "pass_at_k", "pass_at_k_lo", "pass_at_k_hi"};
    for (int i = 0; i < 4; i++) { /* an array the row did not take is deleted here */
        if (ok && cJSON_AddItemToObject(row, names[i], arrays[i])) continue;
        ok = 0;
        cJSON_Delete(arrays[i]);
    }
    return ok ? 0 : -1;
}
