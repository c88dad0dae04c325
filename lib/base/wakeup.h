/* wakeup.h - wake a thread that sleeps in a port: an eventfd on Linux, a
 * non-blocking pipe elsewhere. The sleeping loop watches rfd for NM_READ and
 * calls nm_wakeup_drain when it fires. */
#ifndef NM_WAKEUP_H
#define NM_WAKEUP_H

struct nm_wakeup {
    int rfd, wfd;   /* the same eventfd twice on Linux */
};

int nm_wakeup_open(nm_wakeup *w);    /* 0 or -1 */
void nm_wakeup_close(nm_wakeup *w);
void nm_wakeup_signal(nm_wakeup *w); /* async-signal-safe */
void nm_wakeup_drain(nm_wakeup *w);

#endif
