/* hybrid - processes x sub-loops x workers. N processes share the listener
 * as in process_pool_reactors; in each, a main loop accepts and hands
 * connections to sub-loops that own their I/O, and a worker pool runs the
 * handlers, as in multi_reactor_worker_pool. Each dimension is an option:
 * --workers N processes (default: one per CPU), --threads N sub-loops per
 * process (default 1), --pool N handler threads per process (default 2). */
#include "../core/reactors.h"
#include "../core/procs.h"

static nm_reactors plan;   /* set before the fork, read by every child */

static int serve_in_child(nm_server *s, int index)
{
    plan.proc_index = index;
    return nm_reactors_run(s, &plan);
}

int nm_model_hybrid(nm_server *s)
{
    int subs = nm_option(s->cfg.threads, 1, NM_MAX_LOOPS - 1);
    nm_reactors_init(&plan, subs, nm_option(s->cfg.pool, 2, NM_MAX_THREADS - subs));
    return nm_procs_serve(s, nm_option(s->cfg.workers, nm_cpu_count(NM_MAX_PROCS), NM_MAX_PROCS), serve_in_child);
}
