/* Encoding and decoding with the tokenizer.json fixtures (tests/fixtures/tokenizers): the
 * first input byte picks Qwen2.5, Llama-3 or Phi-3.5, the rest is a text, also read as
 * little-endian int32 ids. Properties, as transformers has them (tokenizer_hf.h and
 * tests/fixtures/hf_tokenizer_roundtrip.json): for valid UTF-8, Llama-3 gives the text back
 * exactly and Qwen2.5 gives back its NFC form; decode never fails on ids that encode made,
 * and on arbitrary ids fails only on a negative one, with one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tokenizer_hf.h"
#include "tokenizer_hf_internal.h" /* psamp_hf_nfc */
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const NAMES[3] = {"qwen2", "llama3", "phi3"};

static psamp_tokenizer *tokenizer(int k) {
    static psamp_tokenizer *toks[3];
    if (!toks[k]) {
        char path[1024];
        psamp_err err = {{0}};
        snprintf(path, sizeof path, "%s/tokenizers/%s/tokenizer.json", PSAMP_FIXTURES, NAMES[k]);
        if (psamp_tokenizer_load_json(&toks[k], path, &err) != 0)
            fuzz_fail("tokenizer_hf: a fixture does not load", err.msg);
    }
    return toks[k];
}

static int valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += psamp_utf8_next(s, n, i, &cp);
        if (cp == PSAMP_UTF8_INVALID) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int k = data[0] % 3;
    const psamp_tokenizer *tok = tokenizer(k);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    psamp_err err = {{0}};
    for (int special = 0; special < 2; special++) {
        int32_t *ids = NULL, n = 0;
        char *back = NULL;
        size_t back_len = 0;
        int rc = special ? psamp_tokenizer_encode_special(tok, text, len, &ids, &n, &err)
                         : psamp_tokenizer_encode(tok, text, len, &ids, &n, &err);
        if (rc != 0) fuzz_fail("tokenizer_hf (encode)", err.msg);
        if (psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) != 0)
            fuzz_fail("tokenizer_hf (decode of encode)", err.msg);
        if (!special && k != 2 && valid_utf8((const uint8_t *)text, len)) {
            unsigned char *want = (unsigned char *)text, *nfc = NULL;
            size_t want_len = len;
            if (k == 0) { /* Qwen2.5 normalizes to NFC */
                if (psamp_hf_nfc((const unsigned char *)text, len, &nfc, &want_len, &err) != 0)
                    fuzz_fail("tokenizer_hf (nfc)", err.msg);
                want = nfc;
            }
            if (back_len != want_len || (want_len && memcmp(back, want, want_len) != 0))
                fuzz_fail(NAMES[k], k == 0 ? "decode(encode(x)) != NFC(x)" : "decode(encode(x)) != x");
            free(nfc);
        }
        free(back);
        back = NULL;
        if (psamp_tokenizer_decode_skip_special(tok, ids, n, &back, &back_len, &err) != 0)
            fuzz_fail("tokenizer_hf (decode_skip_special of encode)", err.msg);
        free(back);
        free(ids);
    }
    int32_t n_raw = (int32_t)(len / 4);
    int32_t *raw = malloc(((size_t)n_raw + 1) * sizeof *raw);
    if (!raw) abort();
    if (n_raw) memcpy(raw, text, (size_t)n_raw * 4);
    int negative = 0;
    for (int32_t i = 0; i < n_raw; i++) negative |= raw[i] < 0;
    for (int skip = 0; skip < 2; skip++) {
        char *back = NULL;
        size_t back_len = 0;
        int rc = skip ? psamp_tokenizer_decode_skip_special(tok, raw, n_raw, &back, &back_len, &err)
                      : psamp_tokenizer_decode(tok, raw, n_raw, &back, &back_len, &err);
        if (rc != 0) {
            fuzz_check_error(&err, "tokenizer_hf (decode)");
            if (!negative) fuzz_fail("tokenizer_hf", "decode failed without a negative id");
        } else if (!valid_utf8((const uint8_t *)back, back_len)) {
            fuzz_fail("tokenizer_hf", "decode returned invalid UTF-8");
        }
        free(back);
    }
    free(raw);
    return 0;
}
