/* outq.h - a connection's output queue: a ring of NM_OUT_SEGS segments, each
 * a part of a pooled buffer (copied bytes) or a static body (by reference),
 * written out with one sendmsg of them all, and retired as the peer takes
 * bytes. It stands on its own: protocols frame answers into it, the session
 * and the proactor drain it. */
#ifndef NM_OUTQ_H
#define NM_OUTQ_H

#include "conn.h"
#include <sys/uio.h>

/* Append (copying); 0, or -1 when out of segments or buffers. */
int nm_out_write(nm_conn *c, const void *p, size_t n);
/* Append by reference: p must outlive the connection's answer. */
int nm_out_static(nm_conn *c, const void *p, size_t n);
/* Append a whole pooled buffer's bytes [off, off + len), which the queue
 * then owns: 0, or -1 (out of segments; the caller keeps b). */
int nm_out_take(nm_conn *c, nm_buf *b, uint32_t off, uint32_t len);
/* Where the queue ends now (segments, length of the last): to roll back to. */
struct nm_out_mark { uint8_t count; uint32_t len; };
/* Undo everything queued after the mark (an answer that failed half-way). */
void nm_out_rollback(nm_conn *c, nm_out_mark m);
/* An answer's buffer taken before it is written (the session's, so that the
 * answer cannot fail for want of one): 0, or -1 when no buffer is free. The
 * queue's last buffer serves when it has room left; one left empty goes
 * back with nm_out_trim (an empty segment is never sent). */
int nm_out_ready(nm_conn *c);
/* (nm_out_trim, inline below: the session asks it several times a request) */
void nm_out_trim_last(nm_conn *c);
/* The queued bytes as iovecs (NM_OUT_SEGS of room; returns how many), and
 * n bytes were sent: retire them (buffers go back), move the write deadline
 * (inline below, as is where the queue ends now: nm_out_mark_now). */

/* ---- inline: each request writes its answer through these ---- */

static inline nm_seg *nm_out_seg(nm_conn *c, unsigned i) { return &c->out[(c->out_first + i) % NM_OUT_SEGS]; }

static inline void nm_out_trim(nm_conn *c)
{
    if (!c->out_count) return;
    const nm_seg *t = nm_out_seg(c, c->out_count - 1u);
    if (nm_seg_owns(t) && !t->len && (c->out_count > 1 || !c->out_off)) nm_out_trim_last(c);
}

static inline nm_out_mark nm_out_mark_now(const nm_conn *c)
{
    nm_out_mark m;
    m.count = c->out_count;
    m.len = c->out_count ? c->out[(c->out_first + c->out_count - 1u) % NM_OUT_SEGS].len : 0;
    return m;
}

static inline int nm_out_iov(nm_conn *c, struct iovec *iov)
{
    unsigned n = c->out_count;
    for (unsigned i = 0; i < n; i++) {
        nm_seg *s = nm_out_seg(c, i);
        uint32_t skip = i == 0 ? c->out_off : 0;
        iov[i].iov_base = (void *)(s->p + skip);
        iov[i].iov_len = s->len - skip;
    }
    return (int)n;
}

static inline void nm_out_sent(nm_conn *c, size_t n)
{
    if (!n) return;
    c->write_since = nm_conn_clock(c);   /* a stall is measured from the last progress */
    while (c->out_count) {
        nm_seg *s = nm_out_seg(c, 0);
        size_t pending = s->len - c->out_off;
        if (n < pending) {
            c->out_off += (uint32_t)n;
            break;
        }
        n -= pending;
        if (nm_seg_owns(s)) nm_buf_put(nm_seg_buf(s));
        c->out_first = (uint8_t)((c->out_first + 1) % NM_OUT_SEGS);
        c->out_count--;
        c->out_off = 0;
    }
    if (!c->out_count && c->read_phase == NM_RP_IDLE) c->read_since = c->write_since;   /* idle from the end of the answer */
}

#endif
