/* process_pool_reactors - N worker processes, each running its own event
 * loop on the listener they share. With epoll the listener is watched with
 * EPOLLEXCLUSIVE, so a new connection wakes one process, not all; other
 * pollers give each process its own SO_REUSEPORT listener on the port and
 * the kernel spreads connections over them. The counters live in shared
 * memory, so /stats in any process reports the whole server. The parent
 * only supervises: it replaces a child that dies, forwards a stop and reaps
 * every child. --workers N processes (default: one per CPU). */
#include "../handoff/reactors.h"

int nm_model_process_pool_reactors(nm_server *s)
{
    int procs = NM_RUN_SIZE(s->cfg.workers, NM_REACTOR_PROCS, NM_MAX_WORKERS, "--workers");
    if (procs < 0) return NM_ERR_USAGE;
    nm_reactors r;
    nm_reactors_init(&r, 0, 0);
    return nm_reactors_in_processes(s, procs, &r);
}
