/* iterative - one thread serves one connection at a time with blocking
 * accept, read and write. A second client waits in the backlog until the
 * first is done. The listener's timeout (nm_blocking_listener) brings the
 * thread out of accept() every NM_STOP_POLL_MS to see a stop. */
#include "../loop/blocking.h"
#include "../session/session.h"

int nm_model_iterative(nm_server *s)
{
    nm_blocking_listener(s->listen_fd);
    while (!nm_stop_requested(s)) {
        nm_conn *c = nm_blocking_accept(s);
        if (c) nm_session_serve_blocking(c);
    }
    return NM_OK;
}
