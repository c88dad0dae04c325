#include "proactor.h"
#include "../base/pool.h"
#include "../loop/outq.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stdint.h>

extern uint8_t nm_proactor_op[NM_MAX_CONNS];

/* A connection's byte: the operation in flight, and whether its multishot
 * receive is armed beside it. */
enum { ARMED = 0x80, DISARMING = 0x40, OP = 0x3f };

/* (a connection's slot: its offset in the slot array, inline) */
static size_t slot_of(const nm_conn *c) { return (size_t)(c - nm_conn_slots); }
static uint8_t *op_of(const nm_conn *c) { return &nm_proactor_op[slot_of(c)]; }

int nm_proactor_pending(const nm_conn *c) { return *op_of(c) & OP; }
int nm_proactor_armed(const nm_conn *c) { return (*op_of(c) & ARMED) != 0; }
void nm_proactor_closing(nm_conn *c) { *op_of(c) = (uint8_t)((*op_of(c) & (ARMED | DISARMING)) | NM_OP_CLOSING); }

void nm_proactor_disarm(nm_proactor *p, nm_conn *c)
{
    uint8_t *o = op_of(c);
    if (!p->uring || (*o & (ARMED | DISARMING)) != ARMED) return;   /* (one cancel is enough) */
    nm_uring_cancel_rx(&p->ring, c);
    *o |= DISARMING;
}

/* ---- the receive queue ---------------------------------------------------- */

#if NM_PROACTOR_BUFS > 0 && !defined(NM_WITHOUT_proactor)
extern nm_pool nm_buf_pool;
extern nm_rx_link nm_proactor_rx_links[NM_BUF_COUNT];
extern nm_rx_queue nm_proactor_rx_queues[NM_MAX_CONNS];

static nm_rx_queue *rxq_of(const nm_conn *c) { return &nm_proactor_rx_queues[slot_of(c)]; }
static nm_buf *buf_at(unsigned n) { return (nm_buf *)nm_pool_at(&nm_buf_pool, n - 1); }

void nm_proactor_rx_push(nm_conn *c, nm_buf *b, unsigned len)
{
    nm_rx_queue *q = rxq_of(c);
    unsigned n = (unsigned)nm_pool_index(&nm_buf_pool, b) + 1;
    nm_rx_link *l = &nm_proactor_rx_links[n - 1];
    l->next = 0;
    l->off = 0;
    l->len = (uint16_t)len;
    if (q->last) nm_proactor_rx_links[q->last - 1].next = (uint16_t)n;
    else q->first = (uint16_t)n;
    q->last = (uint16_t)n;
    q->count++;
}

nm_buf *nm_proactor_rx_first(const nm_conn *c, unsigned *off, unsigned *len)
{
    const nm_rx_queue *q = rxq_of(c);
    if (!q->first) return 0;
    const nm_rx_link *l = &nm_proactor_rx_links[q->first - 1];
    *off = l->off;
    *len = l->len;
    return buf_at(q->first);
}

void nm_proactor_rx_unlink(nm_conn *c)
{
    nm_rx_queue *q = rxq_of(c);
    if (!q->first) return;
    q->first = nm_proactor_rx_links[q->first - 1].next;
    if (!q->first) q->last = 0;
    q->count--;
}

void nm_proactor_rx_take(nm_conn *c, unsigned n)
{
    nm_rx_queue *q = rxq_of(c);
    if (!q->first) return;
    nm_rx_link *l = &nm_proactor_rx_links[q->first - 1];
    if (n < l->len) {
        l->off = (uint16_t)(l->off + n);
        l->len = (uint16_t)(l->len - n);
        return;
    }
    nm_buf *b = buf_at(q->first);
    nm_proactor_rx_unlink(c);
    nm_buf_put(b);
}

void nm_proactor_rx_drop(nm_conn *c)
{
    while (rxq_of(c)->first) {
        nm_buf *b = buf_at(rxq_of(c)->first);
        nm_proactor_rx_unlink(c);
        nm_buf_put(b);
    }
    rxq_of(c)->end = 1;
}

unsigned nm_proactor_rx_count(const nm_conn *c) { return rxq_of(c)->count; }

void nm_proactor_rx_end(nm_conn *c, int result) { rxq_of(c)->end = (int16_t)result; }

int nm_proactor_rx_ended(nm_conn *c)
{
    nm_rx_queue *q = rxq_of(c);
    int end = q->end;
    q->end = 1;
    return end;
}
#else
void nm_proactor_rx_push(nm_conn *c, nm_buf *b, unsigned len) { (void)c, (void)b, (void)len; }
nm_buf *nm_proactor_rx_first(const nm_conn *c, unsigned *off, unsigned *len) { (void)c, (void)off, (void)len; return 0; }
void nm_proactor_rx_take(nm_conn *c, unsigned n) { (void)c, (void)n; }
void nm_proactor_rx_unlink(nm_conn *c) { (void)c; }
void nm_proactor_rx_drop(nm_conn *c) { (void)c; }
unsigned nm_proactor_rx_count(const nm_conn *c) { (void)c; return 0; }
void nm_proactor_rx_end(nm_conn *c, int result) { (void)c, (void)result; }
int nm_proactor_rx_ended(nm_conn *c) { (void)c; return 1; }
#endif

int nm_proactor_quiet(const nm_proactor *p) { return !p->uring || p->ring.inflight == p->port_polled; }

/* Every completion passes here: the operation is over before its handler runs. */
static void deliver(nm_proactor *p, nm_conn *c, int op, int result)
{
    if (!c && op == NM_OP_RECV) {   /* the loop's port has something ready */
        p->port_polled = 0;
        p->port_ready = 1;
        return;
    }
    if (!c && op != NM_OP_ACCEPT) return;   /* the completion of a cancel itself */
    if (!c) {
        p->accept_pending = p->cancelling = 0;
    } else if (op == NM_OP_RX || op == NM_OP_RX_MORE) {
        uint8_t *o = op_of(c);
        uint8_t armed = op == NM_OP_RX_MORE ? ARMED : 0;
        if (armed) armed |= (uint8_t)(*o & DISARMING);
        if ((*o & OP) != NM_OP_WAIT) {   /* c is busy: the bytes wait in its queue */
            *o = (uint8_t)((*o & OP) | armed);
            p->complete(p, c, NM_OP_RX_HELD, result);
            return;
        }
        *o = (uint8_t)(NM_OP_NONE | armed);
        op = NM_OP_RX;
    } else {
        *op_of(c) = (uint8_t)((*op_of(c) & (ARMED | DISARMING)) | NM_OP_NONE);
    }
    p->complete(p, c, op, result);
}

/* ---- the emulation: readiness from the port, the operation done here ---- */

static void emulate(nm_loop *l, int fd, int mask, void *ctx);

static int perform(nm_conn *c, int op)
{
    for (;;) {
        ssize_t n;
        if (op == NM_OP_RECV) {
            n = recv(c->fd, c->in->data + c->in_len, NM_BUF_SIZE - c->in_len, 0);
        } else {
            struct iovec iov[NM_OUT_SEGS];
            struct msghdr msg;
            memset(&msg, 0, sizeof(msg));
            msg.msg_iov = iov;
            msg.msg_iovlen = (size_t)nm_out_iov(c, iov);
            n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        }
        if (n >= 0) return (int)n;
        if (errno != EINTR) return -errno;
    }
}


static void finished(nm_proactor *p, nm_conn *c, int op, int result)
{
    if (p->ndone < (int)(sizeof(p->done) / sizeof(p->done[0]))) {
        nm_completion *d = &p->done[p->ndone++];
        d->c = c;
        d->op = op;
        d->result = result;
    }
}

static void emulate(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)mask;
    nm_proactor *p = (nm_proactor *)l->user;
    nm_conn *c = (nm_conn *)ctx;
    int op = c ? nm_proactor_pending(c) : (p->accept_pending ? (int)NM_OP_ACCEPT : (int)NM_OP_NONE);
    if (op == NM_OP_NONE) return;
    int result = 0;
    if ((op == NM_OP_RECV || op == NM_OP_SEND) && !p->moved) {   /* (moved: ready, the driver moves the bytes) */
        result = perform(c, op);
        if (result == -EAGAIN || result == -EWOULDBLOCK) return;   /* not really ready: wait on */
    }
    /* one completion per fd and pass: stop watching the listener until asked again */
    if (!c) nm_loop_watch(l, fd, 0, 0, 0);
    finished(p, c, op, result);
}

/* ---- both engines -------------------------------------------------------- */

const char *nm_proactor_probe(const char *mode)
{
    if (mode && !strcmp(mode, "emulated")) return "emulated";
    nm_uring r;
    int rc = nm_uring_open(&r);
    if (rc == 0) nm_uring_close(&r);
    if (mode && !strcmp(mode, "io_uring")) return rc == 0 ? "io_uring" : 0;
    return rc == 0 ? "io_uring" : "emulated";
}

int nm_proactor_open(nm_proactor *p, nm_server *s, const char *mode, nm_completion_fn fn, int moved)
{
    int want_uring = !mode || strcmp(mode, "emulated");
    p->moved = moved;
    p->uring = want_uring && nm_uring_open(&p->ring, moved) == 0;
    if (!p->uring && mode && !strcmp(mode, "io_uring")) return -1;
    p->complete = fn;
    p->accept_pending = p->cancelling = 0;
    p->ndone = 0;
    p->port_polled = p->port_ready = 0;
    p->rx_armed = 0;
    p->loop = nm_loop_open(s, s->port, 0);
    if (!p->loop) {
        if (p->uring) nm_uring_close(&p->ring);
        return -1;
    }
    p->loop->user = p;
    /* io_uring without a timed enter: the ring's fd is readable while
     * completions wait, and the loop's port waits for it */
    if (p->uring && !p->ring.timed_enter) nm_loop_watch(p->loop, p->ring.fd, NM_READ, 0, 0);
    return 0;
}

void nm_proactor_close(nm_proactor *p)
{
    if (p->uring) {
        if (!p->ring.timed_enter) nm_loop_watch(p->loop, p->ring.fd, 0, 0, 0);
        nm_uring_close(&p->ring);
    }
    nm_loop_close(p->loop);
}

int nm_proactor_submit(nm_proactor *p, nm_conn *c, int op)
{
    nm_loop *l = p->loop;
    int fd = c ? c->fd : l->srv->listen_fd;
    uint8_t armed = c ? (uint8_t)(*op_of(c) & (ARMED | DISARMING)) : 0;
    if (armed && op == NM_OP_WAIT) {   /* its receive is armed already: wait for what it brings */
        *op_of(c) = (uint8_t)(armed | NM_OP_WAIT);
        p->rx_armed++;
        return 0;
    }
    if (p->uring) {
        int rc = nm_uring_submit(&p->ring, c, op, l->srv->listen_fd);
        if (rc < 0) return -1;
        if (rc == 1) armed = ARMED;
    } else if (nm_loop_watch(l, fd, op == NM_OP_SEND ? NM_WRITE : NM_READ, emulate, c)) {
        return -1;
    }
    if (c) *op_of(c) = (uint8_t)(op | armed);
    else p->accept_pending = 1;
    return 0;
}

void nm_proactor_adopt(nm_proactor *p, const nm_conn *c, int adopt)
{
    if (adopt) {   /* (the slot's last connection may have left CLOSING, or an end) */
        *op_of(c) = NM_OP_NONE;
        nm_proactor_rx_drop(const_cast<nm_conn *>(c));
    }
    if (p->uring) nm_uring_file(&p->ring, &c->fd, adopt);
}

void nm_proactor_cancel_accept(nm_proactor *p)
{
    if (!p->accept_pending || p->cancelling) return;
    if (p->uring) {
        /* refused only when the kernel takes no submission now: asked again next turn */
        if (nm_uring_cancel_accept(&p->ring) == 0) p->cancelling = 1;
        return;
    }
    nm_loop_watch(p->loop, p->loop->srv->listen_fd, 0, 0, 0);
    finished(p, 0, NM_OP_ACCEPT, -ECANCELED);
    p->cancelling = 1;
}

void nm_proactor_turn(nm_proactor *p)
{
    nm_loop *l = p->loop;
    if (p->uring && p->ring.timed_enter) {
        int port_fd = l->port.fd;
        if (port_fd >= 0 && !p->port_polled) p->port_polled = nm_uring_poll_port(&p->ring, port_fd) == 0;
        /* one system call submits the round's operations and sleeps */
        nm_uring_wait(&p->ring, nm_loop_sleep_begin(l, nm_loop_wait_ms(l)));
        nm_loop_sleep_end(l);
        nm_loop_clock(l);
        nm_uring_reap(&p->ring, p, deliver);
        if (p->ring.owed) nm_uring_repay(&p->ring);
        /* A port with no fd of its own (poll, select) is looked at each
         * turn, only while the application has descriptors in it. */
        if (p->port_ready || (port_fd < 0 && l->svc && l->svc->used)) nm_loop_dispatch(l, nm_loop_poll(l));
        p->port_ready = 0;
        nm_loop_run_posted(l);
        return;
    }
    if (p->uring) {
        nm_uring_flush(&p->ring);
        nm_loop_dispatch(l, nm_loop_wait(l));   /* the ring's fd has no callback */
        nm_uring_reap(&p->ring, p, deliver);
        if (p->ring.owed) nm_uring_repay(&p->ring);
        nm_loop_run_posted(l);
        return;
    }
    /* A completion made outside a pass (a cancel) is not held back by a wait. */
    if (!p->ndone) nm_loop_dispatch(p->loop, nm_loop_wait(p->loop));
    /* the operations are done: now their handlers, which may submit more */
    for (int i = 0; i < p->ndone; i++) deliver(p, p->done[i].c, p->done[i].op, p->done[i].result);
    p->ndone = 0;
    nm_loop_run_posted(l);
}

extern "C" const char *nm_proactor_kind(const char *mode) { return nm_proactor_probe(mode); }
