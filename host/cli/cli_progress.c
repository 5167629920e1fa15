#include "cli_progress.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"


void cli_progress_init(cli_progress *p, const char *label) {
    p->label = label;
    p->t_start = psamp_now_seconds();
    p->enabled = isatty(STDERR_FILENO);
    p->shown = 0;
}

void cli_progress_update(cli_progress *p, double fraction) {
    double elapsed = psamp_now_seconds() - p->t_start;
    if (!p->enabled || elapsed < 1.0) return;
    if (fraction < 0) fraction = 0;
    if (fraction > 1) fraction = 1;
    int width = 30, filled = (int)(fraction * width + 0.5);
    double eta = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : -1.0;
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
