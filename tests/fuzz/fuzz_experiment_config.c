/* Experiment configs of psamp passk and psamp h3 (host/experiments/experiment_config.c over
 * host/util/exp_config.c, methods through method_spec.c / method_grid.c): the input is the
 * config file, read as both kinds, then checked as the commands check it. */
#include <stdint.h>
#include <stdlib.h>

#include "experiment_config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write_file("experiment.json", data, size);
    for (int kind = 0; kind < 2; kind++) {
        experiment_config c;
        psamp_err err = {{0}};
        if (experiment_config_init(&c, kind ? EXPERIMENT_H3 : EXPERIMENT_PASSK, &err) != 0)
            fuzz_fail("experiment_config (init)", err.msg);
        if (experiment_config_load(&c, path, &err) != 0)
            fuzz_check_error(&err, "experiment_config");
        else if (experiment_config_check(&c, &err) != 0)
            fuzz_check_error(&err, "experiment_config (check)");
        else if (kind == 0 && (c.n_ks < 1 || !c.ks))
            fuzz_fail("experiment_config", "a checked pass@k config has no k list");
        experiment_config_free(&c);
    }
    free(path);
    return 0;
}
