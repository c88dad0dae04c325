/* records.cpp - a record layer of the program's (nm_transport_ops,
 * netmodels.h: a TLS engine) as the session's transport. The engine keeps
 * four buffers a connection and does no I/O; here the socket's bytes go
 * into it and its records out, and the session's plaintext in and out.
 * Linked only through nm_config_transport (transport.h): a firmware that
 * never calls it carries none of this, and the plain socket's path is
 * unchanged. */
#include "transport.h"
#include "../base/error.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace {

/* A connection's engine state, by its descriptor. The connection it was
 * opened for (slot and generation) says whether it is still that one's: a
 * driver that calls no start opens it at the first receive or send, and a
 * state left by a connection that ended without its close is given back
 * when the descriptor's next connection comes. */
struct rl_slot {
    void *st;
    const nm_transport_ops *ops;
    void *ctx;
    const nm_conn *c;
    uint32_t gen;
    uint64_t began;   /* ms: the connection's start, for the handshake's bound */
    int shaking;      /* its head's deadline is the handshake's (open_for) */
};

rl_slot slots[NM_MAX_FDS];

rl_slot *mine(const nm_conn *c)
{
    rl_slot *r = &slots[c->fd];
    return r->st && r->c == c && r->gen == c->gen ? r : 0;
}

unsigned handshake_ms(const nm_conn *c)
{
    int ms = c->srv->cfg.tls_handshake_ms;
    return ms > 0 ? (unsigned)ms : NM_HANDSHAKE_MS;
}

/* Has its handshake run past its bound? */
int overdue(const nm_conn *c, const rl_slot *r)
{
    return (r->ops->state(r->st) & NM_TRANSPORT_HANDSHAKE) && nm_conn_clock(c) - r->began >= handshake_ms(c);
}

void drop(rl_slot *r, int why)
{
    if (r->st) r->ops->release(r->ctx, r->st, why);
    r->st = 0;
    r->c = 0;
}

/* A fresh state for c (its start), or NULL: the engine refused it. */
rl_slot *open_for(nm_conn *c)
{
    rl_slot *r = &slots[c->fd];
    drop(r, NM_TRANSPORT_DONE);
    r->ops = c->srv->cfg.transport;
    r->ctx = c->srv->cfg.transport_ctx;
    r->st = r->ops->open(r->ctx);
    r->c = c;
    r->gen = c->gen;
    r->began = nm_conn_clock(c);
    /* The handshake's bound, when sooner, is the head's deadline until the
     * handshake ends (rl_recv): every driver's wait honours it as it is. */
    int header = c->srv->cfg.header_timeout_ms;
    r->shaking = header > 0 && (unsigned)header > handshake_ms(c) && c->read_phase == NM_RP_HEAD;
    if (r->shaking) c->read_since = r->began + handshake_ms(c) - (unsigned)header;
    return r->st ? r : 0;
}

rl_slot *state(nm_conn *c)
{
    rl_slot *r = mine(c);
    return r ? r : open_for(c);
}

/* What the engine owes the socket, sent: 1 all, 0 some left (EAGAIN), -1
 * failed. `flags`: MSG_DONTWAIT for a close that must not wait. */
int send_owed(nm_conn *c, rl_slot *r, int flags)
{
    size_t n;
    unsigned char *p;
    while ((p = r->ops->buf(r->st, NM_TRANSPORT_NET_OUT, &n))) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | flags);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        r->ops->ack(r->st, NM_TRANSPORT_NET_OUT, (size_t)k);
    }
    return 1;
}

ssize_t rl_recv(nm_conn *c, void *buf, size_t len, int flags)
{
    rl_slot *r = state(c);
    if (!r) {
        errno = ENOBUFS;   /* (refused: the engine's pool is full) */
        return -1;
    }
    const nm_transport_ops *o = r->ops;
    for (;;) {
        size_t n;
        if (r->shaking && !(o->state(r->st) & NM_TRANSPORT_HANDSHAKE)) {
            r->shaking = 0;
            c->read_since = r->began;   /* the head's own deadline again */
        }
        unsigned char *p = o->buf(r->st, NM_TRANSPORT_PLAIN_IN, &n);
        if (p) {
            if (n > len) n = len;
            memcpy(buf, p, n);
            if (!(flags & MSG_PEEK)) o->ack(r->st, NM_TRANSPORT_PLAIN_IN, n);
            return (ssize_t)n;
        }
        /* the handshake's answers, an alert: before the next read */
        if (send_owed(c, r, 0) < 0) return -1;
        int s = o->state(r->st);
        if (s & NM_TRANSPORT_FAILED) {
            errno = EPROTO;
            return -1;
        }
        if (s & NM_TRANSPORT_CLOSED) return 0;   /* close_notify: the peer's clean end */
        if (overdue(c, r)) {
            errno = ETIMEDOUT;
            return -1;
        }
        p = o->buf(r->st, NM_TRANSPORT_NET_IN, &n);
        if (!p) {   /* it must send first: it wants to write */
            errno = EAGAIN;
            return -1;
        }
        ssize_t k = recv(c->fd, p, n, flags & ~MSG_PEEK);
        if (k <= 0) return k;   /* an end without close_notify is an end too */
        if (o->ack(r->st, NM_TRANSPORT_NET_IN, (size_t)k) < 0) {
            send_owed(c, r, MSG_DONTWAIT);   /* its alert */
            errno = EPROTO;
            return -1;
        }
    }
}

/* The session's plaintext, as far as the engine takes it; records that the
 * socket does not take now are owed (rl_wants_write). */
ssize_t rl_sendv(nm_conn *c, const struct iovec *iov, int count)
{
    rl_slot *r = state(c);
    if (!r) {
        errno = EPIPE;
        return -1;
    }
    const nm_transport_ops *o = r->ops;
    size_t took = 0, off = 0;
    for (int i = 0; i < count;) {
        if (off == iov[i].iov_len) {
            i++;
            off = 0;
            continue;
        }
        size_t room;
        unsigned char *p = o->buf(r->st, NM_TRANSPORT_PLAIN_OUT, &room);
        if (!p) {   /* its records must go first */
            o->flush(r->st);
            int w = send_owed(c, r, 0);
            if (w < 0) return -1;
            if (!w || !(p = o->buf(r->st, NM_TRANSPORT_PLAIN_OUT, &room))) break;
        }
        size_t n = iov[i].iov_len - off < room ? iov[i].iov_len - off : room;
        memcpy(p, (const char *)iov[i].iov_base + off, n);
        if (o->ack(r->st, NM_TRANSPORT_PLAIN_OUT, n) < 0) {
            errno = EPROTO;
            return -1;
        }
        off += n;
        took += n;
    }
    o->flush(r->st);
    if (send_owed(c, r, 0) < 0) return -1;
    if (!took) {
        errno = EAGAIN;
        return -1;
    }
    return (ssize_t)took;
}

int rl_pending(const nm_conn *c)
{
    rl_slot *r = mine(c);
    size_t n;
    return r && r->ops->buf(r->st, NM_TRANSPORT_PLAIN_IN, &n);
}

int rl_wants_write(const nm_conn *c)
{
    rl_slot *r = mine(c);
    size_t n;
    return r && r->ops->buf(r->st, NM_TRANSPORT_NET_OUT, &n);
}

int rl_flush(nm_conn *c)
{
    rl_slot *r = mine(c);
    return r ? send_owed(c, r, 0) : 1;
}

int rl_start(nm_conn *c) { return open_for(c) ? 0 : -1; }

/* close_notify, if the socket takes it now; then the state goes back. */
void rl_close(nm_conn *c)
{
    rl_slot *r = mine(c);
    if (!r) return;
    int cut = overdue(c, r);
    if (!(c->flags & NM_CF_DEAD) && !(r->ops->state(r->st) & NM_TRANSPORT_FAILED)) {
        r->ops->close(r->st);
        send_owed(c, r, MSG_DONTWAIT);
    }
    drop(r, cut ? NM_TRANSPORT_CUT : NM_TRANSPORT_DONE);
}

}

const nm_transport nm_transport_records = { "records", rl_recv, rl_sendv, 0, rl_pending, rl_wants_write,
                                            rl_flush, rl_start, rl_close };

extern "C" void *nm_transport_state(const nm_request *req)
{
    nm_conn *c = req ? nm_conn_of_id(req->conn) : 0;
    rl_slot *r = c && nm_conn_id_of(c) == req->conn && c->srv->cfg.transport ? mine(c) : 0;
    return r ? r->st : 0;
}

/* A fiber's NM_FIBER_STACK_SIZE holds the layer's stack and 16 KiB, the
 * default's, for the library's frames and the handler's. */
int nm_transport_fibers_refused(const nm_config *cfg, const char *model)
{
    const nm_transport_ops *t = cfg->transport;
    const size_t need = t ? t->stack + 16 * 1024 : 0;
    if (need <= (size_t)NM_FIBER_STACK_SIZE) return 0;
    return nm_error_set("model %s: transport %s takes %zu bytes of stack, more than a fiber of %d leaves it "
                        "(build with NM_FIBER_STACK_SIZE=%zu at least)", model, t->name ? t->name : "", t->stack,
                        NM_FIBER_STACK_SIZE, need);
}

extern "C" void nm_config_transport(nm_config *cfg, const nm_transport_ops *ops, void *ctx)
{
    cfg->transport = ops;
    cfg->transport_ctx = ops ? ctx : 0;
}
