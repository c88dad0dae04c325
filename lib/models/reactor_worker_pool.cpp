/* reactor_worker_pool - one reactor does all the I/O: it accepts, reads, and
 * once a whole request is buffered lends the connection to a fixed pool of
 * worker threads (a bounded queue between them: a full queue holds the
 * reactor back). A worker runs the handler for the complete requests of
 * that connection, in order, queues the answers and gives the connection
 * back through the reactor's inbox and wakeup; the reactor writes them.
 * --pool N (or --threads N) sets the workers (default 4). */
#include "../handoff/reactors.h"
#include "../session/session.h"

int nm_model_reactor_worker_pool(nm_server *s)
{
    int by_pool = s->cfg.pool != NM_DEFAULT;
    int pool = NM_RUN_SIZE(by_pool ? s->cfg.pool : s->cfg.threads, NM_POOL_WORKERS, NM_MAX_THREADS - 1, by_pool ? "--pool" : "--threads");
    if (pool < 0) return NM_ERR_USAGE;
    nm_session_handoff(s);
    nm_reactors r;
    nm_reactors_init(&r, 0, pool);
    return nm_reactors_run(s, &r);
}
