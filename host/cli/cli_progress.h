/* Progress with an ETA on stderr for runs longer than a second. On a terminal: one bar
 * redrawn in place. Elsewhere (logs, CI, pipes) silent, unless PSAMP_PROGRESS=1 asks for
 * it: then a plain line every PSAMP_PROGRESS_EVERY seconds (default 10; below 1, also the
 * wait before the first). PSAMP_PROGRESS=0 silences it on a terminal too. stdout is never
 * touched. */
#ifndef PSAMP_CLI_PROGRESS_H
#define PSAMP_CLI_PROGRESS_H

typedef struct {
    const char *label;
    double t_start, t_last, every;
    int enabled, tty, shown;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label);
void cli_progress_update(cli_progress *p, double fraction);
void cli_progress_finish(cli_progress *p);

#endif
