/* Experiment configs (psamp h1, psamp toyexp): one JSON object per file. Every key is
 * checked against the command's list, every value typed and ranged, and an error names the
 * file and the field ("ci.json: convergence.block_sizes[2]: 0 is below 1") before any work
 * starts. Relative paths inside a config resolve against the config file's directory, so a
 * config runs the same from any working directory. */
#ifndef PSAMP_EXP_CONFIG_H
#define PSAMP_EXP_CONFIG_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"

typedef struct {
    char *path;  /* the file, as given */
    char *dir;   /* its directory ("." for a bare name) */
    cJSON *root; /* the top-level object */
} exp_config;

/* Reads and parses the file; the top level must be an object. */
int exp_config_load(exp_config *c, const char *path, psamp_err *err);
/* The same from text in memory; `label` stands for the file name (tests). */
int exp_config_parse(exp_config *c, const char *text, const char *label, psamp_err *err);
void exp_config_free(exp_config *c);

/* A section of the config: the object at key under obj (where = its field path, "" at the
 * top), or NULL when absent. Fails when present but not an object. */
int exp_config_section(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                       const cJSON **out, psamp_err *err);
/* Fails naming the first key of obj not in allowed (a NULL-terminated list), or a key given
 * twice. */
int exp_config_check_keys(const exp_config *c, const cJSON *obj, const char *where,
                          const char *const *allowed, psamp_err *err);

/* Typed fields. An absent field keeps *out (the caller's default) unless required. */
int exp_config_int(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                   int required, int lo, int hi, int32_t *out, psamp_err *err);
int exp_config_u64(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                   uint64_t *out, psamp_err *err);
/* lo_open: the value must be > lo (else >= lo). */
int exp_config_double(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                      int required, double lo, int lo_open, double hi, double *out, psamp_err *err);
/* *out points into the config (valid until exp_config_free). */
int exp_config_string(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                      int required, const char **out, psamp_err *err);
/* A path, resolved against the config's directory unless absolute; malloc'd. */
int exp_config_path(const exp_config *c, const cJSON *obj, const char *where, const char *key,
                    int required, char **out, psamp_err *err);
/* Non-empty lists; *out is malloc'd (strings point into the config). An *out given in must be
 * NULL or malloc'd: a present field frees and replaces it, an absent one leaves it. */
int exp_config_int_list(const exp_config *c, const cJSON *obj, const char *where,
                        const char *key, int required, int lo, int hi, int32_t **out,
                        int32_t *n, psamp_err *err);
int exp_config_double_list(const exp_config *c, const cJSON *obj, const char *where,
                           const char *key, int required, double lo, int lo_open, double hi,
                           double **out, int32_t *n, psamp_err *err);
int exp_config_string_list(const exp_config *c, const cJSON *obj, const char *where,
                           const char *key, int required, const char ***out, int32_t *n,
                           psamp_err *err);
/* A non-empty list of non-empty paths, each resolved as exp_config_path does; *out and its
 * strings are malloc'd. A present field frees the *out (of *n paths) given in. */
int exp_config_path_list(const exp_config *c, const cJSON *obj, const char *where,
                         const char *key, int required, char ***out, int32_t *n, psamp_err *err);
void exp_config_free_paths(char **paths, int32_t n);

/* `rel` resolved against dir unless absolute or dir is "."; malloc'd (NULL when out of
 * memory). */
char *exp_config_resolve(const char *dir, const char *rel);

#endif
