/* proactor - completion-based: the model submits operations (accept, wait
 * for input, receive, send) and runs a handler when each completes; it never
 * asks whether a socket is ready. The operations run on io_uring where the
 * kernel has it, or on an emulation over the chosen port (completion/proactor.h);
 * nm_config.proactor / --proactor chooses, "auto" by default, and "io_uring"
 * in /stats says which one runs (1 or 0).
 *
 * Per connection, one operation is in flight: WAIT (no buffer while idle)
 * -> RECV -> answer what is whole -> SEND until the queue is empty -> again.
 * A timeout or the drain deadline shuts the socket down, which completes
 * the operation in flight; a connection is closed only when nothing of it
 * is in the kernel's hands. The engine and its counts are the server's, on
 * nm_run's stack (about 2 KiB). */
#include "../loop/accept.h"
#include "../base/mstat.h"
#include "../completion/proactor.h"
#include "../session/session.h"
#include "../loop/pause.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct engine {
    nm_proactor p;   /* first: the engine's callbacks hand back &p */
    int live, draining;
};

static engine *engine_of(nm_proactor *p) { return (engine *)p; }

static void finish(nm_proactor *p, nm_conn *c)
{
    nm_loop_unqueue(c);
    nm_wheel_del(&p->loop->wheel, &c->timer);
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
 * there is room. */
static void pull(nm_conn *c)
{
    unsigned off, len;
    nm_buf *b;
    while ((b = nm_proactor_rx_first(c, &off, &len))) {
        if (!c->in) {
            if (off) memmove(b->data, b->data + off, len);
            nm_proactor_rx_unlink(c);
            c->in = b;
            c->in_len = c->in_scan = 0;
        } else {
            unsigned room = NM_BUF_SIZE - c->in_len;
            if (!room) break;
            if (len > room) len = room;
            memcpy(c->in->data + c->in_len, b->data + off, len);
            nm_proactor_rx_take(c, len);
        }
        nm_session_received(c, len);
    }
}

/* 0, or -1: the ring has no room for it (the caller refuses c). */
static int submit(nm_proactor *p, nm_conn *c, int op)
{
    if (nm_proactor_submit(p, c, op)) return -1;
    nm_wheel_add(&p->loop->wheel, &c->timer, p->loop->now, nm_conn_timeout_ms(c));
    return 0;
}

/* The next operation of a connection that had one: its room was just freed,
 * so only a kernel that takes no submission at all refuses it. */
static void resubmit(nm_proactor *p, nm_conn *c, int op)
{
    if (!submit(p, c, op)) return;
    nm_count(c->srv, NM_C_REFUSED);
    finish(p, c);
}

/* After any completion on c: answer what is whole, then the next operation.
 * What the armed receive queued comes in as the input makes room, until the
 * queue is empty or the input full: an answer may free room after a pull
 * that found none (an input filled while its body was paused), and bytes
 * left in the queue would not be looked at again (no completion brings
 * them; the next operation would wait for bytes sent after them). */
static void proceed(nm_proactor *p, nm_conn *c)
{
    do {   /* (each round moves some: the input has room and the queue bytes) */
        pull(c);
        nm_session_answer_ready(c);
        nm_session_produce(c);
    } while (nm_proactor_rx_count(c) && c->in_len < NM_BUF_SIZE);
    switch (nm_session_next_io(c)) {
    case NM_IO_DONE:   /* (lingering: an armed receive's bytes are dropped as they come) */
        if (nm_session_linger(c)) resubmit(p, c, NM_OP_WAIT);
        else finish(p, c);
        break;
    case NM_IO_SEND: resubmit(p, c, NM_OP_SEND); break;
    case NM_IO_QUEUE:   /* a request waits for its answer's buffer: nothing in flight until one frees (retry) */
        nm_wheel_del(&p->loop->wheel, &c->timer);
        nm_loop_queue(p->loop, c);
        break;
    case NM_IO_PARK:   /* its body paused: nothing in flight, no timer, until resumed (unpark) */
        nm_wheel_del(&p->loop->wheel, &c->timer);
        if (!nm_pause_park(c, p->loop)) nm_loop_unpark_post(p->loop, c);
        break;
    default:   /* (while the receive is armed, the next bytes come from it) */
        if ((engine_of(p)->draining && !c->in_len) || c->in_len >= NM_BUF_SIZE) finish(p, c);
        else resubmit(p, c, c->in && !nm_proactor_armed(c) ? NM_OP_RECV : NM_OP_WAIT);
    }
}

/* The armed receive brought bytes, or ended, while c was busy: the bytes
 * wait in its queue; a connection closing is closed at the receive's end.
 * One that keeps a few buffers waiting has its receive cancelled: the rest
 * of its bytes wait in the kernel. */
static void held(nm_proactor *p, nm_conn *c, int result)
{
    if (result == 0) c->flags |= NM_CF_READ_EOF;
    else if (result < 0 && result != -ENOBUFS && result != -ECANCELED) c->flags |= NM_CF_DEAD;
    if (nm_proactor_armed(c)) {
        if (nm_proactor_rx_count(c) >= 2) nm_proactor_disarm(p, c);
    } else if (nm_proactor_pending(c) == NM_OP_CLOSING) {
        finish(p, c);
    }
}

static void on_timeout(nm_timer *t)
{
    nm_conn *c = NM_CONTAINER_OF(t, nm_conn, timer);
    nm_conn_count_timeout(c);
    c->flags |= NM_CF_DEAD;
    shutdown(c->fd, SHUT_RDWR);   /* completes the operation in flight */
}

/* A connection that waited for a buffer, its bytes still in the kernel:
 * received now, or it waits on. One whose request waited for its answer's
 * buffer is answered now, or waits on. */
static void retry(nm_loop *l, nm_conn *c)
{
    if (c->flags & NM_CF_DEAD) finish((nm_proactor *)nm_conn_owner(c), c);   /* refused: waited too long */
    else if (c->in_len) proceed((nm_proactor *)nm_conn_owner(c), c);
    else if (nm_session_take_input(c)) nm_loop_queue(l, c);
    else resubmit((nm_proactor *)nm_conn_owner(c), c, NM_OP_RECV);
}

/* A paused body resumed: on with it, on the engine's thread. */
static void unpark(nm_loop *l, nm_conn *c)
{
    (void)l;
    c->timer.fn = on_timeout;
    proceed((nm_proactor *)nm_conn_owner(c), c);
}

static void start(nm_conn *c, void *ctx)
{
    nm_proactor *p = (nm_proactor *)ctx;
    nm_conn_set_owner(c, p);
    nm_timer_init(&c->timer, on_timeout);
    /* with multishot receives, a connection is let in only with room for two */
    int full = p->uring && p->ring.multishot && (unsigned)engine_of(p)->live >= nm_uring_conns(&p->ring);
    engine_of(p)->live++;
    nm_proactor_adopt(p, c, 1);
    if (full || submit(p, c, NM_OP_WAIT)) {   /* the ring carries no more connections */
        nm_session_refuse(c);
        finish(p, c);
    }
}

static void completed(nm_proactor *p, nm_conn *c, int op, int result)
{
    int draining = engine_of(p)->draining;
    if (op == NM_OP_RX_HELD) {
        held(p, c, result);
        return;
    }
    if (op == NM_OP_RX && result < 0) op = NM_OP_WAIT;   /* the receive ended: as a wait that did */
    if (result == -ECANCELED && op == NM_OP_WAIT && !(c->flags & NM_CF_DEAD)) result = -ENOBUFS;   /* (cancelled while held: receive again) */
    switch (op) {
    case NM_OP_RX:   /* the bytes are in c's queue (proceed takes them), or 0 at EOF */
        if (result == 0) c->flags |= NM_CF_READ_EOF;
        break;
    case NM_OP_ACCEPT:
        /* io_uring works on blocking sockets; the emulation on non-blocking ones.
         * A wait that ended just as a stop came takes no one in. */
        if (result >= 0 && !draining) nm_accept_each(p->loop->srv, !p->uring, start, p);
        return;   /* the main loop waits on the listener again */
    case NM_OP_WAIT:   /* (-ENOBUFS: the provided buffers ran out; the bytes are there) */
        if (result < 0 && result != -ENOBUFS) c->flags |= NM_CF_DEAD;
        else if (nm_session_take_input(c) == 0) {
            resubmit(p, c, NM_OP_RECV);
            return;
        } else if (draining) {
            c->flags |= NM_CF_DEAD;   /* a stop ends idle connections: no refusal for them */
        } else {   /* only the answers' reserve is left: nothing in flight until a buffer frees (retry) */
            nm_loop_queue(p->loop, c);
            return;
        }
        break;
    case NM_OP_RECV:
        if (result > 0) nm_session_received(c, (size_t)result);
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
            nm_out_sent(c, (size_t)result);
        } else {
            if (result != -EPIPE && result != -ECONNRESET && !(c->flags & NM_CF_DEAD)) nm_count(c->srv, NM_C_ERRORS);
            c->flags |= NM_CF_DEAD;
        }
        break;
    }
    proceed(p, c);
}

/* A stop: no more accepting; idle connections are woken to finish now
 * (shutting down their read side completes their WAIT: what has arrived is
 * answered while buffers last, the others are closed), the rest at the
 * drain deadline. */
static void shut(nm_proactor *p, int everything, int live)
{
    for (int fd = 0; fd < NM_MAX_FDS && live; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || c->owner != p) continue;
        if (c->queued == NM_Q_IN) {   /* waiting for a buffer, nothing in flight: ends like an idle one */
            finish(p, c);
            continue;
        }
        if (nm_paused(c)) {   /* nothing in flight to complete: closed here, unless a resume is on its way */
            if (nm_pause_state_of(c) == NM_PS_PARKED && nm_pause_may_drop(c)) finish(p, c);
            continue;
        }
        if (everything) shutdown(fd, SHUT_RDWR);
        else if (nm_proactor_pending(c) == NM_OP_WAIT) shutdown(fd, SHUT_RD);
    }
}

int nm_model_proactor(nm_server *s)
{
    unsigned long *uring = nm_mstat(&s->model_stats, "io_uring");
    unsigned long *room = nm_mstat(&s->model_stats, "ring_conns");
    unsigned long *timed = nm_mstat(&s->model_stats, "ring_timed_wait");
    unsigned long *deferred = nm_mstat(&s->model_stats, "ring_deferred");
    unsigned long *lent = nm_mstat(&s->model_stats, "ring_buffers");
    unsigned long *files = nm_mstat(&s->model_stats, "ring_files");
    unsigned long *multishot = nm_mstat(&s->model_stats, "ring_multishot");
    unsigned long *rx_armed = nm_mstat(&s->model_stats, "ring_rx_armed");
    unsigned long *waits = nm_mstat(&s->model_stats, "ring_waits");
    unsigned long *reaped = nm_mstat(&s->model_stats, "ring_completions");
    unsigned long *bundle = nm_mstat(&s->model_stats, "ring_bundle");
    unsigned long *bundles = nm_mstat(&s->model_stats, "ring_rx_bundles");
    engine e;
    nm_proactor *p = &e.p;
    int &live = e.live, &draining = e.draining;
    if (s->cfg.transport) {   /* its engines move the plain socket's bytes themselves */
        dprintf(2, "netmodels: proactor: no transport (TLS) on this model yet\n");
        return NM_ERR_USAGE;
    }
    if (nm_proactor_open(p, s, s->cfg.proactor, completed)) {
        dprintf(2, "netmodels: proactor: %s\n", s->cfg.proactor ? "io_uring is not available here" : "cannot open a loop");
        return NM_ERR_SYSTEM;
    }
    p->loop->unpark = unpark;
    p->loop->retry = retry;
    nm_mstat_set(uring, (unsigned long)p->uring);
    nm_mstat_set(room, p->uring ? nm_uring_conns(&p->ring) : 0);
    nm_mstat_set(timed, (unsigned long)(p->uring && p->ring.timed_enter));
    nm_mstat_set(deferred, (unsigned long)(p->uring && p->ring.deferred));
    nm_mstat_set(lent, p->uring ? p->ring.pbuf_entries : 0);
    nm_mstat_set(files, p->uring ? p->ring.files : 0);
    nm_mstat_set(multishot, (unsigned long)(p->uring && p->ring.multishot));
    nm_mstat_set(bundle, p->uring ? p->ring.bundle : 0);
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
        if (p->rx_armed != *rx_armed) nm_mstat_set(rx_armed, p->rx_armed);
        if (p->uring && p->ring.waits != *waits) nm_mstat_set(waits, p->ring.waits);
        if (p->uring && p->ring.reaped != *reaped) nm_mstat_set(reaped, p->ring.reaped);
        if (*multishot && !p->ring.multishot) nm_mstat_set(multishot, 0);   /* the kernel refused it (EINVAL) */
        if (*bundle && !p->ring.bundle) nm_mstat_set(bundle, 0);
        if (p->uring && p->ring.bundles != *bundles) nm_mstat_set(bundles, p->ring.bundles);
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
