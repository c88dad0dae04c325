/* iterative - one thread serves one connection at a time with blocking
 * accept, read and write. A second client waits in the backlog until the
 * first is done, or gives way (lib/loop/blocking.h: an HTTP keep-alive
 * connection is answered "close" once another client waits). The accept returns at least every NM_STOP_POLL_MS, so a
 * stop (and the application's callbacks) are seen while no client comes. */
#include "../loop/blocking.h"

int nm_model_iterative(nm_server *s)
{
    nm_blocking_listener(s->listen_fd);
    s->clients_wait = nm_listener_pending;   /* a second client: the first gives way once idle */
    while (!nm_stop_requested(s)) {
        nm_conn *c = nm_blocking_accept(s);
        if (c) nm_blocking_serve(c);
    }
    return NM_OK;
}
