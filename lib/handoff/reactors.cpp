#include "reactors.h"
#include "lend.h"
#include <unistd.h>
#include "workers.h"
#include "tasks.h"

void nm_reactors_init(nm_reactors *r, int sub_loops, int workers)
{
    r->sub_loops = sub_loops;
    r->workers = workers;
    r->conn_fn = workers ? nm_lend_io : nm_serve_io;
    r->on_return = nm_lend_resume;
    r->dispatch = nm_lend_to_workers;
    r->task = 0;
    r->task_name = 0;
    r->procs = 0;
}

/* The listener a child's loop watches: the inherited one, shared, or a
 * SO_REUSEPORT listener of its own. The mask to watch it with, or 0. */
static int listen_in_child(nm_server *s)
{
    if (nm_shares_listener(s)) return NM_READ | NM_SHARED;
    close(s->listen_fd);
    s->listen_fd = nm_listen_open(s, 1, 1);
    return s->listen_fd < 0 ? 0 : NM_READ;
}

int nm_reactors_run(nm_server *s, const nm_reactors *r)
{
    nm_loop_group g;
    nm_workers w;
    unsigned loops = 1 + (unsigned)r->sub_loops, workers = r->workers < NM_MAX_THREADS ? (unsigned)r->workers : NM_MAX_THREADS;
    const nm_pool_claim need[] = { { &nm_loop_pool, loops }, { &nm_loop_thread_pool, loops }, { &nm_stack_pool, loops - 1 + workers } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    if (nm_group_open(&g, s, 1 + r->sub_loops, r->conn_fn, r->on_return)) return NM_ERR_SYSTEM;
    g.dispatch = r->dispatch;
    if (r->workers) g.on_turn = nm_lend_wake_workers;
    if (r->task) {
        g.task = r->task;
        g.task_name = r->task_name;
        g.on_turn = nm_tasks_retry;
    }
    g.user = &w;
    nm_loop *first = g.loops[0]->loop;
    if (r->sub_loops) first->place = nm_group_place_round_robin;
    int mask = r->procs ? listen_in_child(s) : NM_READ;
    int failed = !mask || nm_loop_watch(first, s->listen_fd, mask, nm_accept_io, 0) != 0;
    w.count = 0;
    if (!failed && r->workers) failed = nm_workers_start(&w, r->workers, nm_lend_work, "nm-worker", 1);
    if (!failed) failed = nm_group_start(&g);
    if (failed) {
        nm_group_abort(&g);
        if (w.count) nm_workers_stop(&w);
        return NM_ERR_SYSTEM;
    }
    if (r->procs) nm_procs_ready(r->procs);
    else nm_announce(s);
    nm_group_run_first(&g);
    if (w.count) nm_workers_stop(&w);
    return NM_OK;
}

static int serve_in_child(nm_server *s, void *plan) { return nm_reactors_run(s, (const nm_reactors *)plan); }

int nm_reactors_in_processes(nm_server *s, int n, nm_reactors *r)
{
    r->procs = nm_procs_open(s);
    if (!r->procs) return NM_ERR_SYSTEM;
    int rc = NM_OK;
    for (int i = 0; i < n && rc == NM_OK; i++)
        if (nm_procs_spawn(r->procs, serve_in_child, r) < 0) rc = NM_ERR_SYSTEM;
    if (rc == NM_OK && nm_procs_wait_ready(r->procs, n)) rc = nm_stop_requested(s) ? NM_OK : NM_ERR_SYSTEM;
    if (rc == NM_OK && !nm_stop_requested(s)) {
        if (!nm_shares_listener(s)) {   /* each child listens on its own socket now */
            close(s->listen_fd);
            s->listen_fd = -1;
        }
        nm_announce(s);
        nm_procs_supervise(r->procs, serve_in_child, r);
    }
    nm_procs_close(r->procs);
    r->procs = 0;
    return rc;
}
