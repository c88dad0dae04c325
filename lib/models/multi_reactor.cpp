/* multi_reactor - one loop per thread. The main loop (the calling thread)
 * only accepts: each new connection is posted, round-robin, to one of N
 * sub-loops, each on its own thread, which adopts it and serves it on that
 * thread until it closes. Nothing about a connection is shared between
 * threads after the hand-over, so the request path takes no lock of its own.
 * --threads N sets the sub-loops (default: one per CPU). */
#include "../handoff/reactors.h"

int nm_model_multi_reactor(nm_server *s)
{
    int subs = NM_RUN_SIZE(s->cfg.threads, NM_SUB_LOOPS, NM_MAX_LOOPS - 1, "--threads");
    if (subs < 0) return NM_ERR_USAGE;
    nm_reactors r;
    nm_reactors_init(&r, subs, 0);
    return nm_reactors_run(s, &r);
}
