/* process_pool_reactors - N worker processes, each running its own event
 * loop on the listener they share. With epoll the listener is watched with
 * EPOLLEXCLUSIVE, so a new connection wakes one process, not all; other
 * pollers give each process its own SO_REUSEPORT listener on the port and
 * the kernel spreads connections over them. The counters live in shared
 * memory, so /stats in any process reports the whole server. The parent
 * only supervises: it forwards a stop and reaps every child.
 * --workers N processes (default: one per CPU). */
#include "../core/reactors.h"
#include "../core/procs.h"

static int serve_in_child(nm_server *s, int index)
{
    nm_reactors r;
    nm_reactors_init(&r, 0, 0);
    r.proc_index = index;
    return nm_reactors_run(s, &r);
}

int nm_model_process_pool_reactors(nm_server *s)
{
    return nm_procs_serve(s, nm_option(s->cfg.workers, nm_cpu_count(NM_MAX_PROCS), NM_MAX_PROCS), serve_in_child);
}
