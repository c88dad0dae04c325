#include "reactors.h"
#include "lend.h"
#include "procs.h"
#include "workers.h"

void nm_reactors_init(nm_reactors *r, int sub_loops, int workers)
{
    r->sub_loops = sub_loops;
    r->workers = workers;
    r->conn_fn = workers ? nm_lend_io : nm_serve_io;
    r->on_return = nm_lend_resume;
    r->on_task = 0;
    r->dispatch = nm_lend_to_workers;
    r->proc_index = -1;
}

int nm_reactors_run(nm_server *s, const nm_reactors *r)
{
    nm_loop_group g;
    nm_workers w;
    if (nm_group_open(&g, s, 1 + r->sub_loops, r->conn_fn)) return NM_ERR_SYSTEM;
    g.on_return = r->on_return;
    g.on_task = r->on_task;
    g.dispatch = r->dispatch;
    g.user = &w;
    nm_loop *first = g.loops[0]->loop;
    if (r->sub_loops) first->place = nm_group_place_round_robin;
    int failed = r->proc_index >= 0 && nm_procs_listen(s, r->proc_index, first);
    if (!failed) failed = nm_loop_watch(first, s->listen_fd, NM_READ, nm_accept_io, 0) != 0;
    w.count = 0;
    if (!failed && r->workers) failed = nm_workers_start(&w, r->workers, nm_lend_work, "nm-worker");
    if (!failed) failed = nm_group_start(&g);
    if (failed) {
        nm_group_abort(&g);
        if (w.count) nm_workers_stop(&w);
        return NM_ERR_SYSTEM;
    }
    if (r->proc_index < 0) nm_server_ready(s);
    nm_group_run_first(&g);
    if (w.count) nm_workers_stop(&w);
    return NM_OK;
}
