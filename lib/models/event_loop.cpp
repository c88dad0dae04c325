/* event_loop - one thread, one loop, and everything that happens to the
 * server is an event of that loop: readiness of the listener and of each
 * connection (the port), the keep-alive, header and write timeouts (the
 * loop's timer wheel closes an idle connection), and the stop signals
 * (SIGTERM and SIGINT arrive on a signalfd, or a self-pipe, that the port
 * watches like a socket). Nothing interrupts the loop: a stop is read like
 * a request and the loop drains and ends. */
#include "../handoff/loop_group.h"
#include "../base/signals.h"

static void on_signal(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    while (nm_signals_read((nm_signals *)ctx)) nm_server_stop(l->srv);
}

int nm_model_event_loop(nm_server *s)
{
    nm_loop *l = nm_loop_open(s, s->port, s->cfg.edge_triggered);
    if (!l) return NM_ERR_SYSTEM;
    nm_signals sg;
    if (nm_signals_open(&sg)) {
        nm_loop_close(l);
        return NM_ERR_SYSTEM;
    }
    l->conn_fn = nm_serve_io;
    l->kick = nm_loop_serve;
    nm_loop_watch(l, sg.fd, NM_READ, on_signal, &sg);
    nm_loop_watch(l, s->listen_fd, NM_READ, nm_accept_io, 0);
    nm_announce(s);
    nm_loop_run_until_drained(l);
    nm_loop_watch(l, sg.fd, 0, 0, 0);
    nm_signals_close(&sg);
    nm_loop_close(l);
    return NM_OK;
}
