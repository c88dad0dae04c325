/* transport.cpp - the record transport (record.h) on the server's side,
 * linked into nmserve_record, which it installs as the transport of every
 * server of the process. Like a TLS library it reads the socket greedily
 * (several records at once) and hands out one record's plaintext a call,
 * so it holds plaintext the port knows nothing of; and its sends take the
 * plaintext whole into records it then owes the socket, and its hello goes
 * before any byte is read, so it wants to write while the session reads. */
#include "record.h"
#include "session/transport.h"
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace {

struct rec_conn {
    unsigned char in[8 * (REC_HEAD + REC_MAX)];   /* from the socket: records, the first partly handed out */
    size_t in_len, at, given;                     /* bytes there; where the first record is; its payload given */
    unsigned char out[4 * (REC_HEAD + REC_MAX)];  /* records owed to the socket */
    size_t out_len, out_off;
};

rec_conn conns[NM_MAX_FDS];   /* a connection's by its descriptor (a test: one process's) */

rec_conn *of(const nm_conn *c) { return &conns[c->fd]; }

int rec_flush(nm_conn *c)
{
    rec_conn *r = of(c);
    while (r->out_off < r->out_len) {
        ssize_t k = send(c->fd, r->out + r->out_off, r->out_len - r->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        r->out_off += (size_t)k;
    }
    r->out_len = r->out_off = 0;
    return 1;
}

int rec_wants_write(const nm_conn *c) { return of(c)->out_off < of(c)->out_len; }

/* Room for at least one byte in a record: the records sent go first. */
size_t out_room(rec_conn *r)
{
    if (r->out_off) {
        memmove(r->out, r->out + r->out_off, r->out_len - r->out_off);
        r->out_len -= r->out_off;
        r->out_off = 0;
    }
    return sizeof(r->out) - r->out_len;
}

ssize_t rec_recv(nm_conn *c, void *buf, size_t len, int flags)
{
    rec_conn *r = of(c);
    for (;;) {
        int type = 0;
        long whole = rec_whole(r->in + r->at, r->in_len - r->at, &type);
        if (whole < 0 || type == REC_HELLO) {
            errno = EPROTO;
            return -1;
        }
        if (whole && type == REC_CLOSE) return 0;   /* the peer's clean end */
        if (whole) {
            size_t left = (size_t)whole - REC_HEAD - r->given, n = left < len ? left : len;
            memcpy(buf, r->in + r->at + REC_HEAD + r->given, n);
            r->given += n;
            if (r->given == (size_t)whole - REC_HEAD) {
                r->at += (size_t)whole;
                r->given = 0;
            }
            if (n) return (ssize_t)n;   /* one record a call at most, as TLS libraries read */
            continue;
        }
        if (r->at) {
            memmove(r->in, r->in + r->at, r->in_len - r->at);
            r->in_len -= r->at;
            r->at = 0;
        }
        ssize_t k = recv(c->fd, r->in + r->in_len, sizeof(r->in) - r->in_len, flags);
        if (k <= 0) return k;
        r->in_len += (size_t)k;
    }
}

int rec_pending(const nm_conn *c)
{
    rec_conn *r = of(c);
    int type;
    return rec_whole(r->in + r->at, r->in_len - r->at, &type) != 0;
}

ssize_t rec_sendv(nm_conn *c, const struct iovec *iov, int count)
{
    rec_conn *r = of(c);
    if (rec_flush(c) < 0) return -1;
    size_t took = 0;
    for (int i = 0; i < count; i++) {
        size_t room = out_room(r), used;
        if (room <= REC_HEAD) break;
        size_t k = rec_pack(r->out + r->out_len, room, (const unsigned char *)iov[i].iov_base, iov[i].iov_len, &used);
        r->out_len += used;
        took += k;
        if (k < iov[i].iov_len) break;
    }
    if (!took) {
        errno = EAGAIN;
        return -1;
    }
    rec_flush(c);   /* what the socket takes now; the rest is owed (wants_write) */
    return (ssize_t)took;
}

void put(rec_conn *r, int type, const void *p, size_t n)
{
    if (out_room(r) < REC_HEAD + n) return;
    rec_head(r->out + r->out_len, type, n);
    memcpy(r->out + r->out_len + REC_HEAD, p, n);
    r->out_len += REC_HEAD + n;
}

/* The hello is only queued: the driver must see that the transport wants
 * to write before anything is read (the client waits for it). */
int rec_start(nm_conn *c)
{
    rec_conn *r = of(c);
    r->in_len = r->at = r->given = r->out_len = r->out_off = 0;
    put(r, REC_HELLO, REC_HELLO_TEXT, sizeof(REC_HELLO_TEXT) - 1);
    return 0;
}

void rec_close(nm_conn *c)
{
    if (c->flags & NM_CF_DEAD) return;
    put(of(c), REC_CLOSE, "", 0);
    rec_flush(c);   /* if the socket takes it now */
}

const nm_transport record = { "record", rec_recv, rec_sendv, 0, rec_pending, rec_wants_write, rec_flush, rec_start, rec_close };

__attribute__((constructor)) void install(void) { nm_transport_default = &record; }

}
