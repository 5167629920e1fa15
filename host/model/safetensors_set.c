#include "safetensors_set.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"
#include "json_check.h"

/* An index is a few hundred KB even for the largest models. */
#define INDEX_MAX_BYTES (64u << 20)

void psamp_st_set_close(psamp_st_set *set) {
    if (!set) return;
    for (int32_t i = 0; i < set->n_files; i++) psamp_safetensors_close(&set->files[i]);
    free(set->files);
    free(set->where);
    memset(set, 0, sizeof *set);
}

const psamp_st_tensor *psamp_st_set_find(const psamp_st_set *set, const char *name) {
    for (int32_t i = 0; i < set->n_files; i++) {
        const psamp_st_tensor *t = psamp_safetensors_find(&set->files[i], name);
        if (t) return t;
    }
    return NULL;
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 || errno != ENOENT;
}

/* A shard must be a file beside the index: no directories, so a hostile index cannot make us
 * map files elsewhere. */
static int safe_shard_name(const char *name) {
    return name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           strchr(name, '/') == NULL && strchr(name, '\\') == NULL;
}

/* The shard file names the weight map uses, each once, in order of first use. */
static int list_shards(const char *index, const cJSON *map, char ***names, int32_t *n,
                       psamp_err *err) {
    int count = cJSON_GetArraySize(map);
    char **out = calloc((size_t)count + 1, sizeof *out);
    if (!out) return psamp_fail(err, "%s: out of memory", index);
    int32_t used = 0;
    const cJSON *entry;
    char q1[PSAMP_QUOTE_MAX], q2[PSAMP_QUOTE_MAX];
    cJSON_ArrayForEach(entry, map) {
        const char *name = psamp_escape(q1, sizeof q1, entry->string);
        for (const cJSON *prev = map->child; prev != entry; prev = prev->next)
            if (strcmp(prev->string, entry->string) == 0) {
                free(out);
                return psamp_fail(err, "%s: tensor '%s' is listed twice in \"weight_map\"", index, name);
            }
        if (!cJSON_IsString(entry)) {
            free(out);
            return psamp_fail(err, "%s: \"weight_map\" entry '%s' is not a file name string", index, name);
        }
        if (!safe_shard_name(entry->valuestring)) {
            free(out);
            return psamp_fail(err, "%s: tensor '%s': shard '%s' is not a plain file name in the checkpoint folder",
                              index, name, psamp_escape(q2, sizeof q2, entry->valuestring));
        }
        int32_t k = 0;
        while (k < used && strcmp(out[k], entry->valuestring) != 0) k++;
        if (k == used) out[used++] = entry->valuestring;
    }
    if (used == 0) {
        free(out);
        return psamp_fail(err, "%s: \"weight_map\" lists no tensors", index);
    }
    *names = out;
    *n = used;
    return 0;
}

/* Every tensor of the map is in its shard, and every tensor of a shard is mapped to it. */
static int check_map(const psamp_st_set *set, const cJSON *map, psamp_err *err) {
    const cJSON *entry;
    char q1[PSAMP_QUOTE_MAX], q2[PSAMP_QUOTE_MAX], q3[PSAMP_QUOTE_MAX];
    cJSON_ArrayForEach(entry, map) {
        const char *shard = entry->valuestring;
        const psamp_safetensors *file = NULL;
        for (int32_t i = 0; i < set->n_files && !file; i++) {
            const char *base = strrchr(set->files[i].path, '/');
            if (strcmp(base ? base + 1 : set->files[i].path, shard) == 0) file = &set->files[i];
        }
        if (!file || !psamp_safetensors_find(file, entry->string))
            return psamp_fail(err, "%s: tensor '%s' is listed for '%s' but that shard does not hold it",
                              set->where, psamp_escape(q1, sizeof q1, entry->string),
                              psamp_escape(q2, sizeof q2, shard));
    }
    for (int32_t i = 0; i < set->n_files; i++) {
        const psamp_safetensors *file = &set->files[i];
        const char *base = strrchr(file->path, '/');
        base = base ? base + 1 : file->path;
        for (int32_t k = 0; k < file->n_tensors; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, file->tensors[k].name);
            if (!v || strcmp(v->valuestring, base) != 0)
                return psamp_fail(err, "%s: tensor '%s' is in shard '%s' but \"weight_map\" %s%s%s",
                                  set->where, psamp_escape(q1, sizeof q1, file->tensors[k].name),
                                  psamp_escape(q2, sizeof q2, base), v ? "names '" : "does not list it",
                                  v ? psamp_escape(q3, sizeof q3, v->valuestring) : "",
                                  v ? "'" : "");
        }
    }
    return 0;
}

static int open_sharded(psamp_st_set *set, const char *dir, const char *index, psamp_err *err) {
    char *text;
    size_t len;
    if (psamp_read_file(index, INDEX_MAX_BYTES, NULL, &text, &len, err) != 0) return -1;
    const char *end = NULL;
    if (psamp_json_refuse_nul(text, len, index, err) != 0) {
        free(text);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    char **shards = NULL;
    int32_t n_shards = 0;
    int rc = -1;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!root)
        psamp_fail(err, "%s: malformed JSON (near byte %lld)", index, (long long)(end ? end - text : 0));
    else if (!cJSON_IsObject(root))
        psamp_fail(err, "%s: not a JSON object", index);
    else if (!cJSON_IsObject(map))
        psamp_fail(err, "%s: missing or non-object \"weight_map\"", index);
    else if (list_shards(index, map, &shards, &n_shards, err) == 0) {
        set->files = calloc((size_t)n_shards, sizeof *set->files);
        if (!set->files) {
            psamp_fail(err, "%s: out of memory", index);
            goto done;
        }
        for (int32_t i = 0; i < n_shards; i++) {
            char path[4096];
            if (snprintf(path, sizeof path, "%s/%s", dir, shards[i]) >= (int)sizeof path) {
                psamp_fail(err, "%s: shard path too long", index);
                goto done;
            }
            if (!exists(path)) {
                psamp_fail(err, "%s: shard '%s' is missing", index, shards[i]);
                goto done;
            }
            if (psamp_safetensors_open(&set->files[i], path, err) != 0) goto done;
            set->n_files = i + 1;
        }
        rc = check_map(set, map, err);
    }
done:
    free(shards);
    cJSON_Delete(root);
    free(text);
    return rc;
}

int psamp_st_set_open(psamp_st_set *set, const char *dir, psamp_err *err) {
    memset(set, 0, sizeof *set);
    char single[4096], index[4096];
    if (snprintf(single, sizeof single, "%s/model.safetensors", dir) >= (int)sizeof single ||
        snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir) >= (int)sizeof index)
        return psamp_fail(err, "%s: checkpoint path too long", dir);
    /* As transformers: the single file when present, else the index. */
    int sharded = !exists(single) && exists(index);
    set->where = strdup(sharded ? index : single);
    if (!set->where) return psamp_fail(err, "%s: out of memory", dir);
    int rc;
    if (sharded) {
        rc = open_sharded(set, dir, index, err);
    } else {
        set->files = calloc(1, sizeof *set->files);
        rc = set->files ? psamp_safetensors_open(&set->files[0], single, err)
                        : psamp_fail(err, "%s: out of memory", dir);
        if (rc == 0) set->n_files = 1;
        else if (!exists(single))
            rc = psamp_fail(err, "%s: cannot open: neither model.safetensors nor model.safetensors.index.json is there",
                            dir);
    }
    if (rc != 0) psamp_st_set_close(set);
    return rc;
}
