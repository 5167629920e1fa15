/* CLOCK_MONOTONIC in seconds: immune to wall-clock changes during a run. */
#include "clock.h"

#include <time.h>

double psamp_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
