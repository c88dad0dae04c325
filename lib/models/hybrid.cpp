/* hybrid - processes x sub-loops x workers. N processes share the listener
 * as in process_pool_reactors; in each, a main loop accepts and hands
 * connections to sub-loops that own their I/O, and a worker pool runs the
 * handlers, as in multi_reactor_worker_pool. Each dimension is an option:
 * --workers N processes (default: one per CPU), --threads N sub-loops per
 * process (default 1), --pool N handler threads per process (default 2). */
#include "../handoff/reactors.h"
#include "../session/session.h"

int nm_model_hybrid(nm_server *s)
{
    int subs = NM_RUN_SIZE(s->cfg.threads, NM_HYBRID_LOOPS, NM_MAX_LOOPS - 1, "--threads");
    if (subs < 0) return NM_ERR_USAGE;
    int pool = NM_RUN_SIZE_BESIDE(s->cfg.pool, NM_HYBRID_POOL, subs, "--pool");
    if (pool < 0) return NM_ERR_USAGE;
    int procs = NM_RUN_SIZE(s->cfg.workers, NM_REACTOR_PROCS, NM_MAX_WORKERS, "--workers");
    if (procs < 0) return NM_ERR_USAGE;
    nm_session_handoff(s);
    nm_reactors r;
    nm_reactors_init(&r, subs, pool);
    return nm_reactors_in_processes(s, procs, &r);
}
