/* The SIGINT / SIGTERM flag of the psamp program (cli_stop.h). sigaction is POSIX. */
#include "cli_stop.h"

#include <string.h>
#include <unistd.h>

/* The only global mutable state of psamp (cli_stop.h says why). */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
    if (stop_signal == 0) {
        stop_signal = sig;
        return;
    }
    static const char msg[] = "psamp: already stopping: finishing the current engine step and writing what is done\n";
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
}

void cli_stop_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* reads and writes go on; the sampler polls the flag */
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        /* A signal ignored when psamp started stays ignored (a shell's background job,
         * nohup): whoever started psamp asked for that. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

const volatile sig_atomic_t *cli_stop_flag(void) {
    return &stop_signal;
}

int cli_stop_signal(void) {
    return (int)stop_signal;
}

const char *cli_stop_name(void) {
    return stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGTERM ? "SIGTERM" : "a signal";
}

int cli_stop_status(void) {
    return 128 + (int)stop_signal;
}
