/* Tokenizer throughput (a tool, not a test):
 *   bench_tokenizer VOCAB_JSON MERGES_TXT TEXT_FILE [MEGABYTES] [IDS_OUT]
 * repeats TEXT_FILE's bytes up to MEGABYTES (default 1), then times encode and decode (best
 * of 5 runs) and checks the round trip. IDS_OUT, when given, receives the ids of TEXT_FILE as
 * it is (one per line), for comparison with another tokenizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "testlib.h"
#include "tokenizer.h"


static int write_ids(const psamp_tokenizer *tok, const char *text, size_t len, const char *path) {
    int32_t *ids = NULL, n = 0;
    psamp_err err = {""};
    if (psamp_tokenizer_encode(tok, text, len, &ids, &n, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        free(ids);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) fprintf(f, "%d\n", ids[i]);
    fclose(f);
    free(ids);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s VOCAB_JSON MERGES_TXT TEXT_FILE [MEGABYTES] [IDS_OUT]\n", argv[0]);
        return 2;
    }
    double megabytes = argc > 4 ? atof(argv[4]) : 1.0;
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    double t0 = psamp_now_seconds();
    if (psamp_tokenizer_load(&tok, argv[1], argv[2], &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double load_s = psamp_now_seconds() - t0;
    size_t src_len = 0;
    char *src = psamp_test_read_file(argv[3], &src_len);
    size_t len = (size_t)(megabytes * 1048576.0);
    char *text = src && src_len > 0 ? malloc(len) : NULL;
    if (!text || len == 0) {
        fprintf(stderr, "%s: cannot read, or nothing to encode\n", argv[3]);
        return 1;
    }
    for (size_t i = 0; i < len; i += src_len) memcpy(text + i, src, len - i < src_len ? len - i : src_len);
    if (argc > 5 && write_ids(tok, src, src_len, argv[5])) return 1;

    double best_enc = 1e30, best_dec = 1e30;
    int32_t n = 0;
    int ok = 1;
    for (int run = 0; run < 5 && ok; run++) {
        int32_t *ids = NULL;
        char *back = NULL;
        size_t back_len = 0;
        double a = psamp_now_seconds();
        ok = psamp_tokenizer_encode(tok, text, len, &ids, &n, &err) == 0;
        double b = psamp_now_seconds();
        ok = ok && psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) == 0;
        double c = psamp_now_seconds();
        ok = ok && back_len == len && memcmp(back, text, len) == 0;
        if (b - a < best_enc) best_enc = b - a;
        if (c - b < best_dec) best_dec = c - b;
        free(ids);
        free(back);
    }
    if (!ok) {
        fprintf(stderr, "round trip failed: %s\n", err.msg);
        return 1;
    }
    printf("vocab %d ids, load %.3f s; text %zu bytes -> %d tokens (%.2f bytes/token)\n",
           psamp_tokenizer_vocab_size(tok), load_s, len, n, (double)len / n);
    printf("encode %.4f s (%.1f MB/s, %.2f M tokens/s); decode %.4f s (%.0f MB/s)\n", best_enc,
           len / 1048576.0 / best_enc, n / 1e6 / best_enc, best_dec, len / 1048576.0 / best_dec);
    free(text);
    free(src);
    psamp_tokenizer_free(tok);
    return 0;
}
