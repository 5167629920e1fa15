#include "safetensors.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_check.h"

/* JSON numbers are doubles: integers are exact up to 2^53, far beyond any real file. */
#define ST_MAX_JSON_INT 9007199254740992.0

size_t psamp_dtype_size(psamp_dtype dtype) { return dtype == PSAMP_F32 ? 4 : 2; }

const char *psamp_dtype_name(psamp_dtype dtype) {
    switch (dtype) {
    case PSAMP_F32: return "F32";
    case PSAMP_F16: return "F16";
    case PSAMP_BF16: return "BF16";
    }
    return "?";
}

void psamp_safetensors_close(psamp_safetensors *st) {
    if (!st) return;
    for (int32_t i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    free(st->tensors);
    if (st->map) munmap(st->map, st->map_size);
    free(st->path);
    memset(st, 0, sizeof *st);
}

const psamp_st_tensor *psamp_safetensors_find(const psamp_safetensors *st, const char *name) {
    for (int32_t i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

/* A non-negative integral JSON number, or -1. */
static int64_t json_index(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0.0 && d <= ST_MAX_JSON_INT) || floor(d) != d) return -1;
    return (int64_t)d;
}

static int parse_dtype(const char *s, psamp_dtype *out) {
    if (strcmp(s, "F32") == 0) *out = PSAMP_F32;
    else if (strcmp(s, "F16") == 0) *out = PSAMP_F16;
    else if (strcmp(s, "BF16") == 0) *out = PSAMP_BF16;
    else return -1;
    return 0;
}

/* Reads one header entry into t (everything but the data pointer). */
static int parse_entry(const char *path, const cJSON *entry, psamp_st_tensor *t,
                       int64_t offsets[2], psamp_err *err) {
    char qn[PSAMP_QUOTE_MAX], qd[PSAMP_QUOTE_MAX];
    const char *name = psamp_escape(qn, sizeof qn, entry->string);
    if (!cJSON_IsObject(entry))
        return psamp_fail(err, "%s: tensor '%s': header entry is not an object", path, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!cJSON_IsString(dtype))
        return psamp_fail(err, "%s: tensor '%s': missing or non-string \"dtype\"", path, name);
    if (parse_dtype(dtype->valuestring, &t->dtype) != 0)
        return psamp_fail(err, "%s: tensor '%s': unsupported dtype \"%s\" (expected F32, F16 or BF16)",
                          path, name, psamp_escape(qd, sizeof qd, dtype->valuestring));
    if (!cJSON_IsArray(shape))
        return psamp_fail(err, "%s: tensor '%s': missing or non-array \"shape\"", path, name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > PSAMP_ST_MAX_DIMS)
        return psamp_fail(err, "%s: tensor '%s': %d dimensions (at most %d supported)", path, name,
                          ndim, PSAMP_ST_MAX_DIMS);
    t->ndim = ndim;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        int64_t n = json_index(cJSON_GetArrayItem(shape, d));
        if (n < 0)
            return psamp_fail(err, "%s: tensor '%s': shape[%d] is not a non-negative integer", path,
                              name, d);
        if (n > 0 && numel > INT64_MAX / 8 / n)
            return psamp_fail(err, "%s: tensor '%s': shape is too large", path, name);
        t->shape[d] = n;
        numel *= n;
    }
    t->numel = numel;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return psamp_fail(err, "%s: tensor '%s': \"data_offsets\" must be an array [begin, end]",
                          path, name);
    offsets[0] = json_index(cJSON_GetArrayItem(offs, 0));
    offsets[1] = json_index(cJSON_GetArrayItem(offs, 1));
    if (offsets[0] < 0 || offsets[1] < 0 || offsets[1] < offsets[0])
        return psamp_fail(err, "%s: tensor '%s': data_offsets must be integers 0 <= begin <= end",
                          path, name);
    int64_t expect = numel * (int64_t)psamp_dtype_size(t->dtype);
    if (offsets[1] - offsets[0] != expect)
        return psamp_fail(err,
                          "%s: tensor '%s': data_offsets span %lld bytes but shape x %s needs %lld",
                          path, name, (long long)(offsets[1] - offsets[0]),
                          psamp_dtype_name(t->dtype), (long long)expect);
    t->nbytes = (size_t)expect;
    return 0;
}

typedef struct {
    int64_t begin, end;
    int32_t index; /* into the parse order */
} st_span;

static int span_cmp(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* The spans must tile [0, data_size) exactly, in begin order. */
static int check_tiling(const char *path, const psamp_st_tensor *parsed, st_span *spans, int32_t n,
                        int64_t data_size, psamp_err *err) {
    qsort(spans, (size_t)n, sizeof *spans, span_cmp);
    int64_t at = 0;
    for (int32_t i = 0; i < n; i++) {
        char qn[PSAMP_QUOTE_MAX], qp[PSAMP_QUOTE_MAX];
        const char *name = psamp_escape(qn, sizeof qn, parsed[spans[i].index].name);
        if (spans[i].end > data_size)
            return psamp_fail(err,
                              "%s: tensor '%s': data_offsets [%lld, %lld) run past the data buffer (%lld bytes)",
                              path, name, (long long)spans[i].begin, (long long)spans[i].end,
                              (long long)data_size);
        if (spans[i].begin < at)
            return psamp_fail(err, "%s: tensor '%s': data_offsets [%lld, %lld) overlap tensor '%s'",
                              path, name, (long long)spans[i].begin, (long long)spans[i].end,
                              psamp_escape(qp, sizeof qp, parsed[spans[i - 1].index].name));
        if (spans[i].begin > at)
            return psamp_fail(err,
                              "%s: tensor '%s': data_offsets begin at %lld but the previous tensor ends at %lld (not contiguous)",
                              path, name, (long long)spans[i].begin, (long long)at);
        at = spans[i].end;
    }
    if (at != data_size)
        return psamp_fail(err,
                          "%s: data buffer is %lld bytes but the tensors cover %lld (not contiguous)",
                          path, (long long)data_size, (long long)at);
    return 0;
}

/* Parses the header JSON and fills st->tensors in data order. */
static int parse_header(psamp_safetensors *st, const char *json, size_t len, const char *data,
                        int64_t data_size, psamp_err *err) {
    const char *path = st->path, *end = NULL;
    if (psamp_json_refuse_nul(json, len, path, err) != 0) return -1;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root)
        return psamp_fail(err, "%s: malformed JSON header (near byte %lld of the file)", path,
                          (long long)((end ? end - json : 0) + 8));
    /* The writer pads the header with spaces; anything else after the object is corrupt. */
    for (const char *p = end; p && p < json + len; p++)
        if (!isspace((unsigned char)*p) && *p != '\0') {
            cJSON_Delete(root);
            return psamp_fail(err, "%s: trailing bytes after the JSON header object", path);
        }
    int rc = -1;
    psamp_st_tensor *parsed = NULL;
    st_span *spans = NULL;
    int32_t n = 0;
    if (!cJSON_IsObject(root)) {
        psamp_fail(err, "%s: JSON header is not an object", path);
        goto done;
    }
    int count = cJSON_GetArraySize(root);
    parsed = calloc((size_t)count + 1, sizeof *parsed);
    spans = calloc((size_t)count + 1, sizeof *spans);
    if (!parsed || !spans) {
        psamp_fail(err, "%s: out of memory for %d header entries", path, count);
        goto done;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root) {
        if (strcmp(entry->string, "__metadata__") == 0) {
            if (!cJSON_IsObject(entry)) {
                psamp_fail(err, "%s: \"__metadata__\" is not an object", path);
                goto done;
            }
            continue;
        }
        for (int32_t j = 0; j < n; j++)
            if (strcmp(parsed[j].name, entry->string) == 0) {
                char q[PSAMP_QUOTE_MAX];
                psamp_fail(err, "%s: tensor '%s' appears twice in the header", path,
                           psamp_escape(q, sizeof q, entry->string));
                goto done;
            }
        psamp_st_tensor *t = &parsed[n];
        t->name = strdup(entry->string);
        if (!t->name) {
            psamp_fail(err, "%s: out of memory", path);
            goto done;
        }
        n++;
        int64_t offsets[2] = {0, 0};
        if (parse_entry(path, entry, t, offsets, err) != 0) goto done;
        spans[n - 1] = (st_span){offsets[0], offsets[1], n - 1};
    }
    if (check_tiling(path, parsed, spans, n, data_size, err) != 0) goto done;
    st->tensors = malloc(((size_t)n + 1) * sizeof *st->tensors);
    if (!st->tensors) {
        psamp_fail(err, "%s: out of memory", path);
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        st->tensors[i] = parsed[spans[i].index];
        st->tensors[i].data = data + spans[i].begin;
    }
    st->n_tensors = n;
    n = 0; /* names now belong to st */
    rc = 0;
done:
    for (int32_t i = 0; i < n; i++) free(parsed[i].name);
    free(parsed);
    free(spans);
    cJSON_Delete(root);
    return rc;
}

static int map_file(psamp_safetensors *st, const char *path, psamp_err *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return psamp_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return psamp_fail(err, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return psamp_fail(err, "%s: not a regular file", path);
    }
    if (sb.st_size < 8) {
        close(fd);
        return psamp_fail(err, "%s: file is %lld bytes, shorter than the 8-byte header length", path,
                          (long long)sb.st_size);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return psamp_fail(err, "%s: cannot mmap: %s", path, strerror(e));
    st->map = map;
    st->map_size = (size_t)sb.st_size;
    return 0;
}

int psamp_safetensors_open(psamp_safetensors *st, const char *path, psamp_err *err) {
    memset(st, 0, sizeof *st);
    st->path = strdup(path);
    if (!st->path) return psamp_fail(err, "%s: out of memory", path);
    if (map_file(st, path, err) != 0) goto fail;
    const unsigned char *bytes = st->map;
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | bytes[i];
    if (header_len > st->map_size - 8) {
        psamp_fail(err, "%s: header length %llu runs past the end of the file (%zu bytes)", path,
                   (unsigned long long)header_len, st->map_size);
        goto fail;
    }
    const char *json = (const char *)bytes + 8;
    int64_t data_size = (int64_t)(st->map_size - 8 - header_len);
    if (parse_header(st, json, (size_t)header_len, json + header_len, data_size, err) != 0)
        goto fail;
    return 0;
fail:
    psamp_safetensors_close(st);
    return -1;
}
