/* fiber - one scheduler thread, and a stackful fiber (fiber/fiber.h, stacks
 * from a static pool) for each connection that has something to do. The
 * session in a fiber is written blocking-style: read a request, answer it,
 * write it all, again. Its read and write park the fiber when the socket
 * says EAGAIN: the fiber records what it waits for and switches to the
 * scheduler, which waits on the port (any poller) and resumes each fiber
 * whose fd is ready. A timeout or a stop marks the connection dead and
 * resumes the fiber, which unwinds.
 *
 * A connection with nothing buffered and nothing to send needs no stack:
 * its fiber ends there and goes back to the pool, and the connection waits
 * in the loop as any idle one does, until its next bytes start a fiber
 * again. So idle keep-alive connections cost a slot, not a stack, and the
 * pool bounds the connections being served at once. No fiber left for
 * one: it waits in the loop's queue for one (loop.h: nm_loop_queue), its
 * bytes in the kernel; a fiber that overflowed its stack
 * is abandoned and its connection dropped. */
#include "../loop/accept.h"
#include "../fiber/fiber.h"
#include "../loop/loop.h"
#include "../base/mstat.h"
#include "../session/session.h"
#include "../loop/pause.h"

/* The server's counters, named once; on nm_run's stack, the loop's `user`. */
struct fiber_stats {
    unsigned long *live, *overflows;
};

static fiber_stats *stats_of(const nm_loop *l) { return (fiber_stats *)l->user; }

/* ---- inside a fiber ---------------------------------------------------- */

static int parked_until(int want, nm_conn *c)
{
    nm_fiber *self = (nm_fiber *)((nm_loop *)c->owner)->ch[c->fd].ctx;
    self->want = (uint8_t)want;
    nm_fiber_yield(self);
    return (c->flags & NM_CF_DEAD) ? -1 : 0;
}

/* A read that waits: 1 bytes came, -1 EOF, error, timeout or stop. */
static int read_some(nm_conn *c)
{
    int r;
    while ((r = nm_session_fill(c)) == 0)   /* no buffer for it: it waits in the loop's queue */
        if (parked_until(nm_session_read_want(c), c)) return -1;
    return r;
}

/* A request, read as long as it takes: 1, -1 refused (its answer is
 * queued), or 0 when the peer is gone. */
static int read_request(nm_conn *c, nm_request *req)
{
    int r;
    while ((r = nm_session_next(c, req)) == 0) {
        if (nm_session_next_io(c) == NM_IO_PARK) {   /* its body paused: back here once resumed */
            if (parked_until(NM_PARK, c)) return 0;
            continue;
        }
        if (c->flags & (NM_CF_READ_EOF | NM_CF_DEAD)) return 0;
        read_some(c);   /* its failures set the flags looked at above */
    }
    return r;
}

static int write_all(nm_conn *c)
{
    int r;
    while ((r = nm_session_flush(c)) == 0)
        if (parked_until(NM_WRITE, c)) return -1;
    return r;
}

/* Ends when the connection is finished, or idle: every request answered
 * and written, no byte of another buffered (the scheduler tells which). */
static void session(void *arg)
{
    nm_conn *c = (nm_conn *)arg;
    nm_request req;
    do {
        int r = read_request(c, &req);
        if (r == 0) return;
        if (r > 0) {
            while (nm_session_answer_buffer(c))   /* none for its answer: it waits in the loop's queue */
                if (parked_until(NM_QUEUE, c)) return;
            nm_session_answer(c, &req);
        }
        if (write_all(c) < 0) return;
        if (c->flags & (NM_CF_CLOSE_AFTER | NM_CF_DEAD)) {
            while (nm_session_linger(c) && !parked_until(NM_READ, c)) {
            }
            return;
        }
    } while (c->in_len || nm_session_next_io(c) == NM_IO_PARK);   /* a paused body is not idle */
}

/* ---- the scheduler ----------------------------------------------------- */

static void on_ready(nm_loop *l, int fd, int mask, void *ctx);
static void on_timeout(nm_timer *t);

static int idle(const nm_conn *c)
{
    return !(c->flags & (NM_CF_CLOSE_AFTER | NM_CF_READ_EOF | NM_CF_DEAD)) && !c->in_len && !c->out_count;
}

static void run(nm_loop *l, nm_fiber *f)
{
    nm_conn *c = (nm_conn *)f->arg;
    int alive = nm_fiber_resume(f);
    if (alive > 0 && f->want == NM_PARK) {
        nm_loop_park(l, c);   /* watch nothing, no timer; the resume runs it again (unpark) */
        return;
    }
    if (alive > 0 && f->want == NM_QUEUE) {
        nm_loop_queue(l, c);   /* the retry runs it again (its channel: on_ready) */
        return;
    }
    if (alive > 0) {
        nm_wheel_add(&l->wheel, &c->timer, l->now, nm_conn_timeout_ms(c));
        if (f->want == l->ch[c->fd].mask || nm_loop_watch(l, c->fd, f->want, on_ready, f) == 0) return;
        c->flags |= NM_CF_DEAD;   /* the port refused it: unwind the fiber */
        alive = nm_fiber_resume(f);
    }
    if (alive < 0) nm_mstat_set(stats_of(l)->overflows, nm_fiber_overflows());
    nm_fiber_release(f);
    nm_mstat_add(stats_of(l)->live, (unsigned long)-1);
    if (alive == 0 && idle(c) && !l->draining && nm_loop_watch(l, c->fd, NM_READ, l->conn_fn, c) == 0) {
        /* back in the loop's hands: its timeout, its drain */
        c->flags &= (uint8_t)~NM_CF_BUSY;
        c->timer.fn = nm_loop_conn_timeout;
        nm_wheel_add(&l->wheel, &c->timer, l->now, nm_conn_timeout_ms(c));
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
    nm_wheel_del(&l->wheel, &c->timer);
    if (c->flags & NM_CF_DEAD) {   /* refused while it waited for a fiber */
        nm_loop_drop(l, c);
        return;
    }
    nm_fiber *f = nm_fiber_create(session, c);
    if (!f) {   /* every fiber serves a connection: it waits for one, its bytes in the kernel */
        nm_loop_queue(l, c);
        return;
    }
    /* the fiber owns the connection's life: the loop's drain leaves it alone */
    c->flags |= NM_CF_BUSY;
    c->flags &= (uint8_t)~NM_CF_DRAINED;   /* the port just said there are bytes */
    c->timer.fn = on_timeout;
    nm_loop_watch(l, c->fd, NM_READ, on_ready, f);
    nm_mstat_add(stats_of(l)->live, 1);
    run(l, f);
}

static void on_ready(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    run(l, (nm_fiber *)ctx);
}

static void end_fiber(nm_loop *l, nm_conn *c)
{
    c->flags |= NM_CF_DEAD;
    run(l, (nm_fiber *)l->ch[c->fd].ctx);
}

static void on_timeout(nm_timer *t)
{
    nm_conn *c = NM_CONTAINER_OF(t, nm_conn, timer);
    nm_conn_count_timeout(c);
    end_fiber((nm_loop *)c->owner, c);
}

/* A paused body resumed: its fiber runs on (its timer is the fiber's). */
static void unpark(nm_loop *l, nm_conn *c)
{
    c->timer.fn = on_timeout;
    run(l, (nm_fiber *)l->ch[c->fd].ctx);
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
            end_fiber(l, c);
    }
}

int nm_model_fiber(nm_server *s)
{
    fiber_stats stats = { nm_mstat(&s->model_stats, "fibers"), nm_mstat(&s->model_stats, "fiber_overflows") };
    nm_loop *l = nm_loop_open(s, s->port, 0);
    if (!l) return NM_ERR_SYSTEM;
    l->user = &stats;
    l->conn_fn = begin;
    l->unpark = unpark;
    nm_loop_watch(l, s->listen_fd, NM_READ, on_listener, 0);
    for (;;) {
        nm_loop_dispatch(l, nm_loop_wait(l));
        if (nm_loop_tick(l)) break;
        if (l->draining) stop_fibers(l);
        if (l->draining && !l->live) break;   /* without waiting another round */
    }
    nm_loop_close(l);
    return NM_OK;
}
