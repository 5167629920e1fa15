/* GPT-2 / OPT tokenizer files (host/tokenizer/tokenizer_files.c): the input is vocab.json,
 * a NUL byte, merges.txt, a NUL byte and a text. A tokenizer that loads must give back the
 * text's bytes exactly: decode(encode(x)) == x for every x (tokenizer.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t vocab_len, merges_len, text_len;
    char *vocab = fuzz_next_part(&data, &size, &vocab_len);
    char *merges = fuzz_next_part(&data, &size, &merges_len);
    char *text = fuzz_next_part(&data, &size, &text_len);
    char *vocab_path = fuzz_write_file("vocab.json", vocab, vocab_len);
    char *merges_path = fuzz_write_file("merges.txt", merges ? merges : "", merges ? merges_len : 0);
    psamp_tokenizer *tok = NULL;
    psamp_err err = {{0}};
    if (psamp_tokenizer_load(&tok, vocab_path, merges_path, &err) != 0) {
        fuzz_check_error(&err, "tokenizer_files");
        if (tok) fuzz_fail("tokenizer_files", "a failed load left a tokenizer");
    } else if (text) {
        int32_t *ids = NULL, n = 0;
        char *back = NULL;
        size_t back_len = 0;
        if (psamp_tokenizer_encode(tok, text, text_len, &ids, &n, &err) != 0) {
            fuzz_check_error(&err, "tokenizer_files (encode)");
        } else if (psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) != 0) {
            fuzz_fail("tokenizer_files", err.msg);
        } else if (back_len != text_len || memcmp(back, text, text_len) != 0) {
            fuzz_fail("tokenizer_files", "decode(encode(x)) != x");
        }
        free(ids);
        free(back);
    }
    psamp_tokenizer_free(tok);
    free(vocab_path);
    free(merges_path);
    free(vocab);
    free(merges);
    free(text);
    return 0;
}
