/* reactor - the Reactor pattern: handlers register with the loop for the
 * events they want (the acceptor for the listener, a connection handler for
 * each connection), and the loop, over any port (--poller), calls them back
 * when the demultiplexer reports them ready. */
#include "../loop/loop.h"

static void acceptor(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_loop_accept(l);
}

static void connection(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_loop_serve(l, (nm_conn *)ctx);
}

int nm_model_reactor(nm_server *s)
{
    nm_loop *l = nm_loop_open(s, s->port, s->cfg.edge_triggered);
    if (!l) return NM_ERR_SYSTEM;
    l->conn_fn = connection;
    l->kick = nm_loop_serve;
    nm_loop_watch(l, s->listen_fd, NM_READ, acceptor, 0);
    nm_loop_run_until_drained(l);
    nm_loop_close(l);
    return NM_OK;
}
