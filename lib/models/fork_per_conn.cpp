/* fork_per_conn - the parent accepts; every connection gets a child process
 * of its own, which serves it with blocking I/O and exits. The parent reaps
 * each child that ends (no zombie) and caps the children alive at once (the
 * compile-time NM_MAX_CHILDREN, or a lower --workers). The cap is checked
 * against children reaped just then: one that ended while the parent waited
 * in accept() no longer holds its place. A burst past the cap waits up to
 * the queue wait (queue_wait_ms) for a child to end; once the cap has held
 * that long, each further connection is answered 503 at once until a child
 * ends. A crash in one child takes one connection with it, nothing else. */
#include "../loop/blocking.h"
#include "../procs/procs.h"
#include <unistd.h>

static int serve_child(nm_server *s, void *arg)
{
    close(s->listen_fd);   /* a child serves its one connection, never the port */
    /* The parent's copy of the connection is uncounted as it closes it; this
     * copy counts from now until the child closes it. */
    nm_count(s, NM_C_ACTIVE);
    nm_conn_hook_open((nm_conn *)arg);   /* the application's hooks run here, not in the parent */
    nm_blocking_serve((nm_conn *)arg);
    return 0;
}

struct fpc { nm_procs *g; int cap; };

/* nm_room_wait's found: a place below the cap */
static int child_free(void *arg, uint64_t until)
{
    fpc *f = (fpc *)arg;
    return nm_procs_wait_below(f->g, f->cap, until);
}

int nm_model_fork_per_conn(nm_server *s)
{
    int cap = NM_RUN_SIZE(s->cfg.workers, NM_MAX_CHILDREN, NM_MAX_CHILDREN, "--workers");
    if (cap < 0) return NM_ERR_USAGE;
    nm_procs *g = nm_procs_open(s);
    if (!g) return NM_ERR_SYSTEM;
    nm_blocking_listener(s->listen_fd);
    s->hooks_in_child = 1;
    nm_announce(s);
    nm_room room = { 0 };
    fpc f = { g, cap };
    while (!nm_stop_requested(s)) {
        nm_procs_reap(g);   /* an idle parent still collects its zombies every accept timeout */
        nm_conn *c = nm_blocking_accept(s);
        if (!c) continue;
        if (!nm_room_wait(&room, s, child_free, &f) || nm_procs_spawn(g, serve_child, c) < 0) {
            nm_blocking_refuse(c);
            continue;
        }
        nm_conn_close(c);
    }
    nm_procs_close(g);
    return NM_OK;
}
