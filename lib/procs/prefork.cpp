#include "prefork.h"
#include "../loop/blocking.h"
#include "procs.h"
#include <unistd.h>

struct prefork {
    nm_procs *g;
    nm_prefork_accept how;
};

static int worker(nm_server *s, void *arg)
{
    prefork *p = (prefork *)arg;
    if (p->how == NM_PREFORK_REUSEPORT) {
        close(s->listen_fd);
        s->listen_fd = nm_listen_open(s, 0, 1);
        if (s->listen_fd < 0) return NM_ERR_SYSTEM;
    }
    nm_blocking_listener(s->listen_fd);
    s->clients_wait = nm_listener_pending;   /* clients wait in the backlog while every worker serves */
    nm_procs_ready(p->g);
    while (!nm_stop_requested(s)) {
        if (p->how == NM_PREFORK_LOCKED) nm_accept_lock(p->g->sh);
        /* a stop seen while waiting for the lock ends the loop before accept() */
        nm_conn *c = nm_stop_requested(s) ? 0 : nm_blocking_accept(s);
        if (p->how == NM_PREFORK_LOCKED) nm_accept_unlock(p->g->sh);
        if (c) nm_blocking_serve(c);
    }
    return NM_OK;
}

int nm_prefork_run(nm_server *s, nm_prefork_accept how)
{
    int n = NM_RUN_SIZE(s->cfg.workers, NM_DEFAULT_WORKERS, NM_MAX_WORKERS, "--workers");
    if (n < 0) return NM_ERR_USAGE;
    prefork p;
    p.how = how;
    p.g = nm_procs_open(s);
    if (!p.g) return NM_ERR_SYSTEM;
    int rc = NM_OK;
    for (int i = 0; i < n && rc == NM_OK; i++)
        if (nm_procs_spawn(p.g, worker, &p) < 0) rc = NM_ERR_SYSTEM;
    if (rc == NM_OK && nm_procs_wait_ready(p.g, n)) rc = nm_stop_requested(s) ? NM_OK : NM_ERR_SYSTEM;
    if (rc == NM_OK && !nm_stop_requested(s)) {
        if (how == NM_PREFORK_REUSEPORT) {
            /* The parent's socket only held the port while the workers bound theirs. */
            close(s->listen_fd);
            s->listen_fd = -1;
        }
        nm_announce(s);
        nm_procs_supervise(p.g, worker, &p);
    }
    nm_procs_close(p.g);
    return rc;
}
