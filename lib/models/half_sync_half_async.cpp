/* half_sync_half_async - two layers joined by bounded queues.
 *
 * The async layer is one event loop (any port) that does all socket I/O:
 * accept, read until a request is whole, write answers. The sync layer is a
 * set of worker threads written blocking-style: take a connection from the
 * request queue (sleeping while it is empty), run the handler, put the
 * connection on the loop's return queue. A full request queue is
 * backpressure: the connection waits in the loop's queue, its request
 * buffered, until there is room (loop.h: nm_loop_queue). The layers are
 * handoff's: offload.h (with lend.h) and workers.h; this file wires them. */
#include "../handoff/offload.h"
#include "../handoff/workers.h"
#include "../session/session.h"

struct hsha {
    nm_offload async;
    nm_workers sync;   /* the request queue and its threads */
};

static int to_sync_layer(nm_offload *o, nm_conn *c) { return nm_workers_try_submit(&((hsha *)o->ctx)->sync, c); }
static void wake_sync_layer(nm_offload *o) { nm_workers_wake(&((hsha *)o->ctx)->sync); }

int nm_model_half_sync_half_async(nm_server *s)
{
    /* the server's, on nm_run's stack (about 3 KiB: a queue and the threads) */
    hsha h;
    int want = NM_RUN_SIZE(s->cfg.threads, NM_HSHA_WORKERS, NM_MAX_THREADS, "--threads");
    if (want < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_loop_pool, 1 }, { &nm_loop_thread_pool, 1 }, { &nm_stack_pool, (unsigned)want } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    nm_session_handoff(s);
    if (nm_offload_open(&h.async, s, to_sync_layer, &h)) return NM_ERR_SYSTEM;
    h.async.after_round = wake_sync_layer;
    int started = !nm_workers_start(&h.sync, want, nm_lend_work, "nm-sync", 0);
    if (started) {
        while (!nm_offload_turn(&h.async)) {}
        nm_workers_stop(&h.sync);
    }
    nm_offload_close(&h.async);
    return started ? NM_OK : NM_ERR_SYSTEM;
}
