#include "bench_sgemm.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"


static void shapes_of(const opt_config *c, bench_sgemm_shape *s) {
    const int32_t h = c->hidden;
    bench_sgemm_shape list[BENCH_SGEMM_SHAPES] = {
        {"qkv", 3 * h, h, c->n_layers, 0.0},
        {"out_proj", h, h, c->n_layers, 0.0},
        {"fc1", c->ffn_dim, h, c->n_layers, 0.0},
        {"fc2", h, c->ffn_dim, c->n_layers, 0.0},
        {"lm_head", c->vocab_size, c->word_embed_proj_dim, 1, 0.0},
    };
    memcpy(s, list, sizeof list);
}

double bench_gemm_flops_per_token(const opt_config *cfg) {
    bench_sgemm_shape s[BENCH_SGEMM_SHAPES];
    shapes_of(cfg, s);
    double flops = 0.0;
    for (int i = 0; i < BENCH_SGEMM_SHAPES; i++) flops += 2.0 * s[i].out * (double)s[i].in * s[i].per_token;
    if (cfg->word_embed_proj_dim != cfg->hidden) flops += 2.0 * 2.0 * cfg->hidden * (double)cfg->word_embed_proj_dim;
    return flops;
}

/* Best time of one pass over `copies` weight buffers of one shape. */
static double time_shape(const bench_sgemm_shape *s, int32_t rows, int32_t copies, float **w, const float *x, float *y,
                         double budget) {
    double best = 1e30, t_end = psamp_now_seconds() + budget;
    int reps = 0;
    do {
        double t0 = psamp_now_seconds();
        for (int32_t c = 0; c < copies; c++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, s->out, s->in, 1.0f, x, s->in, w[c], s->in, 0.0f,
                        y, s->out);
        double t = psamp_now_seconds() - t0;
        if (t < best) best = t;
        reps++;
    } while (psamp_now_seconds() < t_end || reps < 2);
    return best / copies;
}

int bench_sgemm_measure(const opt_config *cfg, int32_t rows, double min_seconds, bench_sgemm_report *out,
                        psamp_err *err) {
    memset(out, 0, sizeof *out);
    out->rows = rows;
    shapes_of(cfg, out->shapes);
    out->gemm_flops_per_token = bench_gemm_flops_per_token(cfg);
    double step_seconds = 0.0, step_flops = 0.0;
    for (int i = 0; i < BENCH_SGEMM_SHAPES; i++) {
        bench_sgemm_shape *s = &out->shapes[i];
        int32_t copies = s->per_token;
        size_t wn = (size_t)s->out * (size_t)s->in;
        float **w = calloc((size_t)copies, sizeof *w);
        float *x = malloc((size_t)rows * (size_t)s->in * sizeof *x);
        float *y = malloc((size_t)rows * (size_t)s->out * sizeof *y);
        int ok = w && x && y;
        for (int32_t c = 0; ok && c < copies; c++) {
            w[c] = malloc(wn * sizeof(float));
            ok = w[c] != NULL;
            /* Small varied values: no denormals, nothing a BLAS could shortcut. */
            for (size_t k = 0; ok && k < wn; k++) w[c][k] = (float)((k * 2654435761u + (size_t)c) % 1024) * 1e-4f;
        }
        for (size_t k = 0; ok && k < (size_t)rows * (size_t)s->in; k++) x[k] = (float)(k % 977) * 1e-3f;
        if (ok) {
            double t = time_shape(s, rows, copies, w, x, y, min_seconds / BENCH_SGEMM_SHAPES);
            double flops = 2.0 * rows * (double)s->out * s->in;
            s->gflops = flops / t * 1e-9;
            step_seconds += t * s->per_token;
            step_flops += flops * s->per_token;
        }
        for (int32_t c = 0; w && c < copies; c++) free(w[c]);
        free(w);
        free(x);
        free(y);
        if (!ok) return psamp_fail(err, "sgemm benchmark: out of memory for %s at %d rows", s->name, rows);
    }
    out->step_gflops = step_flops / step_seconds * 1e-9;
    return 0;
}
