#include "outq.h"
#include <string.h>

static nm_seg *seg_at(nm_conn *c, unsigned i) { return nm_out_seg(c, i); }

int nm_out_write(nm_conn *c, const void *p, size_t n)
{
    if (c->out_count) {   /* the usual case: it fits behind what is queued */
        nm_seg *t = seg_at(c, c->out_count - 1u);
        if (nm_seg_owns(t) && n <= nm_seg_room(t)) {
            memcpy((char *)t->p + t->len, p, n);
            t->len += (uint32_t)n;
            return 0;
        }
    }
    const char *src = (const char *)p;
    while (n) {
        nm_seg *t = c->out_count ? seg_at(c, c->out_count - 1u) : 0;
        size_t room = t && nm_seg_owns(t) ? nm_seg_room(t) : 0;
        if (!room) {
            if (c->out_count == NM_OUT_SEGS) return -1;
            nm_buf *b = nm_buf_get();
            if (!b) return -1;
            t = seg_at(c, c->out_count++);
            t->p = b->data;
            t->len = 0;
            t->at = 0;
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
    t->at = NM_SEG_STATIC;
    return 0;
}

int nm_out_take(nm_conn *c, nm_buf *b, uint32_t off, uint32_t len)
{
    if (c->out_count == NM_OUT_SEGS) return -1;
    if (!c->out_count) c->write_since = nm_conn_clock(c);   /* the write deadline runs from now */
    nm_seg *t = seg_at(c, c->out_count++);
    t->p = b->data + off;
    t->len = len;
    t->at = off;
    return 0;
}

void nm_out_rollback(nm_conn *c, nm_out_mark m)
{
    while (c->out_count > m.count) {
        nm_seg *t = seg_at(c, c->out_count - 1u);
        if (nm_seg_owns(t)) nm_buf_put(nm_seg_buf(t));
        c->out_count--;
    }
    if (m.count) seg_at(c, m.count - 1u)->len = m.len;
}

int nm_out_ready(nm_conn *c)
{
    if (c->out_count) {
        nm_seg *t = seg_at(c, c->out_count - 1u);
        if (nm_seg_owns(t) && nm_seg_room(t)) return 0;
        if (c->out_count == NM_OUT_SEGS) return 0;   /* (the answer waits for the queue to drain) */
    }
    nm_buf *b = nm_buf_get();
    if (!b) return -1;
    nm_out_take(c, b, 0, 0);
    return 0;
}

void nm_out_trim_last(nm_conn *c)
{
    nm_buf_put(nm_seg_buf(seg_at(c, c->out_count - 1u)));
    c->out_count--;
}
