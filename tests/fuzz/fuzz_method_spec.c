/* Method specs and grids (host/experiments/method_spec.c, method_grid.c): the first input
 * byte picks the command-line form (even) or a config's JSON array (odd); the rest is the
 * text. Every parsed method is then configured for a few lengths and written as JSON, and
 * labels are unique. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "method_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int json = data[0] & 1;
    char *text = malloc(size);
    if (!text) abort();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    method_list l = {NULL, 0};
    psamp_err err = {{0}};
    int rc;
    if (json) {
        cJSON *root = cJSON_Parse(text);
        rc = root ? method_list_from_json(root, "config.json: methods", &l, &err) : 1;
        cJSON_Delete(root);
    } else {
        rc = method_list_from_text(text, "--methods", &l, &err);
    }
    if (rc < 0) {
        fuzz_check_error(&err, "method_spec");
    } else if (rc == 0) {
        if (l.n > 0 && !l.items) fuzz_fail("method_spec", "methods without items");
        FILE *f = fopen("/dev/null", "w");
        if (!f) abort();
        for (int32_t i = 0; i < l.n; i++) {
            if (memchr(l.items[i].label, '\0', METHOD_LABEL_MAX) == NULL) fuzz_fail("method_spec", "label not terminated");
            for (int32_t j = 0; j < i && l.n <= 256; j++)
                if (strcmp(l.items[i].label, l.items[j].label) == 0) fuzz_fail("method_spec", "two methods share a label");
            static const int32_t T[] = {1, 8, 64};
            for (int t = 0; t < 3; t++) {
                psamp_sampler_config run;
                if (method_spec_config(&l.items[i], T[t], 4, 7, &run, &err) != 0)
                    fuzz_check_error(&err, "method_spec (config)");
                else
                    method_spec_write_json(f, &l.items[i], &run);
            }
        }
        fclose(f);
    }
    method_list_free(&l);
    free(text);
    return 0;
}
