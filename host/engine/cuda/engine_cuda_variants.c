/* The CUDA engine's kernel variants (engine_cuda_variants.h): one field per change, each
 * chosen from the environment at creation and switchable on a live engine (engine_cuda.c),
 * so that one run can time and check both sides of every change (bench_cuda, the GPU
 * tests). This file knows the fields, their environment variables and their names only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cuda_variants.h"

/* One variant field: its environment variable and its values' names, the default first. */
typedef struct {
    const char *env;
    const char *names[3];
    int count;
} field_spec;

enum { N_FIELDS = 8, TUNE_FIELD = 7 };

static const field_spec FIELDS[N_FIELDS] = {
    {"PSAMP_ATTN", {"warp", "split"}, 2},
    {"PSAMP_GEMM", {"gemv", "cublas", "fused"}, 3},
    {"PSAMP_NORM", {"rows", "loop"}, 2},
    {"PSAMP_SAMPLE", {"onepass", "threepass"}, 2},
    {"PSAMP_KV", {"fused", "separate"}, 2},
    {"PSAMP_FFN", {"epilogue", "biasrelu"}, 2},
    {"PSAMP_OVERLAP", {"off", "halves", "flat"}, 3},
    {"PSAMP_GEMM_TUNE", {"off", "on"}, 2},
};

static void to_ints(const psamp_cuda_variants *v, int out[N_FIELDS]) {
    out[0] = (int)v->attention;
    out[1] = (int)v->gemm;
    out[2] = (int)v->norm;
    out[3] = (int)v->sample;
    out[4] = (int)v->kv;
    out[5] = (int)v->ffn;
    out[6] = (int)v->overlap;
    out[7] = (int)v->gemm_tune;
}

static psamp_cuda_variants from_ints(const int in[N_FIELDS]) {
    return (psamp_cuda_variants){(psamp_cuda_attention)in[0], (psamp_cuda_gemm)in[1],
                                 (psamp_cuda_norm)in[2],      (psamp_cuda_sample)in[3],
                                 (psamp_cuda_kv)in[4],        (psamp_cuda_ffn)in[5],
                                 (psamp_cuda_overlap)in[6],   (psamp_cuda_gemm_tune)in[7]};
}

int psamp_cuda_variants_valid(const psamp_cuda_variants *v) {
    int f[N_FIELDS];
    to_ints(v, f);
    for (int i = 0; i < N_FIELDS; i++)
        if (f[i] < 0 || f[i] >= FIELDS[i].count) return 0;
    return 1;
}

int psamp_cuda_variants_from_env(psamp_cuda_variants *out, psamp_err *err) {
    int f[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++) {
        const char *value = getenv(FIELDS[i].env);
        f[i] = -1;
        if (!value || !*value) f[i] = 0;
        for (int k = 0; f[i] < 0 && k < FIELDS[i].count; k++)
            if (strcmp(value, FIELDS[i].names[k]) == 0) f[i] = k;
        if (f[i] < 0) {
            char expected[64] = "";
            for (int k = 0; k < FIELDS[i].count; k++)
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                         k == 0 ? "" : k + 1 == FIELDS[i].count ? " or " : ", ",
                         FIELDS[i].names[k]);
            return psamp_fail(err, "cuda engine: %s=%.40s: expected %s", FIELDS[i].env, value,
                              expected);
        }
    }
    *out = from_ints(f);
    return 0;
}

/* A non-default value as the variants' name shows it: the environment's value, except
 * PSAMP_GEMM_TUNE=on ("+on" would not say what is on). */
static const char *shown(int field, int value) {
    return field == TUNE_FIELD && value == PSAMP_CUDA_GEMM_TUNE_ON ? "tune" : FIELDS[field].names[value];
}

void psamp_cuda_variants_name(const psamp_cuda_variants *v, char out[PSAMP_CUDA_VARIANTS_NAME_MAX]) {
    if (!psamp_cuda_variants_valid(v)) {
        snprintf(out, PSAMP_CUDA_VARIANTS_NAME_MAX, "?");
        return;
    }
    int f[N_FIELDS];
    to_ints(v, f);
    /* The first two always (the names of version 2), the rest only when not the default. */
    size_t at = (size_t)snprintf(out, PSAMP_CUDA_VARIANTS_NAME_MAX, "%s+%s", FIELDS[0].names[f[0]],
                                 FIELDS[1].names[f[1]]);
    for (int i = 2; i < N_FIELDS; i++)
        if (f[i] != 0 && at < PSAMP_CUDA_VARIANTS_NAME_MAX)
            at += (size_t)snprintf(out + at, PSAMP_CUDA_VARIANTS_NAME_MAX - at, "+%s",
                                   shown(i, f[i]));
}
