/* clock.c - the wall clock of a test's choosing, for nmserve under
 * LD_PRELOAD (test/tls/clientcert.sh): with NM_TEST_CLOCK set (seconds
 * since 1970), CLOCK_REALTIME reads it; every other clock, and
 * CLOCK_REALTIME without it, reads as the system's. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int clock_gettime(clockid_t id, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
    int r = real(id, ts);
    const char *at = getenv("NM_TEST_CLOCK");
    if (!r && at && id == CLOCK_REALTIME) ts->tv_sec = (time_t)strtoll(at, 0, 10);
    return r;
}
