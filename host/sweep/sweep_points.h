/* A sweep's points: the config's grid expanded into resolved sampler settings, each with a
 * stable identity (a hash of its settings and of the config) and an estimate of the tokens
 * it will decode (what shards balance). Settings a method ignores (alpha for greedy, the
 * seed for greedy, ...) are dropped, so grid points that would repeat the same run are
 * run once. */
#ifndef PSAMP_SWEEP_POINTS_H
#define PSAMP_SWEEP_POINTS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sampler.h"
#include "sweep_config.h"

/* What the grid needs to know of one model: its length and how long each prompt is. */
typedef struct {
    int32_t max_len;   /* longest sequence the model takes, prompt included */
    int is_toy;        /* toy worlds default max_new_tokens to the rest of their length */
    int32_t *n_prompt; /* tokens of each of the config's prompts under this model */
} sweep_model_info;

typedef struct {
    int32_t index;                /* position in the sweep: grid order, repeats dropped */
    int model, prompt;            /* indexes into the config's model and prompt lists */
    int32_t n_prompt;
    psamp_sampler_config sampler; /* ready for psamp_sample (block_size explicit) */
    double est_tokens;
    uint64_t id;
    char name[48];                /* "p00042-0123456789abcdef": its files in the sweep folder */
} sweep_point;

#define SWEEP_MAX_POINTS 1000000

/* Expands the grid (models[i] describes config model i). Errors name the file and the keys
 * at fault ("sweep.json: block_size[1]: 16 is larger than max_new_tokens 8"). *n_dropped
 * counts grid points that repeated an earlier point's run. */
int sweep_points_plan(const sweep_config *cfg, const sweep_model_info *models, sweep_point **out,
                      int32_t *n_out, int32_t *n_dropped, psamp_err *err);

/* Tokens a run of c will decode, prompt included: chains x (T for greedy/temp, best_of x T
 * for bestofn, T + N x sum over blocks of the mean proposal suffix for power/maxswap). */
double sweep_est_tokens(const psamp_sampler_config *c, int32_t n_prompt);

/* The proposal temperature a run uses: proposal_temp, else 1/alpha (power) or 1 (maxswap). */
double sweep_effective_proposal_temp(const psamp_sampler_config *s);

/* The point's settings as a JSON object: index, name, id, model, prompt, method and every
 * sampler setting (null where the method ignores it), est_tokens. NULL when out of memory. */
cJSON *sweep_point_settings(const sweep_config *cfg, const sweep_point *p);

/* One line for logs: "power model=w.json alpha=4 B=2 N=10 chains=100 seed=1". */
void sweep_point_describe(const sweep_config *cfg, const sweep_point *p, char *buf, size_t cap);

#endif
