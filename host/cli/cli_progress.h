/* A progress bar on stderr for runs longer than a second; silent when stderr is not a
 * terminal (logs, CI, pipes). */
#ifndef PSAMP_CLI_PROGRESS_H
#define PSAMP_CLI_PROGRESS_H

typedef struct {
    const char *label;
    double t_start;
    int enabled, shown;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label);
void cli_progress_update(cli_progress *p, double fraction);
void cli_progress_finish(cli_progress *p);

#endif
