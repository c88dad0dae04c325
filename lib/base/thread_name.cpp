/* Threads of a model carry names (ps -L, top -H, /proc/PID/task/TID/comm), so
 * that a device's operator can tell its stages apart. */
#include "thread.h"
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
