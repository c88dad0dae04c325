/* producer_consumer - producer threads (NM_PRODUCERS, each an event loop on
 * the shared listener, any poller) read requests: they cut one whole request
 * out of a connection's input and put it, parsed, with its connection, in a
 * bounded ring of jobs (mutex and condition variables, no heap). Consumer
 * threads (--threads) take jobs, run the handler, write the answer and send
 * the connection back to its producer for its next request. One request per
 * connection is in the ring at a time, so answers keep their order. A full
 * ring is backpressure: the producer waits for room, up to the queue wait
 * (queue_wait_ms) of a burst; past that, and with no job left, a counted
 * refusal: 503 and close. */
#include "../loop/blocking.h"
#include "../handoff/crew.h"
#include "../loop/loop.h"
#include "../handoff/job.h"
#include "../loop/accept.h"
#include "../session/session.h"
#include <errno.h>
#include <poll.h>

struct producer {
    nm_loop *l;
    nm_queue *ring;
    nm_room room;   /* a full ring: the producer waits (backpressure), then refuses */
};

struct producer_consumer {
    nm_server *s;
    nm_queue ring;
    producer prod[NM_PRODUCERS];
};

/* The producer a loop belongs to, for the loop's callbacks. */
static producer *producer_of(const nm_loop *l) { return (producer *)l->user; }

/* Do what the session answers for c; a whole request (NM_ACT_HANDOFF) is
 * cut here and put, parsed, in the ring. */
static void act(nm_loop *l, nm_conn *c, nm_action a)
{
    if (a.kind != NM_ACT_HANDOFF) {
        nm_loop_act(l, c, a);
        return;
    }
    nm_job *j = nm_job_get();
    if (!j) {
        nm_refuse(c->srv, c->fd);
        nm_loop_drop(l, c);
        return;
    }
    nm_session_next(c, &j->req);   /* the request the session found whole (its answer's buffer taken) */
    j->conn = c;
    producer *p = producer_of(l);
    nm_loop_send_away(l, c);
    nm_room_push push = { p->ring, j };
    if (!nm_room_wait(&p->room, c->srv, nm_room_pushed, &push)) {
        nm_job_put(j);
        c->lent = 0;
        nm_refuse(c->srv, c->fd);
        nm_loop_drop(l, c);
    }
}

/* Write, read, and put the next whole request in the ring. */
static void produce(nm_loop *l, nm_conn *c) { act(l, c, c->srv->drive->on(c, NM_ON_READY)); }

static void on_conn(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    produce(l, (nm_conn *)ctx);
}

static void on_listener(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_loop_accept(l);
}

/* A consumer sent the connection back: read on for its next request (or
 * close it, the session's way); want 0, its answer could not be written. */
static void back_home(nm_loop *l, nm_conn *c, int want)
{
    c->lent = 0;
    if (want) act(l, c, c->srv->drive->on(c, NM_ON_RETURNED));
    else nm_loop_drop(l, c);
}

/* The consumer writes the answer itself; a peer that takes nothing for the
 * write timeout (counted), or stalls for the drain time once stopping, is
 * dropped. A long answer that moves is never cut. */
static int write_out(nm_conn *c)
{
    uint64_t start = nm_now_ms();
    int r;
    while ((r = nm_session_flush(c)) == 0) {
        if (!nm_conn_timeout_ms(c)) {   /* this thread runs no loop: the clock is read now */
            nm_conn_count_timeout(c);
            return -1;
        }
        if (nm_stop_requested(c->srv) && nm_now_ms() - start > NM_DRAIN_TIMEOUT_MS) return -1;
        struct pollfd p = { c->fd, POLLOUT, 0 };
        poll(&p, 1, 100);
    }
    return r;
}

static void *consume(void *arg)
{
    producer_consumer *pc = (producer_consumer *)arg;
    for (nm_job *j; (j = (nm_job *)nm_queue_pop(&pc->ring));) {
        nm_conn *c = j->conn;
        nm_session_answer(c, &j->req);
        nm_job_put(j);
        nm_loop_return(c, write_out(c) > 0 ? NM_READ : 0);
    }
    return 0;
}

static void *run_producer(void *arg)
{
    nm_loop_run_until_drained(((producer *)arg)->l);
    return 0;
}

static int open_producers(producer_consumer *pc)
{
    nm_server *s = pc->s;
    for (int i = 0; i < NM_PRODUCERS; i++) {
        producer *p = &pc->prod[i];
        p->room.full_since = 0;
        p->ring = &pc->ring;
        p->l = nm_loop_open(s, s->port, s->cfg.edge_triggered);
        if (!p->l) return -1;
        p->l->user = p;
        p->l->conn_fn = on_conn;
        p->l->on_return = back_home;
        p->l->retry = produce;   /* (one sent away and back has no channel callback) */
        nm_loop_watch(p->l, s->listen_fd, NM_READ, on_listener, 0);
    }
    return 0;
}

int nm_model_producer_consumer(nm_server *s)
{
    int n = NM_RUN_SIZE(s->cfg.threads, NM_DEFAULT_THREADS, NM_MAX_THREADS - NM_PRODUCERS + 1, "--threads");
    if (n < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_loop_pool, NM_PRODUCERS }, { &nm_crew_pool, 2 },
                                   { &nm_stack_pool, (unsigned)(n + NM_PRODUCERS - 1) } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    nm_session_handoff(s);
    producer_consumer pc;
    pc.s = s;
    for (int i = 0; i < NM_PRODUCERS; i++) pc.prod[i].l = 0;
    nm_queue_init(&pc.ring, NM_JOB_RING);
    nm_crew *producers = nm_crew_open(), *consumers = nm_crew_open();
    int rc = producers && consumers && !open_producers(&pc) ? NM_OK : NM_ERR_SYSTEM;
    for (int i = 0; i < n && rc == NM_OK; i++)
        if (nm_crew_start(consumers, "nm-consumer", consume, &pc)) rc = NM_ERR_SYSTEM;
    /* the caller's thread is producer 0 */
    for (int i = 1; i < NM_PRODUCERS && rc == NM_OK; i++)
        if (nm_crew_start(producers, "nm-producer", run_producer, &pc.prod[i])) rc = NM_ERR_SYSTEM;
    if (rc == NM_OK) nm_announce(s);
    else nm_server_stop(s);
    if (pc.prod[0].l) run_producer(&pc.prod[0]);
    if (producers) nm_crew_close(producers, 0);
    nm_queue_close(&pc.ring);   /* every connection came back: the ring is empty */
    if (consumers) nm_crew_close(consumers, 0);
    for (int i = 0; i < NM_PRODUCERS; i++)
        if (pc.prod[i].l) nm_loop_close(pc.prod[i].l);
    nm_queue_destroy(&pc.ring);
    return rc;
}
