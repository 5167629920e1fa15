/* What every sampling command shares: the options of a run (model, prompt, method and its
 * settings, backend, outputs), opening the model and its engine, and the run's summary. */
#ifndef PSAMP_CLI_RUN_H
#define PSAMP_CLI_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "model.h"
#include "sampler.h"

typedef struct {
    const char *model, *prompt, *prompt_template, *method, *backend, *dtype, *kv_cache, *acceptance;
    const char *samples_out, *trace;
    int json, threads;
    int blocks_given; /* --blocks was given: never shrunk to fit --max-new-tokens */
    psamp_sampler_config sampler;
} cli_run_options;

typedef struct {
    double accept_rate, mean_logp, mean_length;
    int64_t tokens_decoded, proposal_tokens, proposals;
    double wall_seconds, tokens_per_second, proposals_per_second;
    double host_fraction; /* the sampler's own time over engine time (a ratio: > 1 on toy worlds) */
    double host_share;    /* the sampler's own time as a share of sampling time, host + engine */
    double mean_batch_rows; /* tokens decoded per batched engine step */
    int32_t active_chains;  /* chains that decoded at once */
    double correct_rate; /* toy worlds with a `correct` set: fraction of chains in it; else NaN */
} cli_run_stats;

/* Parses a sampling command line. 0: parsed; 1: --help was printed; -1: err says why. */
int cli_run_parse(cli_run_options *o, const char *name, const char *summary, int argc,
                  char **argv, psamp_err *err);
/* Prints the run options' help lines but those named in omit (for commands that take the
 * run options less a few), then the methods paragraph. */
void cli_run_print_options(FILE *f, const char *const *omit, int n_omit, int mh_only);
/* Opens the model and encodes the prompt; fills max_new_tokens when not given. */
int cli_run_open(cli_run_options *o, psamp_model **m, int32_t **prompt, int32_t *n_prompt,
                 psamp_err *err);
/* Engine slots of max_len tokens there is room for: PSAMP_MAX_SLOTS from the environment
 * when set (to share a device, and for tests), else what the engine's memory holds (m's, or
 * ck's when m is NULL). */
int cli_engine_room(psamp_model *m, const opt_checkpoint *ck, const psamp_backend_options *bo,
                    int32_t max_len, int32_t *room, psamp_err *err);
/* When s's chains from n_prompts prompts (psamp_sample_prompts; 1 for psamp_sample) need more
 * slots than `room` and --max-active was not given, runs as many chains at a time as fit (the
 * samples are the same) and says so on stderr under `who` (NULL: silently). Fails when not
 * even one chain fits. */
int cli_fit_chains(int32_t room, int32_t max_len, int32_t n_prompts, psamp_sampler_config *s, const char *who,
                   psamp_err *err);
/* The most prompts, at most `most` (at least 1), one psamp_sample_prompts call of s holds in
 * `room` engine slots without queueing its chains (1 when not even one prompt's do: then
 * cli_fit_chains queues them). */
int32_t cli_prompts_per_call(const psamp_sampler_config *s, int32_t most, int32_t room);
/* Makes the engine a run of o->sampler needs, queueing chains when they do not all fit. */
int cli_run_engine(cli_run_options *o, psamp_model *m, int32_t n_prompt, psamp_engine **e,
                   psamp_err *err);
/* --kv-cache NAME ("dtype" or "fp8") into bo->kv_fp8. */
int cli_kv_cache_option(const char *kv_cache, psamp_backend_options *bo, psamp_err *err);
/* Parses --backend/--dtype/--threads into engine options. */
int cli_backend_options(const char *backend, const char *dtype, int threads,
                        psamp_backend_options *out, psamp_err *err);
/* One JSON line per chain (the --samples-out format of README.md); err names `what`. */
int cli_run_write_samples(FILE *f, const psamp_model *m, const psamp_run_result *r, const char *what,
                          psamp_err *err);
void cli_run_summarise(const psamp_model *m, const psamp_run_result *r, double wall_seconds,
                       cli_run_stats *s);

#endif
