/* half_sync_half_async - two layers joined by bounded queues.
 *
 * The async layer is one event loop (any port) that does all socket I/O:
 * accept, read until a request is whole, write answers. The sync layer is a
 * set of worker threads written blocking-style: take a connection from the
 * request queue (sleeping while it is empty), run the handler, put the
 * connection on the loop's return queue. A full request queue is
 * backpressure: the connection waits in the loop's queue, its request
 * buffered, until there is room (loop.h: nm_loop_queue). */
#include "../handoff/offload.h"
#include "../base/thread.h"
#include "../session/session.h"

struct hsha {
    nm_offload async;
    nm_queue requests;
};

static int to_sync_layer(nm_offload *o, nm_conn *c)
{
    return nm_queue_try_push_quiet(&((hsha *)o->ctx)->requests, c);
}

static void wake_sync_layer(nm_offload *o) { nm_queue_wake(&((hsha *)o->ctx)->requests); }

static void *sync_worker(void *arg)
{
    hsha *h = (hsha *)arg;
    nm_thread_name("nm-sync");
    for (void *c; (c = nm_queue_pop(&h->requests));) nm_lend_work(c);
    return 0;
}

int nm_model_half_sync_half_async(nm_server *s)
{
    /* the server's, on nm_run's stack (about 3 KiB: a queue and the threads) */
    hsha h;
    nm_thread workers[NM_MAX_THREADS];
    int want = NM_RUN_SIZE(s->cfg.threads, NM_HSHA_WORKERS, NM_MAX_THREADS, "--threads");
    if (want < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_loop_pool, 1 }, { &nm_loop_thread_pool, 1 }, { &nm_stack_pool, (unsigned)want } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    nm_session_handoff(s);
    if (nm_offload_open(&h.async, s, to_sync_layer, &h)) return NM_ERR_SYSTEM;
    nm_queue_init(&h.requests, 0);
    h.async.after_round = wake_sync_layer;
    int n = 0;
    while (n < want && nm_thread_start(&workers[n], sync_worker, &h) == 0) n++;
    if (n) while (!nm_offload_turn(&h.async)) {}
    nm_queue_close(&h.requests);
    for (int i = 0; i < n; i++) nm_thread_join(&workers[i]);
    nm_queue_destroy(&h.requests);
    nm_offload_close(&h.async);
    return n ? NM_OK : NM_ERR_SYSTEM;
}
