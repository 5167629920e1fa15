/* Hugging Face tokenizer.json (host/tokenizer/tokenizer_hf*.c): the input is the file, a NUL
 * byte and a text. A tokenizer that loads must encode the text (with and without the
 * post-processor's special tokens) and decode what it encoded. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "tokenizer_hf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t json_len, text_len;
    char *json = fuzz_next_part(&data, &size, &json_len);
    char *text = fuzz_next_part(&data, &size, &text_len);
    char *path = fuzz_write_file("tokenizer.json", json, json_len);
    psamp_tokenizer *tok = NULL;
    psamp_err err = {{0}};
    if (psamp_tokenizer_load_json(&tok, path, &err) != 0) {
        fuzz_check_error(&err, "tokenizer_json");
        if (tok) fuzz_fail("tokenizer_json", "a failed load left a tokenizer");
    } else {
        if (!psamp_tokenizer_is_json(tok)) fuzz_fail("tokenizer_json", "not marked as tokenizer.json");
        for (int special = 0; special < 2 && text; special++) {
            int32_t *ids = NULL, n = 0;
            char *back = NULL;
            size_t back_len = 0;
            int rc = special ? psamp_tokenizer_encode_special(tok, text, text_len, &ids, &n, &err)
                             : psamp_tokenizer_encode(tok, text, text_len, &ids, &n, &err);
            if (rc != 0) {
                fuzz_check_error(&err, "tokenizer_json (encode)");
            } else {
                if (psamp_tokenizer_decode(tok, ids, n, &back, &back_len, &err) != 0)
                    fuzz_fail("tokenizer_json: decode of encode failed", err.msg);
                free(back);
                back = NULL;
                if (psamp_tokenizer_decode_skip_special(tok, ids, n, &back, &back_len, &err) != 0)
                    fuzz_fail("tokenizer_json: decode_skip_special of encode failed", err.msg);
                free(back);
            }
            free(ids);
        }
        (void)psamp_tokenizer_vocab_size(tok);
        (void)psamp_tokenizer_id(tok, "<s>");
    }
    psamp_tokenizer_free(tok);
    free(path);
    free(json);
    free(text);
    return 0;
}
