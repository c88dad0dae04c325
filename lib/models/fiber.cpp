/* fiber - one scheduler thread, and a stackful fiber (fiber/fiber.h, stacks
 * from a static pool) for each connection that has something to do. The
 * fiber drives the connection's session (session.h: nm_session_on), so
 * handlers run on its stack: it hands the session the event it was resumed
 * with and does what the session answers. A WAIT records what the fiber
 * waits for and its deadline, and switches to the scheduler, which waits on
 * the port (any poller) and resumes each fiber whose fd is ready
 * (NM_ON_READY), whose deadline passed (NM_ON_TIMEOUT) or whose server
 * stops (NM_ON_STOP); a PARK parks it until its body is resumed, a QUEUE
 * waits in the loop's queue for a buffer; a CLOSE ends the fiber.
 *
 * A connection with nothing buffered and nothing to send needs no stack:
 * when the session answers a WAIT for reading then, its fiber ends and goes
 * back to the pool, and the connection waits in the loop as any idle one
 * does, until its next bytes start a fiber again. So idle keep-alive
 * connections cost a slot, not a stack, and the pool bounds the
 * connections being served at once. No fiber left for one: it waits in the
 * loop's queue for one (loop.h: nm_loop_queue), its bytes in the kernel; a
 * fiber that overflowed its stack is abandoned and its connection dropped. */
#include "../loop/accept.h"
#include "../fiber/fiber.h"
#include "../loop/loop.h"
#include "../base/mstat.h"
#include "../session/session.h"
#include "../session/transport.h"
#include "../loop/pause.h"

/* The server's counters, named once; on nm_run's stack, the loop's `user`. */
struct fiber_stats {
    unsigned long *live, *overflows;
};

static fiber_stats *stats_of(const nm_loop *l) { return (fiber_stats *)l->user; }

/* ---- inside a fiber ---------------------------------------------------- */

/* Waiting for the client's next request with nothing buffered and nothing
 * owed: no stack needed, the loop keeps the connection. */
static int idle(const nm_conn *c, nm_action a)
{
    return a.kind == NM_ACT_WAIT && a.io == NM_READ && !(c->flags & (NM_CF_CLOSE_AFTER | NM_CF_READ_EOF | NM_CF_DEAD)) &&
           !c->in_len && !c->out_count && !c->body_mode;
}

static void on_timeout(nm_timer *t);

/* The connection's driver: the event the scheduler resumed it with goes to
 * the session, and the fiber does what the session answers. It ends when
 * the connection is finished (want 0) or idle (want NM_READ, its deadline
 * armed). */
static void session(void *arg)
{
    nm_conn *c = (nm_conn *)arg;
    nm_loop *l = (nm_loop *)c->owner;
    nm_fiber *self = (nm_fiber *)l->ch[c->fd].ctx;
    for (;;) {
        nm_action a = nm_session_on(c, self->event);
        if (a.kind == NM_ACT_CLOSE) {
            self->want = 0;
            return;
        }
        if (a.kind == NM_ACT_WAIT) nm_conn_arm(&l->wheel, c, l->now, a.deadline, on_timeout);
        self->want = a.kind == NM_ACT_WAIT ? a.io : a.kind == NM_ACT_PARK ? (uint8_t)NM_PARK : (uint8_t)NM_QUEUE;
        if (idle(c, a)) return;
        nm_fiber_yield(self);
    }
}

/* ---- the scheduler ----------------------------------------------------- */

static void on_ready(nm_loop *l, int fd, int mask, void *ctx);

/* Resume f with `event` and do what it then waits for. */
static void run(nm_loop *l, nm_fiber *f, int event)
{
    nm_conn *c = (nm_conn *)f->arg;
    f->event = (uint8_t)event;
    int alive = nm_fiber_resume(f);
    if (alive > 0 && f->want == NM_PARK) {
        nm_loop_park(l, c);   /* watch nothing, no timer; the resume runs it again (unpark) */
        return;
    }
    if (alive > 0 && f->want == NM_QUEUE) {
        nm_loop_queue(l, c);   /* the retry runs it again (its channel: on_ready) */
        return;
    }
    if (alive > 0) {   /* a WAIT, its deadline armed */
        if (f->want == l->ch[c->fd].mask || nm_loop_watch(l, c->fd, f->want, on_ready, f) == 0) return;
        c->flags |= NM_CF_DEAD;   /* the port refused it: the fiber closes it */
        run(l, f, NM_ON_STOP);
        return;
    }
    if (alive < 0) nm_mstat_set(stats_of(l)->overflows, nm_fiber_overflows());
    int kept = alive == 0 && f->want == NM_READ;   /* idle: the loop keeps it */
    nm_fiber_release(f);
    nm_mstat_add(stats_of(l)->live, (unsigned long)-1);
    if (kept && !l->draining && nm_loop_watch(l, c->fd, NM_READ, l->conn_fn, c) == 0) {
        /* back in the loop's hands: its timeout (armed), its drain */
        c->lent = 0;
        c->timer.fn = nm_loop_conn_timeout;
        return;
    }
    nm_loop_drop(l, c);
}

/* An idle connection has bytes to read: a fiber for it, for as long as it
 * has something to do. */
static void begin(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_conn *c = (nm_conn *)ctx;
    nm_conn_disarm(&l->wheel, c);
    if (c->flags & NM_CF_DEAD) {   /* refused while it waited for a fiber */
        nm_loop_drop(l, c);
        return;
    }
    nm_fiber *f = nm_fiber_create(session, c);
    if (!f) {   /* every fiber serves a connection: it waits for one, its bytes in the kernel */
        nm_loop_queue(l, c);
        return;
    }
    /* the fiber owns the connection's life: the loop's drain leaves it
     * alone (as it does one lent away) */
    c->lent = 1;
    c->flags &= (uint8_t)~NM_CF_DRAINED;   /* the port just said there are bytes */
    nm_loop_watch(l, c->fd, NM_READ, on_ready, f);
    nm_mstat_add(stats_of(l)->live, 1);
    run(l, f, NM_ON_READY);
}

static nm_fiber *fiber_of(nm_loop *l, const nm_conn *c) { return (nm_fiber *)l->ch[c->fd].ctx; }

static void on_ready(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    run(l, (nm_fiber *)ctx, NM_ON_READY);
}

static void on_timeout(nm_timer *t)
{
    nm_conn *c = nm_conn_of_timer(t);
    nm_loop *l = (nm_loop *)c->owner;
    run(l, fiber_of(l, c), NM_ON_TIMEOUT);
}

/* A paused body resumed: its fiber runs on (arming its deadline, to call on_timeout). */
static void unpark(nm_loop *l, nm_conn *c)
{
    run(l, fiber_of(l, c), NM_ON_READY);
}

static void start(nm_conn *c, void *ctx)
{
    nm_loop *l = (nm_loop *)ctx;
    if (nm_loop_adopt(l, c) == 0) begin(l, c->fd, NM_READ, c);   /* its request is often there already */
}

static void on_listener(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_accept_each(l->srv, 1, start, l);
}

/* Stopping: connections without a fiber are the loop's to drop; fibers
 * with nothing in hand end now, the others once the drain time is up. */
static void stop_fibers(nm_loop *l)
{
    int late = l->now >= l->drain_deadline;
    for (int fd = 0; fd < NM_MAX_FDS && l->live; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (c && c->owner == l && (l->ch[fd].fn == on_ready || nm_paused(c)) && (late || (!c->in_len && !c->out_count)) &&
            nm_pause_may_drop(c))
            run(l, fiber_of(l, c), NM_ON_STOP);
    }
}

int nm_model_fiber(nm_server *s)
{
    /* a record layer whose calls take more stack than a fiber leaves them:
     * refused before it announces (transport.h) */
    if (s->cfg.transport && nm_transport_fibers_refused && nm_transport_fibers_refused(&s->cfg, "fiber")) return NM_ERR_USAGE;
    fiber_stats stats = { nm_mstat(&s->model_stats, "fibers"), nm_mstat(&s->model_stats, "fiber_overflows") };
    nm_loop *l = nm_loop_open(s, s->port, 0);
    if (!l) return NM_ERR_SYSTEM;
    l->user = &stats;
    l->conn_fn = begin;
    l->unpark = unpark;
    nm_loop_watch(l, s->listen_fd, NM_READ, on_listener, 0);
    nm_announce(s);
    for (;;) {
        nm_loop_dispatch(l, nm_loop_wait(l));
        if (nm_loop_tick(l)) break;
        if (l->draining) stop_fibers(l);
        if (l->draining && !l->live) break;   /* without waiting another round */
    }
    nm_loop_close(l);
    return NM_OK;
}
