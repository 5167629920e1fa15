/* Sharded checkpoints (host/model/safetensors_set.c): the input is
 * model.safetensors.index.json, beside two small valid shards that the harness writes once
 * (shard-1.safetensors holds "a" and "b", shard-2.safetensors holds "c"). The set either
 * fails with one line or opens with every tensor of its shards findable. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "safetensors_set.h"

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
        fuzz_check_error(&err, "safetensors_set");
        if (set.n_files != 0) fuzz_fail("safetensors_set", "a failed open left files in the set");
    } else {
        /* Opening checked the index against the shards, so every tensor a shard holds is found. */
        for (int32_t f = 0; f < set.n_files; f++)
            for (int32_t i = 0; i < set.files[f].n_tensors; i++)
                if (!psamp_st_set_find(&set, set.files[f].tensors[i].name))
                    fuzz_fail("safetensors_set", "a tensor of an opened shard is not found");
        if (psamp_st_set_find(&set, "no such tensor") != NULL) fuzz_fail("safetensors_set", "found a tensor no shard holds");
    }
    psamp_st_set_close(&set);
    return 0;
}
