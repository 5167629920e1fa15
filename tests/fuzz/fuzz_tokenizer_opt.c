/* Encoding and decoding with the OPT fixture tokenizer (tests/fixtures/tokenizer, byte-level
 * BPE): the input is a text, and also read as little-endian int32 ids. decode(encode(x)) == x
 * byte for byte for every input (tokenizer.h); decoding arbitrary ids fails only on ids
 * outside the vocabulary, with one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tokenizer_hf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static psamp_tokenizer *tokenizer(void) {
    static psamp_tokenizer *tok;
    psamp_err err = {{0}};
    if (!tok && psamp_tokenizer_load(&tok, PSAMP_FIXTURES "/tokenizer/vocab.json",
                                     PSAMP_FIXTURES "/tokenizer/merges.txt", &err) != 0)
        fuzz_fail("tokenizer_opt: the fixture does not load", err.msg);
    return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const psamp_tokenizer *tok = tokenizer();
    psamp_err err = {{0}};
    int32_t *ids = NULL, n = 0;
    char *back = NULL;
    size_t back_len = 0;
    if (psamp_tokenizer_encode(tok, (const char *)data, size, &ids, &n, &err) != 0)
        fuzz_fail("tokenizer_opt (encode)", err.msg);
    if (psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) != 0)
        fuzz_fail("tokenizer_opt (decode of encode)", err.msg);
    if (back_len != size || (size && memcmp(back, data, size) != 0))
        fuzz_fail("tokenizer_opt", "decode(encode(x)) != x");
    free(ids);
    free(back);

    /* The same bytes as ids. */
    int32_t n_raw = (int32_t)(size / 4);
    int32_t *raw = malloc(((size_t)n_raw + 1) * sizeof *raw);
    if (!raw) abort();
    if (n_raw) memcpy(raw, data, (size_t)n_raw * 4);
    back = NULL;
    if (psamp_tokenizer_decode(tok, raw, n_raw, &back, &back_len, &err) != 0) {
        fuzz_check_error(&err, "tokenizer_opt (decode)");
    } else if (back[back_len] != '\0') {
        fuzz_fail("tokenizer_opt", "decode's text is not NUL-terminated");
    }
    free(back);
    back = NULL;
    if (psamp_tokenizer_decode_skip_special(tok, raw, n_raw, &back, &back_len, &err) != 0)
        fuzz_check_error(&err, "tokenizer_opt (decode_skip_special)");
    free(back);
    free(raw);
    return 0;
}
