/* signals.h - signals as events of a loop.
 *
 * SIGTERM and SIGINT stop being asynchronous interruptions and become a
 * readable descriptor that a loop watches like any other: a signalfd on
 * Linux (the signals are blocked and queued to it), a self-pipe elsewhere
 * (a handler writes the signal number into a pipe). Closing restores the
 * signal mask and handlers that were there before. A signal sent to the
 * process reaches the signalfd only if no other thread leaves it unblocked:
 * meant for a program whose serving thread is its only one. */
#ifndef NM_SIGNALS_H
#define NM_SIGNALS_H

#include <signal.h>
#include "wakeup.h"

struct nm_signals {
    int fd;                     /* watch for NM_READ */
    nm_wakeup pipe;             /* the self-pipe where there is no signalfd */
    sigset_t set, old_mask;
    struct sigaction old[2];
};

int nm_signals_open(nm_signals *sg);   /* 0, or -1 (errno) */
/* The next signal taken, or 0 when none is pending. */
int nm_signals_read(nm_signals *sg);
void nm_signals_close(nm_signals *sg);

/* For threads that never wait in a port (workers, tasks): SIGTERM and SIGINT
 * are left to the loop threads, whose wait they cut short, so a stop is seen
 * at once rather than at the next periodic check. */
void nm_signals_leave_to_loops(void);

#endif
