/* thread_per_conn - the caller's thread accepts; every connection gets a
 * thread of its own, on a stack from the static pool, that serves it with
 * blocking I/O and ends. At most --threads (NM_MAX_THREADS, the stack pool)
 * run at once. A burst past that waits up to the queue wait (queue_wait_ms)
 * for a thread to end; once the pool has stayed full that long, each further
 * connection is answered 503 at once until a thread ends: never a stack from
 * the heap.
 * At the cap, a thread whose connection goes idle while a client waits
 * gives it up (lib/loop/blocking.h). */
#include "../handoff/acceptor.h"
#include "../handoff/crew.h"

struct tpc {
    nm_crew *k;
    int cap;
    nm_acceptor a;
};

/* s->clients_wait: at the cap, a connection waits for a thread (the one the
 * acceptor holds, or the backlog's) */
static int at_cap_and_waiting(const nm_server *s)
{
    tpc *t = (tpc *)s->clients_wait_arg;
    if (nm_acceptor_waiting(&t->a)) return 1;
    return nm_crew_running(t->k) >= t->cap && nm_listener_pending(s);
}

static void *serve(void *arg)
{
    nm_blocking_serve((nm_conn *)arg);
    return 0;
}

/* The acceptor's place: a thread of its own, once one runs below the cap */
static int own_thread(void *arg, nm_conn *c, uint64_t until)
{
    tpc *t = (tpc *)arg;
    if (!nm_crew_wait_below(t->k, t->cap, until)) return 0;
    return nm_crew_start(t->k, "nm-conn", serve, c) ? -1 : 1;
}

int nm_model_thread_per_conn(nm_server *s)
{
    int cap = NM_RUN_SIZE(s->cfg.threads, NM_MAX_THREADS, NM_MAX_THREADS, "--threads");
    if (cap < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_crew_pool, 1 } };   /* its threads come and go */
    if (nm_reserve(s, need, 1)) return NM_ERR_USAGE;
    nm_crew *k = nm_crew_open();
    if (!k) return NM_ERR_SYSTEM;
    tpc t = { k, cap, { own_thread, 0, 0, 0 } };
    t.a.arg = &t;
    /* cppcheck-suppress autoVariables ; cleared before this frame returns */
    s->clients_wait_arg = &t;
    s->clients_wait = at_cap_and_waiting;
    nm_accept_loop(s, &t.a);
    nm_crew_close(k, s);
    s->clients_wait = 0;
    s->clients_wait_arg = 0;
    return NM_OK;
}
