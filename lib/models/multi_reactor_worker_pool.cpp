/* multi_reactor_worker_pool - multi_reactor with the handler moved off the
 * loops: the main loop accepts and hands each connection round-robin to one
 * of N sub-loops, which owns its I/O for life; when a whole request is
 * buffered the sub-loop lends the connection to a shared pool of worker
 * threads, which run the handler and give it back through the sub-loop's
 * inbox; the sub-loop writes the answers. A slow handler then holds a
 * worker, never a loop. --threads N sub-loops (default: one per CPU),
 * --pool N workers (default 4). */
#include "../handoff/reactors.h"
#include "../session/session.h"

int nm_model_multi_reactor_worker_pool(nm_server *s)
{
    int subs = NM_RUN_SIZE(s->cfg.threads, NM_SUB_LOOPS, NM_MAX_LOOPS - 1, "--threads");
    if (subs < 0) return NM_ERR_USAGE;
    int pool = NM_RUN_SIZE_BESIDE(s->cfg.pool, NM_POOL_WORKERS, subs, "--pool");
    if (pool < 0) return NM_ERR_USAGE;
    nm_session_handoff(s);
    nm_reactors r;
    nm_reactors_init(&r, subs, pool);
    return nm_reactors_run(s, &r);
}
