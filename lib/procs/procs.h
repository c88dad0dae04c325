/* procs.h - the processes of a multi-process model.
 *
 * The parent maps one block of shared memory before it forks, and points the
 * server's counters at it: every child adds into the same counters, so the
 * /stats any process answers is the sum over all of them. The parent keeps a
 * table of its children, reaps every one that ends (no zombie), and on a stop
 * sends SIGTERM to the living ones again and again until each has exited:
 * a signal that lands just before a blocking call is not lost for good. */
#ifndef NM_PROCS_H
#define NM_PROCS_H

#include <pthread.h>
#include <sys/types.h>
#include "../loop/server.h"

/* What the processes share (MAP_SHARED | MAP_ANONYMOUS, fixed size). */
struct nm_shared {
    nm_counters counters;
    pthread_mutex_t accept_lock;     /* process-shared, robust */
    int ready;                       /* children that reached their serving loop */
    int live[NM_MAX_WORKERS];        /* connections each worker holds now */
};

struct nm_procs {
    nm_server *srv;
    nm_shared *sh;
    int count;                       /* children alive */
    pid_t pid[NM_MAX_CHILDREN];      /* 0: free entry */
};

/* Take the process table and map the shared block: 0, or -1 (errno). */
nm_procs *nm_procs_open(nm_server *s);
/* Stop and reap every child, copy the counters back, unmap, give the table back. */
void nm_procs_close(nm_procs *g);

/* Fork a child that runs fn(s, arg) and exits with its result. In the child
 * SIGTERM and SIGINT stop the server. Returns the table index (>= 0) in the
 * parent, -1 when the table is full or fork fails. */
int nm_procs_spawn(nm_procs *g, int (*fn)(nm_server *s, void *arg), void *arg);
/* Reap children that ended, without waiting; returns how many. */
int nm_procs_reap(nm_procs *g);
/* Room for one more child under `cap`: reap the ones that ended and, while
 * all `cap` still live, keep reaping until one ends, `deadline` (nm_now_ms)
 * passes or a stop. 1 when there is room, else 0. */
int nm_procs_wait_below(nm_procs *g, int cap, uint64_t deadline);
/* Wait until `n` children report ready (or one ended): 0, or -1. */
int nm_procs_wait_ready(nm_procs *g, int n);
void nm_procs_ready(nm_procs *g);    /* called by a child */
/* The parent's life while the children serve: reap, and put a new child
 * fn(s, arg) in the place of one that died (at most one per 100 ms, so a
 * child that crashes at once does not make the parent spin), until a stop. */
void nm_procs_supervise(nm_procs *g, int (*fn)(nm_server *s, void *arg), void *arg);

/* The lock around accept() of prefork_locked_accept; a holder that died is
 * detected and the lock made usable again. */
void nm_accept_lock(nm_shared *sh);
void nm_accept_unlock(nm_shared *sh);

/* Hand a descriptor over a Unix socket (SCM_RIGHTS): 0, or -1. */
int nm_fd_send(int sock, int fd);
/* Receive one: the descriptor, or -1 (EOF, error, or a signal). */
int nm_fd_recv(int sock);

#endif
