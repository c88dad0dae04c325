/* workers.h - a fixed pool of worker threads fed by a bounded queue.
 *
 * Loops submit items (connections flagged NM_CF_BUSY); a worker takes one,
 * runs the pool's function on it and takes the next. A full queue makes the
 * submitting loop wait, or tells it so at once (nm_workers_try_submit: the
 * item then waits in the loop's own queue): backpressure, never growth.
 * Workers leave the stop signals to the loop threads. */
#ifndef NM_WORKERS_H
#define NM_WORKERS_H

#include "../base/queue.h"
#include "../base/thread.h"

struct nm_workers {
    nm_queue queue;
    int count;
    void (*run)(void *item);
    const char *name;
    int numbered;   /* names numbered (set before the workers start) */
    int named;      /* workers that have taken their name's number */
    nm_thread threads[NM_MAX_THREADS];
};

/* Start `count` workers (at least one), each named `name` and, if
 * numbered, its number (nm-worker0, nm-worker1...); 0, or -1 with none
 * left running. */
int nm_workers_start(nm_workers *w, int count, void (*run)(void *item), const char *name, int numbered);
/* Queue an item without waking a worker (0, or -1 once stopped); a loop
 * submits a round's worth, then wakes them once with nm_workers_wake. */
int nm_workers_submit(nm_workers *w, void *item);
/* The same, but a full queue answers -1 at once. */
int nm_workers_try_submit(nm_workers *w, void *item);
void nm_workers_wake(nm_workers *w);
/* Let the workers finish what is queued, then join them. */
void nm_workers_stop(nm_workers *w);

#endif
