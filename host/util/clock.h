/* The monotonic clock every timing in psamp reads (seconds, arbitrary origin). */
#ifndef PSAMP_CLOCK_H
#define PSAMP_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

double psamp_now_seconds(void);

#ifdef __cplusplus
}
#endif
#endif
