/* Stopping a long command cleanly on SIGINT or SIGTERM.
 *
 * The flag below is the one piece of global mutable state in psamp, and it lives in the
 * program (host/cli), never in a library part: a signal handler can reach nothing else. The
 * commands that write results (generate, passk, h1, h3, toyexp, sweep) install the handler;
 * the first SIGINT or SIGTERM only records the signal, and the command passes the flag to
 * the sampler (psamp_sampler_hooks.stop), which reads it before every batched engine step.
 * The command then writes what is finished (or nothing, where its output needs every run),
 * removes its temporary files, says so in one line on stderr and exits 128 + the signal
 * (130 for SIGINT, 143 for SIGTERM). A second signal while stopping is reported and
 * otherwise ignored: the stop takes at most one engine step, and exiting from the handler
 * would leave the temporary files behind (only SIGKILL can). Commands that write no file
 * mid-run (score, exact, bench, h2) keep the default: the signal ends them. */
#ifndef PSAMP_CLI_STOP_H
#define PSAMP_CLI_STOP_H

#include <signal.h>

/* Installs the handler for SIGINT and SIGTERM, but leaves a signal that was ignored when
 * psamp started (a background job of a script, nohup) ignored. */
void cli_stop_install(void);
/* The flag the sampler polls: 0, or the number of the first signal received. */
const volatile sig_atomic_t *cli_stop_flag(void);
/* 0, or the first signal received. */
int cli_stop_signal(void);
/* "SIGINT" / "SIGTERM" (the first signal's name). */
const char *cli_stop_name(void);
/* The exit code of a command stopped by a signal: 128 + its number. */
int cli_stop_status(void);

#endif
