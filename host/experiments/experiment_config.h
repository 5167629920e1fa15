/* The config of a sampling experiment over problems and methods (psamp passk, psamp h3):
 * a small JSON file, or the same settings as command-line options (which override it).
 *
 *     {
 *       "model": "../toy/greedy_trap.json",   toy world or OPT checkpoint dir
 *       "worlds": ["a.json", "b.json"],       or: several toy worlds, one problem each
 *       "tasks": "cloze.jsonl",               task file (passk; "prompts" for h3)
 *       "prompt_template": "math500.txt",     each prompt put into "{problem}" (prompt_template.h)
 *       "samples": 64,                        samples (chains) per problem per method
 *       "k": [1, 2, 4, 8],                    passk only; default 1..samples
 *       "max_new_tokens": 8,                  default: a toy world's length; OPT: per command
 *       "seed": 0,
 *       "backend": "auto", "dtype": "fp16", "threads": 0, "max_active": 0,
 *       "kv_cache": "dtype",                  or "fp8" (CUDA engine, OPT: e4m3 KV cache)
 *       "batch_chains": 1024,                 chains per sampler call, problems pooled
 *       "methods": [{"method": "power", "alpha": 4, ...}, ...]   (method_spec.h)
 *     }
 *
 * Relative paths in the file are read from the config file's own folder. Unknown keys, a
 * wrong type or a value out of range are one-line errors naming the key. The file is read and
 * checked through exp_config.h, as every experiment config is. */
#ifndef PSAMP_EXPERIMENT_CONFIG_H
#define PSAMP_EXPERIMENT_CONFIG_H

#include <stdint.h>

#include "error.h"
#include "method_spec.h"

#define EXPERIMENT_MAX_SAMPLES (1 << 20)
/* passk and h3 pool problems into sampler calls of about this many chains: enough to fill a GPU's
 * batch when each problem has few samples (pass@1 runs), no more than the room allows. */
#define EXPERIMENT_BATCH_CHAINS 1024

typedef enum { EXPERIMENT_PASSK, EXPERIMENT_H3 } experiment_kind;

typedef struct {
    experiment_kind kind;
    char *model;           /* NULL when not given */
    char **worlds;         /* n_worlds toy-world paths */
    int32_t n_worlds;
    char *tasks;           /* passk: task file; h3: prompts file (answers optional) */
    char *prompt_template; /* NULL, or a prompt template file applied to every task's prompt */
    int32_t samples; /* per problem, at most EXPERIMENT_MAX_SAMPLES */
    int32_t max_tasks; /* the task file's first max_tasks problems; 0: all */
    int32_t *ks;           /* passk: the k values (NULL: 1..samples) */
    int32_t n_ks;
    int32_t max_new_tokens; /* 0: the command's default */
    uint64_t seed;
    char *backend, *dtype;
    char *kv_cache;        /* "dtype" | "fp8"; checked where the engine is made */
    int32_t threads;
    int32_t max_active;    /* chains decoding at once (the rest queue); 0: all */
    int32_t batch_chains;  /* problems share a sampler call until their chains reach this
                              many (0: one problem per call) */
    method_list methods;
} experiment_config;

/* Defaults: no problems yet, 16 samples, seed 0, backend auto, fp16, KV cache in the weights'
 * dtype, batches of EXPERIMENT_BATCH_CHAINS chains, no methods. */
int experiment_config_init(experiment_config *c, experiment_kind kind, psamp_err *err);
/* Reads a config file into c (over its current values). */
int experiment_config_load(experiment_config *c, const char *path, psamp_err *err);
void experiment_config_free(experiment_config *c);

/* Replaces a string field with a copy of v. */
int experiment_set_string(char **field, const char *v, psamp_err *err);
/* Parses "a,b,c" into the worlds list. */
int experiment_set_worlds(experiment_config *c, const char *list, psamp_err *err);
/* Parses "1,2,4" into the k list. */
int experiment_set_ks(experiment_config *c, const char *list, psamp_err *err);
/* A comma list of positive integers (chain counts, k values); *out is malloc'd. */
int experiment_parse_int_list(const char *list, const char *what, int32_t **out, int32_t *n, psamp_err *err);

/* Checks the whole config before any work: a problem source (worlds, or a model with or
 * without tasks), samples > 0, every k in 1..samples, at least one method. Fills the default
 * k list. */
int experiment_config_check(experiment_config *c, psamp_err *err);

#endif
