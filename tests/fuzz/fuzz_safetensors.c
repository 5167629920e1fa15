/* safetensors files (host/model/safetensors.c): the input is the whole file. An opened file
 * must describe tensors inside the mapping whose sizes match their shapes and dtypes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write_file("model.safetensors", data, size);
    psamp_safetensors st;
    psamp_err err = {{0}};
    if (psamp_safetensors_open(&st, path, &err) != 0) {
        fuzz_check_error(&err, "safetensors");
    } else {
        const char *lo = st.map, *hi = lo + st.map_size;
        for (int32_t i = 0; i < st.n_tensors; i++) {
            const psamp_st_tensor *t = &st.tensors[i];
            const char *p = t->data;
            if (t->nbytes != (size_t)t->numel * psamp_dtype_size(t->dtype))
                fuzz_fail("safetensors", "tensor size differs from numel x dtype size");
            if (t->nbytes && (p < lo || p + t->nbytes > hi))
                fuzz_fail("safetensors", "tensor data outside the file");
            volatile char sum = 0; /* touch every byte: ASan checks the bounds */
            for (size_t b = 0; b < t->nbytes; b++) sum ^= p[b];
            (void)sum;
            if (psamp_safetensors_find(&st, t->name) == NULL)
                fuzz_fail("safetensors", "a listed tensor is not found by its name");
            (void)psamp_dtype_name(t->dtype);
        }
        (void)psamp_safetensors_find(&st, "");
    }
    psamp_safetensors_close(&st);
    free(path);
    return 0;
}
