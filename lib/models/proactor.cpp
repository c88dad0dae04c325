/* proactor - completion-based: the model submits operations (accept, wait
 * for input, receive, send) and runs a handler when each completes; it never
 * asks whether a socket is ready. The operations run on io_uring where the
 * kernel has it, or on an emulation over the chosen port (core/proactor.h);
 * nm_config.proactor / --proactor chooses, "auto" by default, and "io_uring"
 * in /stats says which one runs (1 or 0).
 *
 * Per connection, one operation is in flight: WAIT (no buffer while idle)
 * -> RECV -> answer what is whole -> SEND until the queue is empty -> again.
 * A timeout or the drain deadline shuts the socket down, which completes
 * the operation in flight; a connection is closed only when nothing of it
 * is in the kernel's hands. */
#include "../core/accept.h"
#include "../core/mstat.h"
#include "../core/proactor.h"
#include "../session.h"
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

static nm_proactor engine;
static int live, draining;

static void finish(nm_proactor *p, nm_conn *c)
{
    nm_wheel_del(&p->loop->wheel, &c->timer);
    nm_loop_watch(p->loop, c->fd, 0, 0, 0);
    nm_conn_close(c);
    live--;
}

static void submit(nm_proactor *p, nm_conn *c, int op)
{
    if (nm_proactor_submit(p, c, op)) {
        nm_count(c->srv, NM_C_REFUSED);   /* no room left in the rings */
        finish(p, c);
        return;
    }
    nm_wheel_add(&p->loop->wheel, &c->timer, p->loop->now, nm_session_timeout_ms(c));
}

/* After any completion on c: answer what is whole, then the next operation. */
static void proceed(nm_proactor *p, nm_conn *c)
{
    nm_request req;
    while (!(c->flags & NM_CF_DEAD) && nm_session_can_answer(c) && nm_session_next(c, &req) > 0)
        nm_session_answer(c, &req);
    if (c->flags & NM_CF_DEAD) finish(p, c);
    else if (c->out_count) submit(p, c, NM_OP_SEND);
    else if (c->flags & (NM_CF_CLOSE_AFTER | NM_CF_READ_EOF)) finish(p, c);
    else if (draining && !c->in_len) finish(p, c);
    else if (c->in_len >= NM_BUF_SIZE) finish(p, c);
    else submit(p, c, c->in ? NM_OP_RECV : NM_OP_WAIT);
}

static void on_timeout(nm_timer *t)
{
    nm_conn *c = NM_CONTAINER_OF(t, nm_conn, timer);
    nm_count(c->srv, NM_C_TIMEOUTS);
    c->flags |= NM_CF_DEAD;
    shutdown(c->fd, SHUT_RDWR);   /* completes the operation in flight */
}

static void start(nm_conn *c, void *ctx)
{
    nm_proactor *p = (nm_proactor *)ctx;
    c->owner = p;
    nm_timer_init(&c->timer, on_timeout);
    live++;
    submit(p, c, NM_OP_WAIT);
}

static void accepted(nm_proactor *p)
{
    /* io_uring works on blocking sockets; the emulation on non-blocking ones */
    nm_accept_each(p->loop->srv, !p->uring, start, p);
    if (!draining) nm_proactor_submit(p, 0, NM_OP_ACCEPT);
}

static void completed(nm_proactor *p, nm_conn *c, int op, int result)
{
    switch (op) {
    case NM_OP_ACCEPT:
        if (result >= 0) accepted(p);
        return;
    case NM_OP_WAIT:
        if (result < 0) c->flags |= NM_CF_DEAD;
        else if (!c->in && (c->in = nm_buf_get()) != 0) c->in_len = c->in_scan = 0;
        else if (!c->in) nm_session_refuse(c);   /* no buffer: refused, counted */
        if (!(c->flags & NM_CF_DEAD)) {
            submit(p, c, NM_OP_RECV);
            return;
        }
        break;
    case NM_OP_RECV:
        if (result > 0) c->in_len += (uint32_t)result;
        else if (result == 0) c->flags |= NM_CF_READ_EOF;
        else {
            if (result != -ECONNRESET && !(c->flags & NM_CF_DEAD)) nm_count(c->srv, NM_C_ERRORS);
            c->flags |= NM_CF_DEAD;
        }
        if (!c->in_len && c->in) {   /* an idle connection holds no buffer */
            nm_buf_put(c->in);
            c->in = 0;
        }
        break;
    case NM_OP_SEND:
        if (result >= 0) {
            nm_session_sent(c, (size_t)result);
        } else {
            if (result != -EPIPE && result != -ECONNRESET && !(c->flags & NM_CF_DEAD)) nm_count(c->srv, NM_C_ERRORS);
            c->flags |= NM_CF_DEAD;
        }
        break;
    }
    proceed(p, c);
}

/* A stop: no more accepting; idle connections are woken to finish now
 * (shutting down their read side completes their WAIT), the rest at the
 * drain deadline. */
static void shut(const nm_proactor *p, int everything)
{
    for (int fd = 0; fd < NM_MAX_FDS && live; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || c->owner != p) continue;
        if (everything) shutdown(fd, SHUT_RDWR);
        else if (nm_proactor_pending(c) == NM_OP_WAIT) shutdown(fd, SHUT_RD);
    }
}

int nm_model_proactor(nm_server *s)
{
    unsigned long *uring = nm_mstat("io_uring");
    nm_proactor *p = &engine;
    if (nm_proactor_open(p, s, s->cfg.proactor, completed)) {
        dprintf(2, "netmodels: proactor: %s\n", s->cfg.proactor ? "io_uring is not available here" : "cannot open a loop");
        return NM_ERR_SYSTEM;
    }
    nm_mstat_set(uring, (unsigned long)p->uring);
    live = 0;
    draining = 0;
    uint64_t deadline = 0;
    int hard = 0;
    nm_proactor_submit(p, 0, NM_OP_ACCEPT);
    for (;;) {
        nm_proactor_turn(p);
        nm_wheel_advance(&p->loop->wheel, p->loop->now);
        if (!draining && nm_stop_requested(s)) {
            draining = 1;
            deadline = p->loop->now + NM_DRAIN_TIMEOUT_MS;
            nm_proactor_cancel_accept(p);
            shut(p, 0);
        }
        if (draining && !hard && p->loop->now >= deadline) {
            hard = 1;
            shut(p, 1);
        }
        if (draining && !live && !p->accept_pending && (!p->uring || !p->ring.inflight)) break;
    }
    nm_proactor_close(p);
    return NM_OK;
}
