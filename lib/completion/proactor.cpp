#include "proactor.h"
#include "../base/pool.h"
#include "../loop/outq.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stdint.h>

extern nm_pool nm_conn_pool;
extern uint8_t nm_proactor_op[NM_MAX_CONNS];

static uint8_t *op_of(const nm_conn *c) { return &nm_proactor_op[nm_pool_index(&nm_conn_pool, c)]; }

int nm_proactor_pending(const nm_conn *c) { return *op_of(c); }

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
    if (c) *op_of(c) = NM_OP_NONE;
    else p->accept_pending = p->cancelling = 0;
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
    int op = c ? (int)*op_of(c) : (p->accept_pending ? (int)NM_OP_ACCEPT : (int)NM_OP_NONE);
    if (op == NM_OP_NONE) return;
    int result = 0;
    if (op == NM_OP_RECV || op == NM_OP_SEND) {
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

int nm_proactor_open(nm_proactor *p, nm_server *s, const char *mode, nm_completion_fn fn)
{
    int want_uring = !mode || strcmp(mode, "emulated");
    p->uring = want_uring && nm_uring_open(&p->ring) == 0;
    if (!p->uring && mode && !strcmp(mode, "io_uring")) return -1;
    p->complete = fn;
    p->accept_pending = p->cancelling = 0;
    p->ndone = 0;
    p->port_polled = p->port_ready = 0;
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
    if (p->uring) {
        if (nm_uring_submit(&p->ring, c, op, l->srv->listen_fd)) return -1;
    } else if (nm_loop_watch(l, fd, op == NM_OP_SEND ? NM_WRITE : NM_READ, emulate, c)) {
        return -1;
    }
    if (c) *op_of(c) = (uint8_t)op;
    else p->accept_pending = 1;
    return 0;
}

void nm_proactor_adopt(nm_proactor *p, const nm_conn *c, int adopt)
{
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
