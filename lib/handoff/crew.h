/* crew.h - the threads a model runs, on stacks from the static pool.
 *
 * Threads start with every signal blocked, so the process's signals (SIGTERM)
 * go to the thread that called nm_run, the one that accepts or supervises.
 * Each thread is named after its role. A crew counts its running threads and
 * wakes whoever waits for one to end; finished threads are joined (their
 * stacks go back to the pool) on the next start or at the end. */
#ifndef NM_CREW_H
#define NM_CREW_H

#include "../base/thread.h"
#include "../loop/server.h"

struct nm_crew;

struct nm_crew_slot {
    nm_thread t;
    nm_crew *crew;
    void *(*fn)(void *);
    void *arg;
    const char *name;
    int used;
    int returning;   /* fn returned: the thread can be joined at once */
};

struct nm_crew {
    nm_crew_slot slot[NM_MAX_THREADS];
    int running;                 /* started and not yet returned */
    pthread_mutex_t lock;
    pthread_cond_t ended;
};

nm_crew *nm_crew_open(void);    /* from the crew pool; NULL when none is left */
/* Start fn(arg) on a new thread named `name`: 0, or -1 when no stack is free. */
int nm_crew_start(nm_crew *k, const char *name, void *(*fn)(void *), void *arg);
int nm_crew_running(nm_crew *k);
/* Wait until fewer than n threads run, at most until `deadline_ms`
 * (nm_now_ms clock): 1 when there are, 0 on the deadline. */
int nm_crew_wait_below(nm_crew *k, int n, uint64_t deadline_ms);
/* Wait for every thread to return, join them all and give the crew back.
 * With s: connections of s are woken (SHUT_RD) at once, and cut (SHUT_RDWR)
 * once NM_DRAIN_TIMEOUT_MS has passed, so no thread stays blocked. */
void nm_crew_close(nm_crew *k, nm_server *s);

#endif
