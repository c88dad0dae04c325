/* Threads of a model carry names (ps -L, top -H, /proc/PID/task/TID/comm), so
 * that a device's operator can tell its stages apart. */
#include "thread.h"
#include "../nm_config.h"
#if defined(__linux__)
#include <sys/prctl.h>
#endif

void nm_thread_name(const char *name)
{
#if defined(__linux__)
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

int nm_thread_count(int asked, int fallback)
{
    int n = asked > 0 ? asked : fallback;
    return n < NM_MAX_THREADS ? n : NM_MAX_THREADS;
}
