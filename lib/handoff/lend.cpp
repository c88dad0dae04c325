#include "lend.h"
#include "workers.h"
#include "../loop/accept.h"

/* A lent connection stays registered with the port, so the usual request,
 * answered before the client sends again, costs no port call; only if it
 * does report ready while lent (a pipelining client) is it unregistered,
 * once, until it is taken back. */
static void while_lent(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)mask; (void)ctx;
    nm_loop_watch(l, fd, 0, 0, 0);
}

static void lend(nm_loop *l, nm_conn *c)
{
    nm_loop_watch(l, c->fd, l->ch[c->fd].mask, while_lent, c);
    nm_wheel_del(&l->wheel, &c->timer);
}

/* Lent is marked twice: NM_CF_BUSY for the session, and a byte of its own
 * for the loop (conn.h says why). They change together, here only. */
static void mark_lent(nm_conn *c)
{
    c->flags |= NM_CF_BUSY;
    c->lent = 1;
}

static void mark_home(nm_conn *c)
{
    c->flags &= (uint8_t)~NM_CF_BUSY;
    c->lent = 0;
}

void nm_conn_lend(nm_loop *l, nm_conn *c)
{
    mark_lent(c);
    lend(l, c);
}

void nm_conn_lend_io(nm_loop *l, nm_conn *c)
{
    lend(l, c);
    nm_conn_set_owner(c, 0);
}

void nm_conn_reclaim(nm_loop *l, nm_conn *c, int want)
{
    mark_home(c);
    nm_conn_set_owner(c, l);
    if (!want) {
        nm_loop_drop(l, c);
        return;
    }
    if (nm_loop_hold(l, c, want)) return;
    nm_wheel_add(&l->wheel, &c->timer, l->now, nm_conn_timeout_ms(c));
    if (nm_loop_watch(l, c->fd, want, l->conn_fn, c)) nm_loop_drop(l, c);   /* no port call if want is unchanged */
}

/* Write what is queued, read what comes, and lend the connection out as soon
 * as a whole request is buffered. Returns the readiness to wait for, 0 when
 * the connection is finished, -1 when it was lent. */
static int step(nm_loop *l, nm_conn *c)
{
    int want = c->srv->drive->frame(c);
    if (want != NM_WHOLE) return want;
    nm_conn_lend(l, c);
    if (!nm_loop_thread_of(l)->group->dispatch(l, c)) return -1;
    mark_home(c);   /* nobody took it (a full queue): it waits for a place, its request buffered */
    nm_loop_watch(l, c->fd, l->ch[c->fd].mask, l->conn_fn, c);   /* tried again through its channel */
    return NM_QUEUE;
}

void nm_lend_serve(nm_loop *l, nm_conn *c)
{
    int want = step(l, c);
    if (want >= 0) nm_conn_reclaim(l, c, want);
}

void nm_lend_io(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_lend_serve(l, (nm_conn *)ctx);
}

void nm_lend_resume(nm_loop *l, nm_conn *c, int want)
{
    (void)want;   /* what it waits for next is read from its state */
    mark_home(c);
    nm_lend_serve(l, c);
}

void nm_lend_answer(nm_conn *c) { c->srv->drive->answer(c); }

void nm_lend_return(nm_conn *c) { nm_loop_return(c, NM_READ); }

int nm_lend_to_workers(nm_loop *l, nm_conn *c)
{
    return nm_workers_submit((nm_workers *)nm_loop_thread_of(l)->group->user, c);
}

void nm_lend_wake_workers(nm_loop_thread *t) { nm_workers_wake((nm_workers *)t->group->user); }

void nm_lend_work(void *conn)
{
    nm_conn *c = (nm_conn *)conn;
    nm_lend_answer(c);
    nm_lend_return(c);
}
