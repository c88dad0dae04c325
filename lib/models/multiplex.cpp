/* select, poll, epoll, kqueue - one thread multiplexes every connection
 * through one readiness mechanism. The loop asks the port what is ready and
 * itself decides what to do with each fd: the listener accepts, any other fd
 * drives its connection's session. Each of the four models is this loop on
 * its own port; epoll and kqueue may also run edge-triggered. */
#include "../loop/loop.h"

static int multiplex(nm_server *s)
{
    nm_loop *l = nm_loop_open(s, s->port, s->cfg.edge_triggered);
    if (!l) return NM_ERR_SYSTEM;
    nm_loop_watch(l, s->listen_fd, NM_READ, 0, 0);
    l->kick = nm_loop_serve;
    do {
        int n = nm_loop_wait(l);
        for (int i = 0; i < n; i++) {
            int fd = l->events[i].fd;
            if (fd == s->listen_fd) {
                nm_loop_accept(l);
                continue;
            }
            nm_conn *c = nm_conn_of_fd(fd);
            if (c && c->owner == l) nm_loop_serve(l, c);
            else nm_loop_dispatch_one(l, i);   /* the loop's wakeup, the application's fds */
        }
    } while (!nm_loop_tick(l));
    nm_loop_close(l);
    return NM_OK;
}

int nm_model_select(nm_server *s) { return multiplex(s); }
int nm_model_poll(nm_server *s) { return multiplex(s); }
int nm_model_epoll(nm_server *s) { return multiplex(s); }
int nm_model_kqueue(nm_server *s) { return multiplex(s); }
