/* A sampling method with its settings and a label, as experiments list them (pass@k, H3):
 * either a JSON object in a config,
 *
 *     {"method": "power", "label": "power a=4", "alpha": 4, "block_size": 2, "mcmc_steps": 30}
 *
 * or a command-line spec, METHOD[:key=value,...], with the same keys (dashes or
 * underscores), specs separated by spaces:
 *
 *     greedy temp:temperature=0.25,label=low-temp power:alpha=4,block-size=2,mcmc-steps=30
 *
 * Keys: method (greedy | temp | power | maxswap | bestofn), label, alpha, temperature,
 * proposal_temp, block_size, blocks, mcmc_steps, best_of. Unset settings take generate's
 * defaults (alpha 4, temperature 1, 4 blocks, 10 MH steps, best of 8). The label defaults to
 * the method name (JSON) or the spec text (command line); labels must be unique. */
#ifndef PSAMP_METHOD_SPEC_H
#define PSAMP_METHOD_SPEC_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "sampler.h"

struct cJSON;

#define METHOD_LABEL_MAX 96

typedef struct {
    char label[METHOD_LABEL_MAX];
    psamp_sampler_config cfg; /* max_new_tokens, n_chains and seed are set per run */
    int32_t blocks_given;     /* "blocks" was given: checked as is, never shrunk to fit T */
} method_spec;

typedef struct {
    method_spec *items;
    int32_t n;
} method_list;

/* `where` prefixes messages ("config.json: methods[2]"). */
int method_spec_from_json(const struct cJSON *obj, const char *where, method_spec *out, psamp_err *err);
int method_spec_from_text(const char *text, method_spec *out, psamp_err *err);

/* Parses space-separated specs into a list (replacing *out); a spec with value lists expands
 * into its grid (method_grid.h). Errors name `what`. */
int method_list_from_text(const char *text, const char *what, method_list *out, psamp_err *err);
/* Parses a JSON array of method objects (each may be a grid, method_grid.h). */
int method_list_from_json(const struct cJSON *array, const char *where, method_list *out, psamp_err *err);
void method_list_free(method_list *l);

/* The sampler config of one run of the method: T new tokens, n chains, the seed. Checks
 * every setting (block size against T, ...); errors name the method's label. */
int method_spec_config(const method_spec *m, int32_t max_new_tokens, int32_t n_chains, uint64_t seed,
                       psamp_sampler_config *out, psamp_err *err);

/* Writes the run's settings as JSON members (no braces): "label", "method", "alpha", ...
 * Only the settings the method uses are written. */
void method_spec_write_json(FILE *f, const method_spec *m, const psamp_sampler_config *run);

#endif
