#include "conn.h"
#include "../base/pool.h"
#include <string.h>
#include <unistd.h>

extern nm_pool nm_conn_pool;
extern nm_pool nm_buf_pool;
extern nm_conn *nm_conn_by_fd[NM_MAX_FDS];

nm_buf *nm_buf_get(void) { return (nm_buf *)nm_pool_get(&nm_buf_pool); }
void nm_buf_put(nm_buf *b) { nm_pool_put(&nm_buf_pool, b); }
unsigned nm_buf_free(void) { return nm_pool_free(&nm_buf_pool); }
nm_buf *nm_buf_get_spare(void) { return nm_buf_spare() ? nm_buf_get() : 0; }
unsigned nm_conn_free(void) { return nm_pool_free(&nm_conn_pool); }

nm_conn *nm_conn_of_fd(int fd)
{
    /* atomic: loops of other threads look fds up while this one reuses them */
    return fd >= 0 && fd < NM_MAX_FDS ? __atomic_load_n(&nm_conn_by_fd[fd], __ATOMIC_ACQUIRE) : 0;
}


nm_conn *nm_conn_open(nm_server *s, int fd)
{
    if (fd < 0 || fd >= NM_MAX_FDS) return 0;
    nm_conn *c = (nm_conn *)nm_pool_get(&nm_conn_pool);
    if (!c) return 0;
    c->fd = fd;
    c->flags = c->lent = 0;
    c->out_first = c->out_count = 0;
    c->in = 0;
    c->in_len = c->in_scan = c->out_off = 0;
    nm_timer_init(&c->timer, 0);
    c->link_job = NM_LJ_TIMER;
    c->srv = s;
    nm_conn_set_owner(c, 0);
    c->read_phase = NM_RP_HEAD;
    c->queued = 0;
    c->body_mode = c->produce = 0;
    c->stream = 0;
    c->read_since = c->write_since = nm_now_ms();
    nm_rate_reset(&c->rate);
    __atomic_store_n(&c->gen, c->gen + 1, __ATOMIC_RELEASE);   /* an id of the slot's last connection no longer matches */
    __atomic_store_n(&nm_conn_by_fd[fd], c, __ATOMIC_RELEASE);
    nm_count(s, NM_C_ACTIVE);
#if NM_CONN_USER_SIZE > 0
    memset(nm_conn_state(c), 0, NM_CONN_USER_SIZE);
#endif
    c->hooked = 0;
    if (!s->hooks_in_child) nm_conn_hook_open(c);
    return c;
}

static unsigned streams_open;   /* the process's, over its servers */

int nm_stream_hold(nm_server *s)
{
    int full = __atomic_add_fetch(&streams_open, 1u, __ATOMIC_RELAXED) > NM_STREAM_BUFFERS;
    if (__atomic_add_fetch(&s->streams, 1u, __ATOMIC_RELAXED) > (unsigned)s->cfg.max_streams || full) {
        nm_stream_release(s);
        return -1;
    }
    return 0;
}

void nm_stream_release(nm_server *s)
{
    __atomic_sub_fetch(&s->streams, 1u, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&streams_open, 1u, __ATOMIC_RELAXED);
}

int nm_stream_take(nm_conn *c)
{
    if (c->stream) return 0;   /* its last body's read-ahead still holds one */
    if (nm_stream_hold(c->srv)) return -1;
    /* the holds are at most NM_STREAM_BUFFERS, each with one entry: a free one is there */
    unsigned i = 0;
    while (__atomic_exchange_n(&nm_streams[i].taken, 1u, __ATOMIC_ACQUIRE)) i = (i + 1) % NM_STREAM_BUFFERS;
    c->stream = (nm_stream_ix)(i + 1);
    nm_streams[i].body_fn = 0;
    return 0;
}

void nm_stream_give(nm_conn *c)
{
    if (!c->stream || c->body_mode || c->produce || nm_conn_has_ahead(c)) return;
    __atomic_store_n(&nm_stream_of(c)->taken, 0u, __ATOMIC_RELEASE);
    c->stream = 0;
    nm_stream_release(c->srv);
}

int nm_stream_begin(nm_conn *c)
{
    if (nm_stream_take(c)) return -1;
    c->body_mode = 1;   /* the caller sets the kind */
    return 0;
}

void nm_stream_end(nm_conn *c)
{
    __atomic_store_n(&c->pause, 0, __ATOMIC_RELEASE);   /* a resume now names nothing (pause.h) */
    if (!c->body_mode) return;
    c->body_mode = 0;
    nm_stream_give(c);
}

void nm_produce_end(nm_conn *c)
{
    if (!c->produce) return;
    c->produce = 0;
    nm_stream_give(c);
}

void nm_conn_hook_open(nm_conn *c)
{
    c->hooked = 1;
    if (c->srv->cfg.on_open) c->srv->cfg.on_open(nm_server_face(c->srv), nm_conn_id_of(c), nm_conn_state(c), c->srv->cfg.user);
}

void nm_conn_drop_ahead(nm_conn *c)
{
#if NM_BODY_READ_BUFS > 1
    if (!nm_conn_has_ahead(c)) return;
    nm_stream *st = nm_stream_of(c);
    for (unsigned i = 0; i < st->ahead_count; i++) nm_buf_put(st->ahead[i]);
    st->ahead_count = 0;
    st->ahead_off = 0;
    nm_stream_give(c);
#else
    (void)c;
#endif
}

void nm_conn_close(nm_conn *c)
{
    nm_stream_end(c);   /* a body or an answer cut short gives its place back */
    nm_produce_end(c);
    if (c->in) nm_buf_put(c->in);
    nm_conn_drop_ahead(c);
    for (unsigned i = 0; i < c->out_count; i++) {
        nm_seg *sg = &c->out[(c->out_first + i) % NM_OUT_SEGS];
        if (nm_seg_owns(sg)) nm_buf_put(nm_seg_buf(sg));
    }
    c->in = 0;
    c->out_count = 0;
    /* while its id still names it, before the fd can be reused */
    if (c->hooked && c->srv->cfg.on_close) c->srv->cfg.on_close(nm_server_face(c->srv), nm_conn_id_of(c), nm_conn_state(c), c->srv->cfg.user);
    __atomic_store_n(&nm_conn_by_fd[c->fd], (nm_conn *)0, __ATOMIC_RELEASE);
    __atomic_store_n(&c->gen, c->gen + 1, __ATOMIC_RELEASE);   /* its id names no connection now */
    close(c->fd);
    nm_uncount(c->srv, NM_C_ACTIVE);
    nm_pool_put(&nm_conn_pool, c);
}


nm_conn *nm_conn_of_id(nm_conn_id id)
{
    unsigned slot = (unsigned)(id >> 32);
    return slot < NM_MAX_CONNS ? (nm_conn *)nm_pool_at(&nm_conn_pool, slot) : 0;
}
