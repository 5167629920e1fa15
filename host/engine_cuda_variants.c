/* The CUDA engine's kernel variants: attention (warp | split) and small-batch GEMMs (gemv |
 * cublas), chosen from the environment at creation and switchable on a live engine, so that
 * one run can time and check both sides of each change (bench_cuda, the GPU tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_cuda_internal.h"

/* Index of value in names (n of them); unset or empty: 0; unknown: -1. */
static int pick(const char *value, const char *const *names, int n) {
    if (!value || !*value) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(value, names[i]) == 0) return i;
    return -1;
}

static const char *const ATTENTION_NAMES[] = {"warp", "split"};
static const char *const GEMM_NAMES[] = {"gemv", "cublas"};

int psamp_cuda_variants_from_env(psamp_cuda_variants *out, psamp_err *err) {
    const char *attn = getenv("PSAMP_ATTN"), *gemm = getenv("PSAMP_GEMM");
    const int a = pick(attn, ATTENTION_NAMES, 2), g = pick(gemm, GEMM_NAMES, 2);
    if (a < 0)
        return psamp_fail(err, "cuda engine: PSAMP_ATTN=%.40s: expected warp or split", attn);
    if (g < 0)
        return psamp_fail(err, "cuda engine: PSAMP_GEMM=%.40s: expected gemv or cublas", gemm);
    *out = (psamp_cuda_variants){(psamp_cuda_attention)a, (psamp_cuda_gemm)g};
    return 0;
}

static int valid(const psamp_cuda_variants *v) {
    return (v->attention == PSAMP_CUDA_ATTN_WARP || v->attention == PSAMP_CUDA_ATTN_SPLIT) &&
           (v->gemm == PSAMP_CUDA_GEMM_GEMV || v->gemm == PSAMP_CUDA_GEMM_CUBLAS);
}

const char *psamp_cuda_variants_name(const psamp_cuda_variants *v) {
    static const char *const names[2][2] = {{"warp+gemv", "warp+cublas"},
                                            {"split+gemv", "split+cublas"}};
    return valid(v) ? names[v->attention][v->gemm] : "?";
}

void cuda_describe_variants(cuda_engine *e) {
    snprintf(e->base.info.detail, sizeof e->base.info.detail, "%s, kernels %s", e->detail_base,
             psamp_cuda_variants_name(&e->variants));
}

int psamp_engine_cuda_set_variants(psamp_engine *base, const psamp_cuda_variants *v,
                                   psamp_err *err) {
    if (!base || base->ops != &cuda_engine_ops)
        return psamp_fail(err, "cuda engine: set_variants on an engine that is not a cuda engine");
    if (!valid(v))
        return psamp_fail(err, "cuda engine: variants (%d, %d) are not an attention and a gemm "
                          "variant", (int)v->attention, (int)v->gemm);
    cuda_engine *e = (cuda_engine *)base;
    if (e->variants.attention != v->attention || e->variants.gemm != v->gemm) {
        e->variants = *v;
        cuda_buckets_reset(e);
        cuda_describe_variants(e);
    }
    return 0;
}

psamp_cuda_variants psamp_engine_cuda_variants(const psamp_engine *base) {
    const psamp_cuda_variants none = {PSAMP_CUDA_ATTN_WARP, PSAMP_CUDA_GEMM_GEMV};
    if (!base || base->ops != &cuda_engine_ops) return none;
    return ((const cuda_engine *)base)->variants;
}
