/* One or more safetensors files behind one lookup (see safetensors_index.h). */
#include "safetensors_index.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"

/* An index lists a few thousand names at most (a 70B model: ~800). */
#define INDEX_MAX_BYTES (64 << 20)
#define PATH_MAX_LEN 4096

void psamp_st_set_close(psamp_st_set *set) {
    if (!set) return;
    for (int32_t i = 0; i < set->n_files; i++) psamp_safetensors_close(&set->files[i]);
    for (int32_t i = 0; i < set->n_names; i++) free(set->names[i]);
    free(set->files);
    free(set->names);
    free(set->file_of);
    free(set->where);
    memset(set, 0, sizeof *set);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The index of shard `name` in set->files, opening it on first use. */
static int shard_index(psamp_st_set *set, const char *dir, const char *name, char **shard_names, int32_t *index,
                       psamp_err *err) {
    for (int32_t i = 0; i < set->n_files; i++)
        if (strcmp(shard_names[i], name) == 0) {
            *index = i;
            return 0;
        }
    /* Shards live beside the index: a name with a path separator could point anywhere. */
    if (name[0] == '\0' || strchr(name, '/') || strcmp(name, "..") == 0)
        return psamp_fail(err, "%s: weight_map names the file \"%s\", which is not a plain file name", set->where, name);
    char path[PATH_MAX_LEN];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return psamp_fail(err, "%s: shard path too long", set->where);
    shard_names[set->n_files] = strdup(name);
    if (!shard_names[set->n_files]) return psamp_fail(err, "out of memory");
    if (psamp_safetensors_open(&set->files[set->n_files], path, err) != 0) {
        free(shard_names[set->n_files]);
        return psamp_fail_context(err, "%s", set->where);
    }
    *index = set->n_files++;
    return 0;
}

static int read_index(psamp_st_set *set, const char *dir, const cJSON *root, psamp_err *err) {
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map"), *entry;
    if (!cJSON_IsObject(map)) return psamp_fail(err, "%s: missing object 'weight_map'", set->where);
    int32_t n = cJSON_GetArraySize(map);
    if (n <= 0) return psamp_fail(err, "%s: 'weight_map' is empty", set->where);
    set->files = calloc((size_t)n, sizeof *set->files);
    set->names = calloc((size_t)n, sizeof *set->names);
    set->file_of = calloc((size_t)n, sizeof *set->file_of);
    char **shard_names = calloc((size_t)n, sizeof *shard_names);
    int rc = 0;
    if (!set->files || !set->names || !set->file_of || !shard_names) rc = psamp_fail(err, "out of memory");
    cJSON_ArrayForEach(entry, map) {
        if (rc != 0) break;
        if (!cJSON_IsString(entry)) {
            rc = psamp_fail(err, "%s: weight_map entry '%s' must be a file name", set->where, entry->string);
            break;
        }
        set->names[set->n_names] = strdup(entry->string);
        if (!set->names[set->n_names]) {
            rc = psamp_fail(err, "out of memory");
            break;
        }
        set->n_names++;
        rc = shard_index(set, dir, entry->valuestring, shard_names, &set->file_of[set->n_names - 1], err);
    }
    if (shard_names)
        for (int32_t i = 0; i < set->n_files; i++) free(shard_names[i]);
    free(shard_names);
    return rc;
}

int psamp_st_set_open(psamp_st_set *set, const char *dir, psamp_err *err) {
    memset(set, 0, sizeof *set);
    char path[PATH_MAX_LEN];
    if (snprintf(path, sizeof path, "%s/model.safetensors", dir) >= (int)sizeof path)
        return psamp_fail(err, "%s: checkpoint path too long", dir);
    if (file_exists(path)) {
        set->files = calloc(1, sizeof *set->files);
        set->where = strdup(path);
        if (!set->files || !set->where) {
            psamp_st_set_close(set);
            return psamp_fail(err, "out of memory");
        }
        if (psamp_safetensors_open(&set->files[0], path, err) != 0) {
            psamp_st_set_close(set);
            return -1;
        }
        set->n_files = 1;
        return 0;
    }
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    if (!file_exists(path))
        return psamp_fail(err, "%s: neither model.safetensors nor model.safetensors.index.json is there", dir);
    set->where = strdup(path);
    if (!set->where) return psamp_fail(err, "out of memory");
    char *text;
    size_t len;
    if (psamp_read_file(path, INDEX_MAX_BYTES, NULL, &text, &len, err) != 0) {
        psamp_st_set_close(set);
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc;
    if (!root)
        rc = psamp_fail(err, "%s: malformed JSON (near byte %lld)", path, (long long)(end ? end - text : 0));
    else
        rc = read_index(set, dir, root, err);
    cJSON_Delete(root);
    free(text);
    if (rc != 0) psamp_st_set_close(set);
    return rc;
}

int psamp_st_set_has(const psamp_st_set *set, const char *name) {
    if (set->n_names == 0) return set->n_files == 1 && psamp_safetensors_find(&set->files[0], name) != NULL;
    for (int32_t i = 0; i < set->n_names; i++)
        if (strcmp(set->names[i], name) == 0) return psamp_safetensors_find(&set->files[set->file_of[i]], name) != NULL;
    return 0;
}

const psamp_st_tensor *psamp_st_set_find(const psamp_st_set *set, const char *name, psamp_err *err) {
    if (set->n_names == 0) {
        const psamp_st_tensor *t = set->n_files == 1 ? psamp_safetensors_find(&set->files[0], name) : NULL;
        if (!t) psamp_fail(err, "%s: missing tensor '%s'", set->where, name);
        return t;
    }
    for (int32_t i = 0; i < set->n_names; i++)
        if (strcmp(set->names[i], name) == 0) {
            const psamp_safetensors *f = &set->files[set->file_of[i]];
            const psamp_st_tensor *t = psamp_safetensors_find(f, name);
            if (!t) psamp_fail(err, "%s: weight_map puts tensor '%s' in %s, which lacks it", set->where, name, f->path);
            return t;
        }
    psamp_fail(err, "%s: missing tensor '%s' (not in weight_map)", set->where, name);
    return NULL;
}
