/* Qwen2 / Llama / Phi-3 config.json (host/model/hf_config.c): the input is the file. A config
 * that loads must pass hf_config_check and keep its counts inside their arrays. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "hf_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write_file("config.json", data, size);
    decoder_config *cfg = calloc(1, sizeof *cfg); /* ~4 KB of rope factors */
    psamp_err err = {{0}};
    if (!cfg) abort();
    if (hf_config_load(cfg, path, &err) != 0) {
        fuzz_check_error(&err, "hf_config");
    } else {
        if (hf_config_check(cfg, path, &err) != 0) fuzz_fail("hf_config", "a loaded config fails hf_config_check");
        if (cfg->n_eos < 0 || cfg->n_eos > DECODER_MAX_EOS) fuzz_fail("hf_config", "n_eos out of range");
        if (!hf_config_is_decoder_type(cfg->model_type)) fuzz_fail("hf_config", "loaded an unknown model_type");
    }
    free(cfg);
    free(path);
    return 0;
}
