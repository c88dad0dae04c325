#include "outq.h"
#include <string.h>
#include <sys/uio.h>

static nm_seg *seg_at(nm_conn *c, unsigned i) { return &c->out[(c->out_first + i) % NM_OUT_SEGS]; }

int nm_out_write(nm_conn *c, const void *p, size_t n)
{
    if (c->out_count) {   /* the usual case: it fits behind what is queued */
        nm_seg *t = seg_at(c, c->out_count - 1u);
        if (t->buf && n <= (size_t)(t->buf->data + NM_BUF_SIZE - (t->p + t->len))) {
            memcpy((char *)t->p + t->len, p, n);
            t->len += (uint32_t)n;
            return 0;
        }
    }
    const char *src = (const char *)p;
    while (n) {
        nm_seg *t = c->out_count ? seg_at(c, c->out_count - 1u) : 0;
        size_t room = t && t->buf ? (size_t)(t->buf->data + NM_BUF_SIZE - (t->p + t->len)) : 0;
        if (!room) {
            if (c->out_count == NM_OUT_SEGS) return -1;
            nm_buf *b = nm_buf_get();
            if (!b) return -1;
            t = seg_at(c, c->out_count++);
            t->p = b->data;
            t->len = 0;
            t->buf = b;
            room = NM_BUF_SIZE;
        }
        size_t k = n < room ? n : room;
        memcpy((char *)t->p + t->len, src, k);
        t->len += (uint32_t)k;
        src += k;
        n -= k;
    }
    return 0;
}

int nm_out_static(nm_conn *c, const void *p, size_t n)
{
    if (c->out_count == NM_OUT_SEGS) return -1;
    nm_seg *t = seg_at(c, c->out_count++);
    t->p = (const char *)p;
    t->len = (uint32_t)n;
    t->buf = 0;
    return 0;
}

int nm_out_take(nm_conn *c, nm_buf *b, uint32_t off, uint32_t len)
{
    if (c->out_count == NM_OUT_SEGS) return -1;
    if (!c->out_count) c->write_since = nm_conn_clock(c);   /* the write deadline runs from now */
    nm_seg *t = seg_at(c, c->out_count++);
    t->p = b->data + off;
    t->len = len;
    t->buf = b;
    return 0;
}

nm_out_mark nm_out_mark_now(const nm_conn *c)
{
    nm_out_mark m;
    m.count = c->out_count;
    m.len = c->out_count ? c->out[(c->out_first + c->out_count - 1u) % NM_OUT_SEGS].len : 0;
    return m;
}

void nm_out_rollback(nm_conn *c, nm_out_mark m)
{
    while (c->out_count > m.count) {
        nm_seg *t = seg_at(c, c->out_count - 1u);
        if (t->buf) nm_buf_put(t->buf);
        c->out_count--;
    }
    if (m.count) seg_at(c, m.count - 1u)->len = m.len;
}

int nm_out_iov(nm_conn *c, struct iovec *iov)
{
    unsigned n = c->out_count;
    for (unsigned i = 0; i < n; i++) {
        nm_seg *s = seg_at(c, i);
        uint32_t skip = i == 0 ? c->out_off : 0;
        iov[i].iov_base = (void *)(s->p + skip);
        iov[i].iov_len = s->len - skip;
    }
    return (int)n;
}

void nm_out_sent(nm_conn *c, size_t n)
{
    if (!n) return;
    c->write_since = nm_conn_clock(c);   /* a stall is measured from the last progress */
    while (c->out_count) {
        nm_seg *s = seg_at(c, 0);
        size_t pending = s->len - c->out_off;
        if (n < pending) {
            c->out_off += (uint32_t)n;
            break;
        }
        n -= pending;
        if (s->buf) nm_buf_put(s->buf);
        c->out_first = (uint8_t)((c->out_first + 1) % NM_OUT_SEGS);
        c->out_count--;
        c->out_off = 0;
    }
    if (!c->out_count && c->read_phase == NM_RP_IDLE) c->read_since = c->write_since;   /* idle from the end of the answer */
}
