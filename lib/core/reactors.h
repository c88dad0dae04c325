/* reactors.h - the wiring shared by the multi-threaded reactor models.
 *
 * A loop group whose loop 0 (the calling thread) accepts. With sub-loops,
 * loop 0 only accepts and posts each connection round-robin to one of them,
 * which owns it for life; without, loop 0 owns the connections too. How an
 * owned connection is served is the model's: on its loop (nm_serve_io), lent
 * to a worker pool for its handler (workers > 0), or lent to task threads
 * (the model's conn_fn, on_return and on_task). */
#ifndef NM_REACTORS_H
#define NM_REACTORS_H

#include "loop_group.h"

struct nm_reactors {
    int sub_loops;                                /* 0: loop 0 serves as well */
    int workers;                                  /* handler threads; 0: no pool */
    nm_io_fn conn_fn;                             /* NULL: nm_serve_io, or nm_lend_io with workers */
    void (*on_return)(nm_loop *l, nm_conn *c);
    void (*on_task)(nm_loop *l, void *task);
    int (*dispatch)(nm_loop *l, nm_conn *c);
    int proc_index;                               /* child of a process group (procs.h), else -1 */
};

void nm_reactors_init(nm_reactors *r, int sub_loops, int workers);
/* Open everything, announce the server (unless in a process group), serve
 * until stopped, join every thread. NM_OK or NM_ERR_SYSTEM. */
int nm_reactors_run(nm_server *s, const nm_reactors *r);

#endif
