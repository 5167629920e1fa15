/* The safetensors reader: a good file reads back exactly (F32, F16 with subnormals and
 * infinities, BF16); every kind of broken file fails with one line naming the file and, where
 * there is one, the tensor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "test_files.h"
#include "testlib.h"

/* Opens path; expects failure with every string of want[] in the message. */
static void expect_error(psamp_test_state *t, const char *path, const char *case_name,
                         const char *want1, const char *want2) {
    psamp_safetensors st;
    psamp_err err = {{0}};
    int rc = psamp_safetensors_open(&st, path, &err);
    CHECK(t, rc == -1, "%s: open should fail", case_name);
    CHECK(t, st.tensors == NULL && st.map == NULL, "%s: nothing left open", case_name);
    CHECK(t, strstr(err.msg, path) != NULL, "%s: message names the file: %s", case_name, err.msg);
    CHECK(t, want1 == NULL || strstr(err.msg, want1), "%s: message lacks '%s': %s", case_name,
          want1, err.msg);
    CHECK(t, want2 == NULL || strstr(err.msg, want2), "%s: message lacks '%s': %s", case_name,
          want2, err.msg);
    CHECK(t, strchr(err.msg, '\n') == NULL, "%s: one line", case_name);
    printf("  %-28s %s\n", case_name, err.msg);
    psamp_safetensors_close(&st);
}

static void check_good_file(psamp_test_state *t, const char *dir) {
    char path[4096];
    /* a: F32 [2, 2] at [0, 16); h: F16 [4] at [16, 24); b: BF16 [2] at [24, 28). Listed out
     * of data order on purpose. */
    const char *header =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[24,28]}}   ";
    unsigned char data[28];
    const float a[4] = {1.5f, -2.0f, 3.25f, 1e-30f};
    memcpy(data, a, 16);
    /* 1.0, a subnormal (2^-24), -inf, -2.5 in binary16 */
    const uint16_t h[4] = {0x3c00u, 0x0001u, 0xfc00u, 0xc100u};
    memcpy(data + 16, h, 8);
    const uint16_t b[2] = {0x3f80u, 0xc0a0u}; /* 1.0, -5.0 in bfloat16 */
    memcpy(data + 24, b, 4);
    test_write_safetensors(test_path(path, dir, "good.safetensors"), header, data, sizeof data);

    psamp_safetensors st;
    psamp_err err = {{0}};
    CHECK(t, psamp_safetensors_open(&st, path, &err) == 0, "good file opens: %s", err.msg);
    CHECK(t, st.n_tensors == 3, "three tensors (metadata skipped), got %d", st.n_tensors);
    const psamp_st_tensor *ta = psamp_safetensors_find(&st, "a");
    const psamp_st_tensor *th = psamp_safetensors_find(&st, "h");
    const psamp_st_tensor *tb = psamp_safetensors_find(&st, "b");
    CHECK(t, ta && th && tb && !psamp_safetensors_find(&st, "c"), "find by name");
    if (ta && th && tb) {
        CHECK(t, ta->ndim == 2 && ta->shape[0] == 2 && ta->shape[1] == 2 && ta->dtype == PSAMP_F32,
              "a's shape and dtype");
        CHECK(t, th->dtype == PSAMP_F16 && tb->dtype == PSAMP_BF16, "dtypes");
        float v[4];
        psamp_tensor view = {ta->data, ta->dtype, 2, {2, 2}, ta->name};
        psamp_tensor_to_f32(&view, v);
        for (int i = 0; i < 4; i++) CHECK(t, v[i] == a[i], "F32 element %d", i);
        view = (psamp_tensor){th->data, th->dtype, 1, {4, 0}, th->name};
        psamp_tensor_to_f32(&view, v);
        CHECK(t, v[0] == 1.0f && v[1] == ldexpf(1.0f, -24) && isinf(v[2]) && v[2] < 0 &&
                     v[3] == -2.5f,
              "F16 values %g %g %g %g", v[0], v[1], v[2], v[3]);
        view = (psamp_tensor){tb->data, tb->dtype, 1, {2, 0}, tb->name};
        psamp_tensor_to_f32(&view, v);
        CHECK(t, v[0] == 1.0f && v[1] == -5.0f, "BF16 values %g %g", v[0], v[1]);
    }
    psamp_safetensors_close(&st);
}

/* One header with one problem, written with data_len bytes of zeros after it. */
static void check_bad_header(psamp_test_state *t, const char *dir, const char *case_name,
                             const char *header, size_t data_len, const char *want1,
                             const char *want2) {
    char path[4096];
    unsigned char zeros[64] = {0};
    test_write_safetensors(test_path(path, dir, "bad.safetensors"), header, zeros, data_len);
    expect_error(t, path, case_name, want1, want2);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    if (!dir) {
        fprintf(stderr, "cannot create a temp dir\n");
        return 1;
    }
    char path[4096];
    check_good_file(&t, dir);

    expect_error(&t, test_path(path, dir, "absent.safetensors"), "missing file", "cannot open", NULL);
    test_write_bytes(test_path(path, dir, "short.safetensors"), "\x10\0\0", 3);
    expect_error(&t, path, "shorter than 8 bytes", "shorter than", NULL);
    {
        unsigned char bytes[12] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
        test_write_bytes(test_path(path, dir, "past.safetensors"), bytes, sizeof bytes);
        expect_error(&t, path, "header length past EOF", "header length 200", "past the end");
        bytes[7] = 0x80; /* a length near 2^63 must not wrap around */
        test_write_bytes(path, bytes, sizeof bytes);
        expect_error(&t, path, "huge header length", "past the end", NULL);
    }
    const char *x = "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char h[512];
    check_bad_header(&t, dir, "malformed JSON", "{\"x\":{\"dtype\":\"F32\",", 0, "malformed JSON", NULL);
    check_bad_header(&t, dir, "not an object", "[1, 2]", 0, "not an object", NULL);
    snprintf(h, sizeof h, "{%s} junk", x);
    check_bad_header(&t, dir, "trailing junk", h, 8, "trailing", NULL);
    check_bad_header(&t, dir, "unknown dtype",
                     "{\"x\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                     "tensor 'x'", "unsupported dtype \"Q7\"");
    check_bad_header(&t, dir, "NUL in a name",
                     "{\"x\\u0000y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                     "U+0000", NULL);
    check_bad_header(&t, dir, "names escaped",
                     "{\"x\\ny\\u001b\":{\"dtype\":\"Q\\t7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                     "tensor 'x\\ny\\x1b'", "unsupported dtype \"Q\\t7\"");
    check_bad_header(&t, dir, "I64 dtype",
                     "{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
                     "tensor 'x'", "I64");
    check_bad_header(&t, dir, "missing shape", "{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}",
                     8, "tensor 'x'", "shape");
    check_bad_header(&t, dir, "negative dim",
                     "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                     "tensor 'x'", "shape[0]");
    check_bad_header(&t, dir, "fractional offset",
                     "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,7.5]}}", 8,
                     "tensor 'x'", "data_offsets");
    check_bad_header(&t, dir, "size != numel x dtype size",
                     "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                     "tensor 'x'", "needs 4");
    check_bad_header(&t, dir, "offsets out of bounds",
                     "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                     "tensor 'x'", "past the data buffer");
    snprintf(h, sizeof h, "{%s,\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", x);
    check_bad_header(&t, dir, "overlapping", h, 12, "tensor 'y'", "overlap tensor 'x'");
    snprintf(h, sizeof h, "{%s,\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", x);
    check_bad_header(&t, dir, "gap between tensors", h, 16, "tensor 'y'", "not contiguous");
    check_bad_header(&t, dir, "data beyond the last tensor", (snprintf(h, sizeof h, "{%s}", x), h),
                     12, "not contiguous", NULL);
    snprintf(h, sizeof h, "{%s,%s}", x, x);
    check_bad_header(&t, dir, "duplicate name", h, 8, "tensor 'x'", "twice");
    check_bad_header(&t, dir, "metadata not an object", "{\"__metadata__\":3}", 0, "__metadata__", NULL);

    test_dir_remove(dir);
    return psamp_test_finish(&t, "test_safetensors");
}
