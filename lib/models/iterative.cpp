/* iterative - one thread serves one connection at a time with blocking
 * accept, read and write. A second client waits in the backlog until the
 * first is done. */
#include "../loop/accept.h"
#include "../session/session.h"
#include <time.h>

int nm_model_iterative(nm_server *s)
{
    while (!nm_stop_requested(s)) {
        int more;
        nm_conn *c = nm_accept(s, 0, &more);
        if (c) {
            nm_session_serve_blocking(c);
        } else if (!more && !nm_stop_requested(s)) {
            struct timespec pause = { 0, 10 * 1000 * 1000 };   /* accept failing: do not spin */
            nanosleep(&pause, 0);
        }
    }
    return NM_OK;
}
