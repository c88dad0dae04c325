/* reactors.h - the wiring shared by the multi-threaded reactor models.
 *
 * A loop group whose loop 0 (the calling thread) accepts. With sub-loops,
 * loop 0 only accepts and posts each connection round-robin to one of them,
 * which owns it for life; without, loop 0 owns the connections too. How an
 * owned connection is served is the model's: on its loop (nm_serve_io), lent
 * to a worker pool for its handler (workers > 0), or lent to task threads
 * (the model's conn_fn, on_return and task). */
#ifndef NM_REACTORS_H
#define NM_REACTORS_H

#include "loop_group.h"
#include "../procs/procs.h"

struct nm_reactors {
    int sub_loops;                                /* 0: loop 0 serves as well */
    int workers;                                  /* handler threads; 0: no pool */
    nm_io_fn conn_fn;                             /* NULL: nm_serve_io, or nm_lend_io with workers */
    void (*on_return)(nm_loop *l, nm_conn *c, int want);
    int (*dispatch)(nm_loop *l, nm_conn *c);
    int (*task)(nm_conn *c);                      /* run on task threads (tasks.h), or NULL */
    const char *task_name;
    nm_procs *procs;                              /* run in a child of this process group, or NULL */
};

void nm_reactors_init(nm_reactors *r, int sub_loops, int workers);
/* Open everything, announce the server (in a process group: report ready),
 * serve until stopped, join every thread. NM_OK or NM_ERR_SYSTEM. */
int nm_reactors_run(nm_server *s, const nm_reactors *r);
/* The same in each of n child processes sharing the listener: with epoll the
 * inherited listener, watched with EPOLLEXCLUSIVE (one process woken per
 * connection); with other pollers a SO_REUSEPORT listener of each child's
 * own (the kernel spreads connections). The parent announces once all are
 * ready, then supervises (replaces a child that dies, reaps, forwards a stop). */
int nm_reactors_in_processes(nm_server *s, int n, nm_reactors *r);

#endif
