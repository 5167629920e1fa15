#include "cli_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

void cli_progress_init(cli_progress *p, const char *label) {
    const char *want = getenv("PSAMP_PROGRESS"), *every = getenv("PSAMP_PROGRESS_EVERY");
    p->label = label;
    p->t_start = psamp_now_seconds();
    p->t_last = 0.0;
    p->tty = isatty(STDERR_FILENO);
    p->enabled = want && strcmp(want, "1") == 0 ? 1 : want && strcmp(want, "0") == 0 ? 0 : p->tty;
    char *end = NULL;
    p->every = every ? strtod(every, &end) : 10.0;
    if (!every || end == every || *end || !(p->every > 0)) p->every = 10.0;
    p->shown = 0;
}

void cli_progress_update(cli_progress *p, double fraction) {
    const double now = psamp_now_seconds(), elapsed = now - p->t_start;
    if (!p->enabled || elapsed < (p->every < 1.0 ? p->every : 1.0)) return;
    if (!p->tty && p->t_last > 0 && now - p->t_last < p->every) return;
    p->t_last = now;
    if (fraction < 0) fraction = 0;
    if (fraction > 1) fraction = 1;
    const double eta = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : -1.0;
    if (!p->tty) { /* a log line */
        if (eta >= 0)
            fprintf(stderr, "%s: %.1f%%  %.0fs elapsed, ~%.0fs left\n", p->label, 100 * fraction, elapsed, eta);
        else
            fprintf(stderr, "%s: %.1f%%  %.0fs elapsed\n", p->label, 100 * fraction, elapsed);
        fflush(stderr);
        return;
    }
    int width = 30, filled = (int)(fraction * width + 0.5);
    fprintf(stderr, "\r%s [", p->label);
    for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
    if (eta >= 0)
        fprintf(stderr, "] %5.1f%%  %.0fs elapsed, ~%.0fs left ", 100 * fraction, elapsed, eta);
    else
        fprintf(stderr, "] %5.1f%%  %.0fs elapsed ", 100 * fraction, elapsed);
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_finish(cli_progress *p) {
    if (p->shown) fputc('\n', stderr);
    p->shown = 0;
}
