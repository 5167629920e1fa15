/* OPT config.json (host/model/opt_config.c): the input is the file. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "opt_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write_file("config.json", data, size);
    opt_config cfg;
    psamp_err err = {{0}};
    if (opt_config_load(&cfg, path, &err) != 0) fuzz_check_error(&err, "opt_config");
    free(path);
    return 0;
}
