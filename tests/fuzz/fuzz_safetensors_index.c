/* Sharded checkpoints (host/model/safetensors_index.c): the input is
 * model.safetensors.index.json, beside two small valid shards that the harness writes once
 * (shard-1.safetensors holds "a" and "b", shard-2.safetensors holds "c"). Every name the
 * weight map lists must then be found, in the file it names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "safetensors_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A safetensors file of F32 tensors of 2 elements each, named names[0..n). */
static void write_shard(const char *file, const char *const *names, int n) {
    char header[512];
    size_t h = 0;
    h += (size_t)snprintf(header + h, sizeof header - h, "{");
    for (int i = 0; i < n; i++)
        h += (size_t)snprintf(header + h, sizeof header - h,
                              "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}",
                              i ? "," : "", names[i], 8 * i, 8 * (i + 1));
    h += (size_t)snprintf(header + h, sizeof header - h, "}");
    unsigned char buf[600] = {0};
    for (int b = 0; b < 8; b++) buf[b] = (unsigned char)((uint64_t)h >> (8 * b));
    memcpy(buf + 8, header, h);
    free(fuzz_write_file(file, buf, 8 + h + 8 * (size_t)n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int shards_written;
    if (!shards_written) {
        const char *one[] = {"a", "b"}, *two[] = {"c"};
        write_shard("shard-1.safetensors", one, 2);
        write_shard("shard-2.safetensors", two, 1);
        shards_written = 1;
    }
    free(fuzz_write_file("model.safetensors.index.json", data, size));
    psamp_st_set set;
    psamp_err err = {{0}};
    if (psamp_st_set_open(&set, fuzz_scratch_dir(), &err) != 0) {
        fuzz_check_error(&err, "safetensors_index");
    } else {
        for (int32_t i = 0; i < set.n_names; i++) {
            if (set.file_of[i] < 0 || set.file_of[i] >= set.n_files)
                fuzz_fail("safetensors_index", "a weight-map entry points past the files");
            psamp_err e2 = {{0}};
            const psamp_st_tensor *t = psamp_st_set_find(&set, set.names[i], &e2);
            if (!t) fuzz_check_error(&e2, "safetensors_index (find)");
            if (!t != !psamp_st_set_has(&set, set.names[i]))
                fuzz_fail("safetensors_index", "find and has disagree");
        }
        psamp_err e3 = {{0}};
        if (psamp_st_set_find(&set, "no such tensor", &e3) == NULL) fuzz_check_error(&e3, "safetensors_index (find)");
    }
    psamp_st_set_close(&set);
    return 0;
}
