/* A sweep's configuration: one JSON file naming a grid of sampler settings (every grid key
 * takes one value or a list; the grid is their product) and a few fixed settings. The
 * format is documented in experiments/README.md ("Sweeps"). Loading checks every key and
 * value and that every model path exists, so a bad config fails before any work starts,
 * with one line naming the file and the key ("sweep.json: alpha[2]: must be > 0"). */
#ifndef PSAMP_SWEEP_CONFIG_H
#define PSAMP_SWEEP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "passk_tasks.h"

/* The grid's keys, in the order the product iterates them (the last varies fastest). */
typedef enum {
    SWEEP_MODEL,
    SWEEP_PROMPT,
    SWEEP_METHOD,
    SWEEP_MAX_NEW_TOKENS,
    SWEEP_BLOCK_SIZE,
    SWEEP_BLOCKS,
    SWEEP_MCMC_STEPS,
    SWEEP_ALPHA,
    SWEEP_PROPOSAL_TEMP,
    SWEEP_TEMPERATURE,
    SWEEP_BEST_OF,
    SWEEP_CHAINS,
    SWEEP_SEED,
    SWEEP_N_AXES
} sweep_axis_id;

/* One grid key's values. A key absent from the config has one value: its default, where
 * 0 means "derived" (max_new_tokens from the model, proposal_temp from the method,
 * block_size from blocks). */
typedef struct {
    int n;
    int given;  /* the key is in the config */
    int listed; /* given as a JSON list: messages then say key[i] */
    double *num; /* numeric keys */
    char **str;  /* model, prompt, method */
} sweep_axis;

/* Chains per sampler call when a point's tasks are pooled (as passk's batch_chains). */
#define SWEEP_BATCH_CHAINS 1024

typedef struct {
    char *path;      /* the config file as named on the command line (for messages) */
    char *name;      /* "name", or "" */
    char *canonical; /* the config as compact JSON: what the config hash covers */
    uint64_t hash;   /* sweep_hash_text(canonical) */
    sweep_axis axes[SWEEP_N_AXES];
    char **model_paths; /* axes[SWEEP_MODEL].str[i] resolved against the config's folder */
    /* Fixed settings (one value each). */
    char *backend; /* auto | cpu | cuda */
    char *dtype;   /* fp16 | bf16 */
    char *kv_cache; /* dtype | fp8 (CUDA engine, OPT) */
    int threads;   /* cpu BLAS threads, 0 = all */
    int max_active; /* chains decoding at once per point (the rest queue), 0 = all */
    int mixing_probe; /* power/maxswap points: probe steps of the mixing diagnostic, 0 = none */
    /* Accuracy on a task file ("tasks"): every point runs each task's prompt with n chains,
     * n being the chains axis, which the config then calls "samples_per_task". */
    char *tasks_path;       /* resolved against the config's folder; NULL without tasks */
    passk_task_set tasks;   /* the file's first max_tasks tasks */
    int32_t max_tasks;      /* 0: all */
    int32_t batch_chains;   /* tasks share a sampler call until their chains reach this many
                               (0: one task per call); SWEEP_BATCH_CHAINS by default */
    char *prompt_template_path; /* "prompt_template" (needs tasks), resolved; NULL without */
    int32_t *ks;            /* "k": pass@k values (NULL: 1, 2, 4, ... up to each point's n, and n) */
    int32_t n_ks;
} sweep_config;

/* Loads and checks a config file. On failure *cfg is left empty (safe to free). */
int sweep_config_load(const char *path, sweep_config *cfg, psamp_err *err);
/* The same from JSON text (NUL-terminated); `path` names it in messages and relative model
 * paths resolve against its folder. Reading, key checks and paths go through exp_config.h,
 * as for every experiment config. */
int sweep_config_parse(const char *json, const char *path, sweep_config *cfg, psamp_err *err);
void sweep_config_free(sweep_config *cfg);

/* The key's name in the config ("alpha"). */
const char *sweep_axis_name(sweep_axis_id a);
/* How messages name value i of a key: "alpha[2]" for a list, "alpha" for one value (the
 * chains axis is "samples_per_task" in a config with tasks). */
void sweep_axis_label(const sweep_config *cfg, sweep_axis_id a, int i, char *buf, size_t cap);

/* 64-bit FNV-1a of text: identifies configs and points (not a cryptographic hash). */
uint64_t sweep_hash_text(const char *text, size_t len);

#endif
