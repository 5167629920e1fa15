/* What pass@k and H3 share once their config is read: the problems (toy worlds, or the
 * prompts of a task file on one model), one engine per model sized for every method, one
 * sampler run of a method on a problem, and judging a sample. */
#ifndef PSAMP_CLI_EXPERIMENT_H
#define PSAMP_CLI_EXPERIMENT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cli.h"
#include "cli_progress.h"
#include "experiment_config.h"
#include "model.h"
#include "passk_tasks.h"
#include "sampler.h"

typedef struct {
    const char *id;           /* the task's id or the world's name */
    const char *prompt_text;  /* "" for a toy world */
    const passk_task *task;   /* NULL: judged by the toy world's `correct` set */
    int32_t model;            /* index into expt_set.models */
    int32_t *prompt, n_prompt;
    int32_t max_new_tokens;
} expt_problem;

typedef struct {
    psamp_model **models;
    psamp_engine **engines;   /* one per model */
    char **model_paths;       /* borrowed from the config */
    int32_t n_models;
    passk_task_set tasks;
    expt_problem *problems;
    int32_t n_problems;
    int32_t max_active;       /* the config's: chains decoding at once, 0 = all */
    int32_t *rooms;           /* per model: engine slots there is room for (cli_engine_room) */
    int32_t *batch_problems;  /* per model: problems per sampler call (expt_plan_batches) */
    cli_progress progress;    /* over every run: run `progress_run` of `progress_runs` */
    int32_t progress_run, progress_runs;
    const volatile sig_atomic_t *stop; /* NULL, or the sampler's stop flag (cli_stop.h) */
} expt_set;

/* Opens every model and the task file, encodes the prompts, settles each problem's new
 * tokens (the config's, else a toy world's length, else default_opt_tokens), checks every
 * method against every problem and makes the engines, all before any sampling.
 * require_check: pass@k needs a way to judge each problem (answer/regex or `correct`). */
int expt_open(const experiment_config *c, int require_check, int32_t default_opt_tokens, expt_set *s,
              psamp_err *err);
void expt_close(expt_set *s);

/* Chains a method really runs for n samples: greedy is deterministic, so it runs once and
 * stands for all n. */
int32_t expt_chains_for(const method_spec *m, int32_t n_samples);

/* cli_experiment_batch.c. Plans model mi's batches: problems per sampler call
 * (c->batch_chains / samples, at least 1, fewer while the hungriest method would have to queue
 * its chains in the room), the engine slots that needs, and *queued when even one problem
 * per call must queue. Needs s->rooms[mi]. passk and h3 both pool their problems so. */
int expt_plan_batches(const experiment_config *c, expt_set *s, int32_t mi, int32_t *slots, int *queued,
                      psamp_err *err);
/* The number of problems in the batch that starts at problem p0: the following problems of
 * the same model and new-token count, up to the model's batch size. */
int32_t expt_batch_at(const expt_set *s, int32_t p0);
/* How many batches the problems make (expt_batch_at from the first problem on). */
int32_t expt_count_batches(const expt_set *s);
/* Runs method m with n chains on each of problems [p0, p0 + n) in one batch, out[0..n);
 * progress, when s->progress_runs > 0, shows the run as number s->progress_run of them. */
int expt_run_batch(expt_set *s, int32_t p0, int32_t n, const method_spec *m, int32_t n_chains, uint64_t seed,
                   psamp_run_result *out, psamp_err *err);
/* Called for each (problem p, method m) result of a batch, in problem order, method by
 * method within a problem (the order of one problem at a time). */
typedef int (*expt_visit_fn)(void *ctx, int32_t p, int32_t m, const psamp_run_result *r, psamp_err *err);
/* Every method of c on problems [p0, p0 + n) (batch number `batch` for the progress line),
 * one sampler call per method; adds each method's wall time to seconds[m] (seconds may be
 * NULL), then visits the results and frees them. */
int expt_run_methods(expt_set *s, const experiment_config *c, int32_t batch, int32_t p0, int32_t n,
                     double *seconds, expt_visit_fn visit, void *ctx, psamp_err *err);

/* Writes ,"kv_cache":...,"engines":[{"model","backend","engine"}, ...] (one per model that
 * ran): what a result file needs to say which engine and cache produced it. */
void expt_write_engines(FILE *f, const experiment_config *c, const expt_set *s);

/* The completion's text as a task judges it (psamp_model_completion_text), malloc'd. */
int expt_completion_text(const expt_set *s, int32_t p, const psamp_chain_result *ch, char **text,
                         size_t *len, psamp_err *err);
/* 1 when the chain's sample is right for problem p, 0 when not. */
int expt_judge(const expt_set *s, int32_t p, const psamp_chain_result *ch, int *correct, psamp_err *err);

/* The command-line options pass@k and H3 share; strings stay NULL when not given. */
typedef struct {
    const char *config, *model, *worlds, *tasks, *prompt_template, *ks, *methods, *backend, *dtype, *kv_cache;
    int samples, max_tasks, max_new_tokens, threads, max_active, batch_chains;
    uint64_t seed;
    char tokens_help[96];
} expt_args;

#define EXPT_COMMON_OPTIONS 15
/* Fills opts[0..EXPT_COMMON_OPTIONS) with the shared options writing into a; the command
 * appends its own. tasks_option is "tasks" or "prompts"; default_tokens is said in help. */
void expt_common_options(expt_args *a, cli_option *opts, const char *tasks_option, const char *default_tokens);
/* Reads --config (if given), then lays the given options over it; methods default to
 * default_methods when neither names any. */
int expt_apply_args(const cli_command *cmd, const expt_args *a, experiment_config *c, const char *default_methods,
                    psamp_err *err);
/* The whole config of a parsed command line: init, expt_apply_args, experiment_config_check.
 * On failure c is freed. */
int expt_prepare(const cli_command *cmd, const expt_args *a, experiment_kind kind, const char *default_methods,
                 experiment_config *c, psamp_err *err);

#endif
