/* iterative - one thread serves one connection at a time with blocking
 * accept, read and write. A second client waits in the backlog until the
 * first is done. */
#include "../loop/accept.h"
#include "../session/session.h"

int nm_model_iterative(nm_server *s)
{
    while (!nm_stop_requested(s)) {
        int more;
        nm_conn *c = nm_accept(s, 0, &more);
        if (c) {
            nm_session_serve_blocking(c);
        } else if (!more && !nm_stop_requested(s)) {
            nm_accept_backoff();   /* accept failing: do not spin */
        }
    }
    return NM_OK;
}
