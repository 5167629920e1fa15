/* Running a sweep point over its task file (cli_sweep_tasks.c). */
#ifndef PSAMP_CLI_SWEEP_TASKS_H
#define PSAMP_CLI_SWEEP_TASKS_H

#include <stdint.h>
#include <stdio.h>

#include "cli_run.h"
#include "cli_sweep.h"
#include "sampler_mixing.h"

/* Task i's seed: its chains draw from Philox streams no other task of the point shares. */
uint64_t cli_sweep_task_seed(uint64_t seed, int32_t task);

/* Runs `sampler` (the point's settings, n chains) on every task prompt of the plan on engine
 * e, per_call tasks per psamp_sample_prompts call (each with cli_sweep_task_seed); writes one samples line per chain (problem, chain,
 * tokens, text, logp, n_tokens, ended, correct, proposals, accepted, tokens_decoded) to
 * `samples` (`what` names it in errors); fills correct[task] (of n) and stats, summed over
 * the runs (correct_rate = mean over tasks of correct / n), and *mixing, each task's chains
 * one group (sampler_mixing.h). */
int cli_sweep_run_tasks(const cli_sweep_plan *plan, const sweep_point *p, psamp_engine *e,
                        const psamp_sampler_config *sampler, int32_t per_call, const psamp_sampler_hooks *hooks,
                        FILE *samples, const char *what, cli_run_stats *stats, psamp_mixing *mixing,
                        int64_t *correct, psamp_err *err);

#endif
