/* thread_pool - a fixed crew of --threads workers, started up front, takes
 * accepted connections from a bounded queue (mutex and condition variables
 * over a fixed ring) and serves each with blocking I/O until it ends. The
 * caller's thread only accepts. A full queue is backpressure: the acceptor
 * waits for a place up to the queue wait (queue_wait_ms), the backlog holding
 * the connections behind it; past that the connection is answered 503 and
 * closed, counted as refused, and so is each one after it until a place
 * frees; nothing grows. While
 * connections wait in the queue, a worker gives up one that goes idle
 * (lib/loop/blocking.h). The accepting is handoff/acceptor.h's. */
#include "../handoff/acceptor.h"
#include "../handoff/crew.h"
#include "../base/queue.h"

/* s->clients_wait: connections in the queue wait for a worker */
static int queued(const nm_server *s) { return nm_queue_count((nm_queue *)s->clients_wait_arg) > 0; }

/* The acceptor's place: a place in the queue */
static int to_queue(void *q, nm_conn *c, uint64_t until) { return !nm_queue_push_until((nm_queue *)q, c, until); }

static void *worker(void *arg)
{
    nm_queue *q = (nm_queue *)arg;
    for (nm_conn *c; (c = (nm_conn *)nm_queue_pop(q));) nm_blocking_serve(c);
    return 0;
}

int nm_model_thread_pool(nm_server *s)
{
    int n = NM_RUN_SIZE(s->cfg.threads, NM_DEFAULT_THREADS, NM_MAX_THREADS, "--threads");
    if (n < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_stack_pool, (unsigned)n }, { &nm_crew_pool, 1 } };
    if (nm_reserve(s, need, 2)) return NM_ERR_USAGE;
    nm_crew *k = nm_crew_open();
    if (!k) return NM_ERR_SYSTEM;
    nm_queue q;
    nm_queue_init(&q, 0);
    /* cppcheck-suppress autoVariables ; cleared before this frame returns */
    s->clients_wait_arg = &q;
    s->clients_wait = queued;
    int rc = NM_OK;
    for (int i = 0; i < n && rc == NM_OK; i++)
        if (nm_crew_start(k, "nm-worker", worker, &q)) rc = NM_ERR_SYSTEM;
    nm_acceptor a = { to_queue, &q, 0, 0 };
    if (rc == NM_OK) nm_accept_loop(s, &a);
    nm_queue_close(&q);   /* workers serve what is queued, then return */
    nm_crew_close(k, s);
    s->clients_wait = 0;
    s->clients_wait_arg = 0;
    nm_queue_destroy(&q);
    return rc;
}
