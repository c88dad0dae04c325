/* user.cpp - bytes to a connection from outside its handler (nm_send).
 * The application's watches, timers and posts are user_api.cpp's. */
#include "user.h"
#include "loop.h"
#include "outq.h"
#include "../base/pool.h"
#include <string.h>

/* ---- bytes to a connection from outside its handler (nm_send) ----------- */

/* What travels to the connection's loop, at the start of the pooled buffer
 * that holds the bytes after it. */
struct nm_sent {
    nm_posting posting;
    nm_loop *loop;
    nm_conn_id id;
    uint32_t len;
};
static_assert(sizeof(nm_sent) <= NM_BUF_SIZE - NM_SEND_MAX, "NM_SEND_MAX leaves no room for the header");

static nm_loop *loop_of(const nm_conn *c)
{
    void *owner = nm_conn_owner(c);
    unsigned i = owner ? nm_pool_index(&nm_loop_pool, owner) : NM_MAX_LOOPS;
    return i < NM_MAX_LOOPS && nm_pool_at(&nm_loop_pool, i) == owner ? (nm_loop *)owner : 0;
}

static void sent_arrived(nm_posting *t)
{
    nm_sent *m = NM_CONTAINER_OF(t, nm_sent, posting);
    nm_buf *b = (nm_buf *)(void *)m;
    nm_loop *l = m->loop;
    nm_conn *c = nm_conn_of_id(m->id);
    if (!c || nm_conn_gen(c) != (uint32_t)m->id || nm_conn_owner(c) != l || l->closed) {
        nm_buf_put(b);   /* gone meanwhile */
        return;
    }
    if (c->lent || (c->flags & NM_CF_BUSY)) {   /* its borrower holds the queue: next round */
        nm_loop_post(l, t, sent_arrived);
        return;
    }
    if ((c->flags & (NM_CF_DEAD | NM_CF_CLOSE_AFTER)) || nm_out_take(c, b, (uint32_t)sizeof(nm_sent), m->len)) {
        nm_buf_put(b);
        nm_count(c->srv, NM_C_ERRORS);
        return;
    }
    l->kick(l, c);
}

extern "C" int nm_send(const nm_server *srv, nm_conn_id id, const void *data, size_t len)
{
    nm_conn *c = nm_conn_of_id(id);
    if (!c || len > NM_SEND_MAX || nm_conn_gen(c) != (uint32_t)id) return -1;
    nm_loop *l = loop_of(c);
    if (!l || !l->kick || l->srv != nm_server_of(srv)) return -1;
    nm_buf *b = nm_buf_get();
    if (!b) return -1;
    nm_sent *m = (nm_sent *)(void *)b->data;
    m->loop = l;
    m->id = id;
    m->len = (uint32_t)len;
    memcpy(b->data + sizeof(nm_sent), data, len);
    nm_loop_post(l, &m->posting, sent_arrived);
    return 0;
}
