/* procs.h - a group of worker processes serving one listener.
 *
 * The parent moves the server's counters into shared memory (so /stats in
 * any process sums them all), forks N children that each run the model's
 * child function, and then only supervises: it forwards a stop to every
 * child as SIGTERM and reaps each one (no zombies), returning when all have
 * exited. */
#ifndef NM_PROCS_H
#define NM_PROCS_H

#include "server.h"
#include <sys/types.h>

struct nm_loop;

struct nm_procs {
    pid_t pids[NM_MAX_PROCS];
    int count;
    nm_counters *shared;
};

/* Fork n children (capped at NM_MAX_PROCS), each running child(s, index) and
 * exiting with its result. 0, or -1 (the started ones are stopped again). */
int nm_procs_start(nm_procs *p, nm_server *s, int n, int (*child)(nm_server *s, int index));
/* Supervise until every child has exited; NM_OK when all exited cleanly. */
int nm_procs_wait(nm_procs *p, nm_server *s);

/* Start n children, announce the server, supervise until all have exited:
 * the whole life of a process-pool model's parent. */
int nm_procs_serve(nm_server *s, int n, int (*child)(nm_server *s, int index));

/* In child `index`: listen the way this poller shares best. With epoll the
 * inherited listener is watched with EPOLLEXCLUSIVE (one process woken per
 * connection); other pollers give each child after the first its own
 * SO_REUSEPORT listener on the same port (the kernel spreads connections).
 * Call before watching s->listen_fd on loop l; 0, or -1. */
int nm_procs_listen(nm_server *s, int index, nm_loop *l);

#endif
