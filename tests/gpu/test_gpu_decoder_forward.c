/* The GPU decoder forward (host/engine/cuda/engine_cuda_decoder*.c over kernels/decoder_*.cu
 * and cuBLAS) against the CPU engine's forward (decoder_forward_cpu.c) on the transformers-
 * written fixtures: Qwen2 with q/k/v biases and GQA, Llama with llama3 RoPE, Phi-3 with fused
 * projections and longrope (positions inside the original context), MQA in bf16, MHA in
 * fp16. Per model: a prefill call carrying rows of two slots, then a decode step of three
 * slots (one new at position 0) with a padding row; every row's logits compared. In fp32
 * the two forwards differ by summation order only; in fp16/bf16 by the GPU's rounding of
 * weights, activations and caches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_checkpoint.h"
#include "decoder_forward_cpu.h"
#include "decoder_weights_cpu.h"
#include "engine_cuda_decoder.h"
#include "gpu_test.h"

enum { SLOTS = 4, MAX_LEN = 32, MAX_ROWS = 12 };

/* One call on both forwards: rows (CUDA form; padding rows only on the GPU side). */
static void run_both(psamp_test_state *t, cuda_decoder *g, decoder_cpu_forward *f, const psamp_k_row *rows,
                     int32_t n, const char *model, const char *what, double tol) {
    opt_cpu_row cpu_rows[MAX_ROWS];
    int32_t live[MAX_ROWS], n_live = 0;
    for (int32_t r = 0; r < n; r++)
        if (rows[r].slot >= 0) {
            cpu_rows[n_live] = (opt_cpu_row){rows[r].slot, rows[r].pos, rows[r].token};
            live[n_live++] = r;
        }
    decoder_cpu_forward_rows(f, cpu_rows, n_live, 1, NULL);
    psamp_err err = {0};
    const int rc = cuda_decoder_forward(g, rows, n, NULL, 1, &err);
    CHECK(t, rc == 0, "%s: forward: %s", model, err.msg);
    if (rc != 0) return;
    const size_t v = (size_t)g->cfg.vocab_size;
    float *got = malloc((size_t)n * v * sizeof *got), *sel = malloc((size_t)n_live * v * sizeof *sel);
    double *ref = malloc((size_t)n_live * v * sizeof *ref);
    CHECK(t, got && sel && ref, "forward: memory");
    if (got && sel && ref) {
        GPU_OK(t, cudaStreamSynchronize(g->stream));
        GPU_OK(t, cudaMemcpy(got, g->logits, (size_t)n * v * sizeof *got, cudaMemcpyDeviceToHost));
        for (int32_t i = 0; i < n_live; i++)
            for (size_t j = 0; j < v; j++) {
                sel[(size_t)i * v + j] = got[(size_t)live[i] * v + j];
                ref[(size_t)i * v + j] = f->logits[(size_t)i * v + j];
            }
        char name[96];
        snprintf(name, sizeof name, "decoder forward %s %s", model, what);
        report_row(t, name, dtype_label(g->dtype), "rel_err", rel_error(sel, ref, (size_t)n_live * v), tol);
    }
    free(got), free(sel), free(ref);
}

static void check_model(psamp_test_state *t, cpu_pool *pool, const char *model, psamp_dtype dt, double tol) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", PSAMP_FIXTURES, model);
    decoder_checkpoint ck;
    psamp_err err = {0};
    if (decoder_checkpoint_open(&ck, dir, &err) != 0) {
        CHECK(t, 0, "%s: %s", model, err.msg);
        return;
    }
    decoder_weights_f32 w;
    decoder_cpu_forward f;
    cuda_decoder g;
    const int w_ok = decoder_weights_f32_load(&w, &ck, &err) == 0;
    CHECK(t, w_ok, "%s: weights: %s", model, err.msg);
    const int f_ok = w_ok && decoder_cpu_forward_init(&f, &w, pool, SLOTS, MAX_LEN, MAX_ROWS, &err) == 0;
    CHECK(t, !w_ok || f_ok, "%s: cpu forward: %s", model, err.msg);
    const int g_ok = f_ok && cuda_decoder_create(&g, &ck.cfg, dt, SLOTS, MAX_LEN, MAX_ROWS, &err) == 0 &&
                     cuda_decoder_upload(&g, &ck, &err) == 0;
    CHECK(t, !f_ok || g_ok, "%s: cuda decoder: %s", model, err.msg);
    if (g_ok) {
        const int32_t v = ck.cfg.vocab_size;
        psamp_k_row prefill[9], step[4];
        memset(prefill, 0, sizeof prefill);
        memset(step, 0, sizeof step);
        for (int32_t i = 0; i < 6; i++) prefill[i] = (psamp_k_row){.slot = 0, .pos = i, .token = (17 * i + 3) % v, .target = -1};
        for (int32_t i = 0; i < 3; i++) prefill[6 + i] = (psamp_k_row){.slot = 1, .pos = i, .token = (29 * i + 11) % v, .target = -1};
        run_both(t, &g, &f, prefill, 9, model, "prefill", tol);
        step[0] = (psamp_k_row){.slot = 1, .pos = 3, .token = 5 % v, .target = -1};
        step[1] = (psamp_k_row){.slot = -1, .pos = 0, .token = 0, .target = -1};
        step[2] = (psamp_k_row){.slot = 0, .pos = 6, .token = 7 % v, .target = -1};
        step[3] = (psamp_k_row){.slot = 3, .pos = 0, .token = 2 % v, .target = -1};
        run_both(t, &g, &f, step, 4, model, "step", tol);
        /* the rest of slot 1's context up to the last position (31: inside Phi-3's 32) */
        for (int32_t p = 4; p < MAX_LEN; p += 9) {
            psamp_k_row more[9];
            memset(more, 0, sizeof more);
            int32_t n = 0;
            for (; n < 9 && p + n < MAX_LEN; n++)
                more[n] = (psamp_k_row){.slot = 1, .pos = p + n, .token = (13 * (p + n) + 1) % v, .target = -1};
            run_both(t, &g, &f, more, n, model, "long prefill", tol);
        }
    }
    if (g_ok) cuda_decoder_destroy(&g);
    if (f_ok) decoder_cpu_forward_free(&f);
    if (w_ok) decoder_weights_f32_free(&w);
    decoder_checkpoint_close(&ck);
}

static void check_arguments(psamp_test_state *t) {
    cuda_decoder g;
    psamp_err err = {0};
    decoder_config c;
    memset(&c, 0, sizeof c);
    CHECK(t, cuda_decoder_create(&g, &c, (psamp_dtype)7, 1, 8, 1, &err) != 0 && strstr(err.msg, "dtype"),
          "create: an unknown dtype must be refused by name");
    CHECK(t, cuda_decoder_create(&g, &c, PSAMP_BF16, 0, 8, 1, &err) != 0 && strstr(err.msg, "n_slots"),
          "create: zero slots must be refused");
}

int main(void) {
    const int gate = gpu_test_begin("test_gpu_decoder_forward");
    if (gate) return gate;
    psamp_test_state t = {0, 0};
    cpu_pool *pool = NULL;
    psamp_err err = {0};
    CHECK(&t, cpu_pool_create(&pool, 1, &err) == 0, "cpu pool: %s", err.msg);
    if (pool) {
        check_model(&t, pool, "qwen2-tiny-gqa", PSAMP_F32, 2e-5);
        check_model(&t, pool, "llama-tiny-gqa-llama3rope", PSAMP_F32, 2e-5);
        check_model(&t, pool, "phi3-tiny-longrope", PSAMP_F32, 2e-5);
        check_model(&t, pool, "qwen2-tiny-gqa", PSAMP_BF16, 4e-2);
        check_model(&t, pool, "qwen2-tiny-mqa-bf16", PSAMP_BF16, 4e-2);
        check_model(&t, pool, "llama-tiny-mha-f16", PSAMP_F16, 6e-3);
        cpu_pool_destroy(pool);
    }
    check_arguments(&t);
    return psamp_test_finish(&t, "test_gpu_decoder_forward");
}
