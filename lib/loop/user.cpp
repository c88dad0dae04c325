/* user.cpp - the application's watches, timers and posts: what every
 * server does with them (start, end, the loop taking them over); what
 * fills and runs them is user_api.cpp. */
#include "user.h"
#include "loop.h"
#include "outq.h"
#include "../base/pool.h"
#include <string.h>

const nm_user_runner *nm_user_runner_set;

/* ---- the loop that runs them ------------------------------------------- */

void nm_user_maybe_attach(nm_server *s, nm_loop *l)
{
    nm_user_svc *u = &s->user;
    if (u->home || !nm_user_on_server_thread(u)) return;
    __atomic_store_n(&u->home, l, __ATOMIC_RELEASE);
    l->svc = u;
    const nm_user_runner *r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (r) r->watch_all(u, l);
}

void nm_user_detach(nm_loop *l)
{
    nm_user_svc *u = l->svc;
    if (!u) return;
    __atomic_store_n(&u->home, (nm_loop *)0, __ATOMIC_RELEASE);
    l->svc = 0;
}

/* Something is due or posted, so the runner was set: by this thread (a
 * timer), or by a poster before it wrote the cell, which makes it seen. */
void nm_user_run(nm_user_svc *u, uint64_t now)
{
    const nm_user_runner *r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (!r && u->t && __atomic_load_n(&u->t->ring[u->head % NM_USER_POSTS].seq, __ATOMIC_ACQUIRE) == u->head + 1)
        r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (r) r->run(u, now);
}

/* ---- the server's life ------------------------------------------------- */

void nm_user_begin(nm_server *s)
{
    nm_user_svc *u = &s->user;
    u->t = nm_user_tables_take ? nm_user_tables_take(s) : 0;
    u->next_due = UINT64_MAX;
    u->head = u->tail = 0;
    u->home = u->own = 0;
    u->thread = pthread_self();
    u->in_child = u->used = 0;
}

void nm_user_end(nm_server *s)
{
    nm_user_svc *u = &s->user;
    if (u->own) nm_loop_close(u->own);   /* detaches it */
    u->own = 0;
    u->in_child = 1;   /* what is posted from now on is refused */
}

void nm_user_forget(nm_server *s)
{
    nm_user_svc *u = &s->user;
    u->in_child = 1;
    if (u->own) {
        nm_loop *own = u->own;
        u->own = 0;
        nm_loop_close(own);
    }
    u->home = 0;
}

int nm_user_wait(nm_server *s, int ms)
{
    nm_user_svc *u = &s->user;
    if (!nm_user_on_server_thread(u) || (u->home && u->home != u->own)) return 0;   /* the model's own loop runs them */
    if (!u->used && __atomic_load_n(&u->tail, __ATOMIC_ACQUIRE) == u->head) return 0;
    if (!u->own && !u->home) {
        u->own = nm_loop_open(s, s->port ? s->port : nm_port_at(0), 0);   /* takes the tables over */
        if (!u->own) return 0;
    }
    nm_loop *l = u->home;
    l->max_wait_ms = ms > 0 ? ms : -1;
    nm_loop_dispatch(l, nm_loop_wait(l));
    nm_loop_run_posted(l);
    return 1;
}

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
