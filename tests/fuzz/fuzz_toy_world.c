/* Toy worlds (host/engine/toy/toy_world.c, docs/formats.md): the input is the JSON spec. A
 * world that loads must have transitions inside its tables, rows that sum to 1, and walks
 * and texts that stay in bounds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "toy_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_world(const toy_world *w) {
    if (w->n_tokens < 1 || w->n_states < 1 || w->length < 1) fuzz_fail("toy_world", "empty world loaded");
    if (w->start < 0 || w->start >= w->n_states) fuzz_fail("toy_world", "start out of range");
    for (int32_t s = 0; s < w->n_states; s++) {
        double sum = 0;
        for (int32_t t = 0; t < w->n_tokens; t++) {
            int32_t next = w->next[(size_t)s * w->n_tokens + t];
            double p = w->prob[(size_t)s * w->n_tokens + t];
            if (next < TOY_IMPOSSIBLE || next >= w->n_states) fuzz_fail("toy_world", "transition out of range");
            if (!(p >= 0 && p <= 1)) fuzz_fail("toy_world", "probability outside [0, 1]");
            sum += p;
        }
        if (fabs(sum - 1) > 1e-9 && sum != 0) fuzz_fail("toy_world", "a row does not sum to 1");
    }
    /* The greedy path and every correct sequence: walk them and write their text. */
    int32_t *seq = malloc(((size_t)w->length + 1) * sizeof *seq), n = 0, s = w->start;
    if (!seq) abort();
    while (n < w->length && s >= 0) {
        int32_t best = 0;
        for (int32_t t = 1; t < w->n_tokens; t++)
            if (w->prob[(size_t)s * w->n_tokens + t] > w->prob[(size_t)s * w->n_tokens + best]) best = t;
        seq[n++] = best;
        s = w->next[(size_t)s * w->n_tokens + best];
    }
    char buf[64];
    double logp;
    int32_t end;
    psamp_err err = {{0}};
    for (int32_t m = 0; m <= n; m++) {
        if (toy_world_walk(w, seq, m, &logp, &end, &err) != 0) fuzz_check_error(&err, "toy_world (walk)");
        toy_world_text(w, seq, m, buf, sizeof buf);
        (void)toy_world_is_correct(w, seq, m);
    }
    for (int32_t c = 0; c < w->n_correct; c++) {
        const int32_t *tokens = w->correct_tokens + w->correct_offset[c];
        int32_t len = w->correct_offset[c + 1] - w->correct_offset[c];
        if (toy_world_walk(w, tokens, len, &logp, &end, &err) != 0) fuzz_check_error(&err, "toy_world (walk)");
        if (!toy_world_is_correct(w, tokens, len)) fuzz_fail("toy_world", "a correct sequence is not correct");
        toy_world_text(w, tokens, len, buf, sizeof buf);
    }
    for (int32_t t = 0; t < w->n_tokens; t++)
        if (toy_world_token_id(w, w->tokens[t]) < 0) fuzz_fail("toy_world", "a token is not found by its text");
    free(seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    toy_world *w = NULL;
    psamp_err err = {{0}};
    if (toy_world_parse((const char *)data, size, "world.json", &w, &err) != 0) {
        fuzz_check_error(&err, "toy_world");
        if (w) fuzz_fail("toy_world", "a failed load left a world");
    } else {
        check_world(w);
    }
    toy_world_free(w);
    return 0;
}
