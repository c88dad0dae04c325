/* engine.cpp - the completion driver: submit an operation for what the
 * session asks (its actions), hand the session what completed (its events).
 *
 * Per connection, one operation is in flight: WAIT (no buffer while idle)
 * -> RECV -> what is whole is answered -> SEND until the queue is empty ->
 * again. The session says which (nm_completion_ops.done: SUBMIT io NM_READ
 * or NM_WRITE, PARK, QUEUE, CLOSE); which operation carries a receive is
 * the driver's: a RECV into the buffer the session lent, else a WAIT, and
 * with the multishot receive armed always a WAIT, served by what it brings
 * (the receive queue, below). A timeout or the drain deadline shuts the
 * socket down, which completes the operation in flight; a connection is
 * closed only when nothing of it is in the kernel's hands: with its
 * multishot receive armed, at that receive's last completion.
 *
 * With a transport of its own between the socket and the session (moved),
 * the kernel only says when the socket is readable or writable, and the
 * bytes go through the transport (ops->move) into the connection's own
 * buffer, without the provided-buffer ring; while the transport holds
 * plaintext, nothing waits for the socket. */
#include "proactor.h"
#include "../loop/accept.h"
#include "../loop/pause.h"
#include "../base/mstat.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

namespace {

void on_timeout(nm_timer *t);

struct engine {
    nm_proactor p;   /* first: the engine's callbacks hand back &p */
    int live, draining;
};

engine *engine_of(nm_proactor *p) { return (engine *)p; }
nm_proactor *proactor_of(const nm_conn *c) { return (nm_proactor *)nm_conn_owner(c); }

void finish(nm_proactor *p, nm_conn *c)
{
    nm_loop_unqueue(c);
    nm_conn_disarm(&p->loop->wheel, c);
    if (nm_proactor_armed(c)) {   /* its receive is in the kernel's hands: ended first, closed at its last completion */
        c->flags |= NM_CF_DEAD;
        nm_proactor_closing(c);
        shutdown(c->fd, SHUT_RDWR);
        return;
    }
    nm_loop_watch(p->loop, c->fd, 0, 0, 0);
    nm_proactor_adopt(p, c, 0);   /* out of the registered files, or its socket outlives the close */
    nm_proactor_rx_drop(c);
    nm_conn_close(c);
    engine_of(p)->live--;
}

/* Bytes the armed receive queued for c into its input, in order: the first
 * buffer becomes the input when c holds none, the rest are copied in while
 * there is room. The bytes moved. */
unsigned pull(nm_conn *c)
{
    unsigned off, len, moved = 0;
    nm_buf *b;
    while ((b = nm_proactor_rx_first(c, &off, &len))) {
        if (!c->in) {
            if (off) memmove(b->data, b->data + off, len);
            nm_proactor_rx_unlink(c);
            c->in = b;
            c->in_len = c->in_scan = 0;
        } else {
            unsigned room = NM_BUF_SIZE - c->in_len - moved;
            if (!room) break;
            if (len > room) len = room;
            memcpy(c->in->data + c->in_len + moved, b->data + off, len);
            nm_proactor_rx_take(c, len);
        }
        moved += len;
    }
    return moved;
}

/* The operation that carries what the session asks. */
int op_for(const nm_conn *c, const nm_action &a)
{
    if (a.io & NM_WRITE) return NM_OP_SEND;
    return c->in && !nm_proactor_armed(c) ? NM_OP_RECV : NM_OP_WAIT;
}

/* The session's answer to an event, then, while the armed receive's queue
 * has bytes and the input room, those bytes: an answer may free room after
 * a pull that found none (an input filled while its body was paused), and
 * bytes left in the queue would not be looked at again (no completion
 * brings them; the next operation would wait for bytes sent after them).
 * eof: the peer's end, after the queued bytes. */
nm_action settle(nm_proactor *p, nm_conn *c, int event, long n, int eof)
{
    nm_action a = p->ops->done(c, event, n);
    while (a.kind != NM_ACT_CLOSE && nm_proactor_rx_count(c) && c->in_len < NM_BUF_SIZE) {
        unsigned k = pull(c);
        a = p->ops->done(c, k ? NM_ON_RECEIVED : NM_ON_READY, k);
    }
    int end = nm_proactor_rx_ended(c);   /* (the receive ended while c was busy) */
    if ((eof || end < 1) && a.kind != NM_ACT_CLOSE) a = p->ops->done(c, NM_ON_RECEIVED, eof ? 0 : end);
    return a;
}

/* Do what the session asks. A receive or a send through a transport of
 * its own (moved) is made now, and waits for the socket only when the
 * transport has nothing to give or take; while it holds plaintext, c is
 * readable whatever the socket says. An operation the ring has no room
 * for refuses c: `first`, a new connection, with the protocol's refusal. */
void act(nm_proactor *p, nm_conn *c, nm_action a, int first = 0)
{
    int told = 0;   /* the session heard of the held plaintext since the last bytes moved */
    for (;;) {
        switch (a.kind) {
        case NM_ACT_SUBMIT: {
            if (a.io == NM_READ && !c->in && engine_of(p)->draining) {   /* a stop takes no new request */
                a = c->srv->drive->on(c, NM_ON_STOP);
                continue;
            }
            int op = op_for(c, a);
            if (p->moved && op == NM_OP_WAIT && !told && p->ops->pending(c)) {   /* (once: a lingering one lends no buffer) */
                told = 1;
                a = settle(p, c, NM_ON_READY, 1, 0);
                continue;
            }
            if (p->moved && op != NM_OP_WAIT) {
                long n = p->ops->move(c, op == NM_OP_SEND ? NM_WRITE : NM_READ);
                if (n != -EAGAIN && n != -EWOULDBLOCK) {
                    told = 0;
                    a = settle(p, c, op == NM_OP_SEND ? NM_ON_SENT : NM_ON_RECEIVED, n, 0);
                    continue;
                }
            }
            if (!nm_proactor_submit(p, c, op)) {
                nm_conn_arm(&p->loop->wheel, c, p->loop->now, a.deadline, on_timeout);
                return;
            }
            if (first) nm_refuse(c->srv, c->fd);
            else nm_count(c->srv, NM_C_REFUSED);
            c->flags |= NM_CF_DEAD;
            finish(p, c);
            return;
        }
        case NM_ACT_QUEUE:   /* no buffer for it now: nothing in flight until one frees (retry) */
            nm_loop_queue(p->loop, c);
            return;
        case NM_ACT_PARK:   /* its body paused: nothing in flight, no timer, until resumed (unpark) */
            nm_conn_disarm(&p->loop->wheel, c);
            if (!nm_pause_park(c, p->loop)) nm_loop_unpark_post(p->loop, c);
            return;
        default:   /* NM_ACT_CLOSE: with an operation in flight, shut down, which completes it */
            if (nm_proactor_pending(c) == NM_OP_NONE) {
                finish(p, c);
                return;
            }
            c->flags |= NM_CF_DEAD;
            nm_conn_disarm(&p->loop->wheel, c);
            shutdown(c->fd, SHUT_RDWR);
            return;
        }
    }
}

void proceed(nm_proactor *p, nm_conn *c, int event, long n, int eof) { act(p, c, settle(p, c, event, n, eof)); }

/* The armed receive brought bytes, or ended, while c was busy: the bytes
 * wait in its queue, and how it ended after them, for the session when c
 * goes on (settle); a connection closing is closed at the receive's end.
 * One that keeps a few buffers waiting has its receive cancelled: the rest
 * of its bytes wait in the kernel. */
void held(nm_proactor *p, nm_conn *c, int result)
{
    if (result == 0 || (result < 0 && result != -ENOBUFS && result != -ECANCELED)) nm_proactor_rx_end(c, result);
    if (nm_proactor_armed(c)) {
        if (nm_proactor_rx_count(c) >= 2) nm_proactor_disarm(p, c);
    } else if (nm_proactor_pending(c) == NM_OP_CLOSING) {
        finish(p, c);
    }
}

void on_timeout(nm_timer *t)
{
    nm_conn *c = nm_conn_of_timer(t);
    act(proactor_of(c), c, c->srv->drive->on(c, NM_ON_TIMEOUT));
}

/* A connection that waited for a buffer: its request answered now, or its
 * bytes (still in the kernel) received; or it waits on. */
void retry(nm_loop *l, nm_conn *c)
{
    (void)l;
    proceed(proactor_of(c), c, NM_ON_READY, c->in_len ? 0 : 1, 0);
}

/* A paused body resumed: on with it, on the engine's thread. */
void unpark(nm_loop *l, nm_conn *c)
{
    (void)l;
    proceed(proactor_of(c), c, NM_ON_READY, 0, 0);
}

void start(nm_conn *c, void *ctx)
{
    nm_proactor *p = (nm_proactor *)ctx;
    nm_conn_set_owner(c, p);
    /* with multishot receives, a connection is let in only with room for two */
    int full = p->uring && p->ring.multishot && (unsigned)engine_of(p)->live >= nm_uring_conns(&p->ring);
    engine_of(p)->live++;
    nm_proactor_adopt(p, c, 1);
    nm_action a = c->srv->drive->on(c, NM_ON_START);   /* (the transport's hello is queued) */
    if (a.kind != NM_ACT_WAIT) {   /* its transport would not start */
        nm_count(c->srv, NM_C_ERRORS);
        finish(p, c);
        return;
    }
    a.kind = full ? (uint8_t)NM_ACT_CLOSE : (uint8_t)NM_ACT_SUBMIT;
    if (full) {   /* the ring carries no more connections */
        nm_refuse(c->srv, c->fd);
        c->flags |= NM_CF_DEAD;
    }
    act(p, c, a, 1);
}

void completed(nm_proactor *p, nm_conn *c, int op, int result)
{
    if (op == NM_OP_RX_HELD) {
        held(p, c, result);
        return;
    }
    if (op == NM_OP_RX && result < 0) op = NM_OP_WAIT;   /* the receive ended: as a wait that did */
    if (result == -ECANCELED && op == NM_OP_WAIT && !(c->flags & NM_CF_DEAD)) result = -ENOBUFS;   /* (cancelled while held: receive again) */
    switch (op) {
    case NM_OP_ACCEPT:
        /* io_uring works on blocking sockets, the emulation and a transport
         * of its own on non-blocking ones. A wait that ended just as a stop
         * came takes no one in. */
        if (result >= 0 && !engine_of(p)->draining) nm_accept_each(p->loop->srv, !p->uring || p->moved, start, p);
        return;   /* the main loop waits on the listener again */
    case NM_OP_RX: {   /* the bytes are in c's queue, or 0 at EOF */
        unsigned k = pull(c);
        proceed(p, c, k ? NM_ON_RECEIVED : NM_ON_READY, k, result == 0);
        return;
    }
    case NM_OP_WAIT:   /* (-ENOBUFS: the provided buffers ran out; the bytes are there) */
        if (result < 0 && result != -ENOBUFS) proceed(p, c, NM_ON_RECEIVED, result, 0);
        else proceed(p, c, NM_ON_READY, 1, 0);   /* readable: the session lends a buffer, or c waits for one */
        return;
    case NM_OP_RECV:
    case NM_OP_SEND:
        if (p->moved && result >= 0) {   /* ready: the transport moves the bytes */
            nm_action a;
            a.kind = NM_ACT_SUBMIT;
            a.io = op == NM_OP_SEND ? NM_WRITE : NM_READ;
            a.deadline = nm_conn_timeout_ms(c);
            act(p, c, a);
        } else {
            proceed(p, c, op == NM_OP_SEND ? NM_ON_SENT : NM_ON_RECEIVED, result, 0);
        }
        return;
    }
}

/* A stop: no more accepting; idle connections are woken to finish now
 * (shutting down their read side completes their WAIT: what has arrived is
 * answered while buffers last, the others are closed), the rest at the
 * drain deadline. */
void shut(nm_proactor *p, int everything, int live)
{
    for (int fd = 0; fd < NM_MAX_FDS && live; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || c->owner != p) continue;
        if (c->queued == NM_Q_IN) {   /* waiting for a buffer, nothing in flight: ends like an idle one */
            act(p, c, c->srv->drive->on(c, NM_ON_STOP));
            continue;
        }
        if (nm_paused(c)) {   /* nothing in flight to complete: closed here, unless a resume is on its way */
            if (nm_pause_state_of(c) == NM_PS_PARKED && nm_pause_may_drop(c)) act(p, c, c->srv->drive->on(c, NM_ON_STOP));
            continue;
        }
        if (everything) shutdown(fd, SHUT_RDWR);
        else if (nm_proactor_pending(c) == NM_OP_WAIT) shutdown(fd, SHUT_RD);
    }
}

/* The engine's counts in /stats. */
struct stats {
    unsigned long *uring, *room, *timed, *deferred, *lent, *files, *multishot, *rx_armed, *waits, *reaped, *bundle, *bundles;
};

void stats_open(stats *st, nm_server *s, const nm_proactor *p)
{
    st->uring = nm_mstat(&s->model_stats, "io_uring");
    st->room = nm_mstat(&s->model_stats, "ring_conns");
    st->timed = nm_mstat(&s->model_stats, "ring_timed_wait");
    st->deferred = nm_mstat(&s->model_stats, "ring_deferred");
    st->lent = nm_mstat(&s->model_stats, "ring_buffers");
    st->files = nm_mstat(&s->model_stats, "ring_files");
    st->multishot = nm_mstat(&s->model_stats, "ring_multishot");
    st->rx_armed = nm_mstat(&s->model_stats, "ring_rx_armed");
    st->waits = nm_mstat(&s->model_stats, "ring_waits");
    st->reaped = nm_mstat(&s->model_stats, "ring_completions");
    st->bundle = nm_mstat(&s->model_stats, "ring_bundle");
    st->bundles = nm_mstat(&s->model_stats, "ring_rx_bundles");
    nm_mstat_set(st->uring, (unsigned long)p->uring);
    nm_mstat_set(st->room, p->uring ? nm_uring_conns(&p->ring) : 0);
    nm_mstat_set(st->timed, (unsigned long)(p->uring && p->ring.timed_enter));
    nm_mstat_set(st->deferred, (unsigned long)(p->uring && p->ring.deferred));
    nm_mstat_set(st->lent, p->uring ? p->ring.pbuf_entries : 0);
    nm_mstat_set(st->files, p->uring ? p->ring.files : 0);
    nm_mstat_set(st->multishot, (unsigned long)(p->uring && p->ring.multishot));
    nm_mstat_set(st->bundle, p->uring ? p->ring.bundle : 0);
}

void stats_turn(stats *st, const nm_proactor *p)
{
    if (p->rx_armed != *st->rx_armed) nm_mstat_set(st->rx_armed, p->rx_armed);
    if (p->uring && p->ring.waits != *st->waits) nm_mstat_set(st->waits, p->ring.waits);
    if (p->uring && p->ring.reaped != *st->reaped) nm_mstat_set(st->reaped, p->ring.reaped);
    if (*st->multishot && !p->ring.multishot) nm_mstat_set(st->multishot, 0);   /* the kernel refused it (EINVAL) */
    if (*st->bundle && !p->ring.bundle) nm_mstat_set(st->bundle, 0);
    if (p->uring && p->ring.bundles != *st->bundles) nm_mstat_set(st->bundles, p->ring.bundles);
}

}   // namespace

int nm_proactor_serve(nm_server *s, const nm_completion_ops *ops, int moved)
{
    engine e;
    nm_proactor *p = &e.p;
    int &live = e.live, &draining = e.draining;
    p->ops = ops;
    if (nm_proactor_open(p, s, s->cfg.proactor, completed, moved)) {
        dprintf(2, "netmodels: proactor: %s\n", s->cfg.proactor ? "io_uring is not available here" : "cannot open a loop");
        return NM_ERR_SYSTEM;
    }
    p->loop->unpark = unpark;
    p->loop->retry = retry;
    stats st;
    stats_open(&st, s, p);
    live = 0;
    draining = 0;
    uint64_t deadline = 0;
    int hard = 0;
    for (;;) {
        /* Waiting on the listener again after each batch here, not in the
         * handler: a wait the kernel did not take is asked for again. */
        if (!draining && !p->accept_pending) nm_proactor_submit(p, 0, NM_OP_ACCEPT);
        else if (draining) nm_proactor_cancel_accept(p);
        nm_proactor_turn(p);
        stats_turn(&st, p);
        nm_wheel_advance(&p->loop->wheel, p->loop->now);
        if (!nm_link_empty(&p->loop->queue)) nm_loop_retry(p->loop);
        if (!draining && nm_stop_requested(s)) {
            draining = 1;
            deadline = p->loop->now + NM_DRAIN_TIMEOUT_MS;
            nm_proactor_cancel_accept(p);   /* and again each turn until it is queued */
            shut(p, 0, live);
        }
        if (draining && !hard && p->loop->now >= deadline) {
            hard = 1;
            shut(p, 1, live);
        }
        if (draining && !live && !p->accept_pending && nm_proactor_quiet(p)) break;
    }
    nm_proactor_close(p);
    return NM_OK;
}
