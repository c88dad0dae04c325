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
    nm_conn_disarm(&l->wheel, c);
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

/* c is home on l again: its own channel callback (no port call: the mask
 * stays), its owner l. */
static void home(nm_loop *l, nm_conn *c)
{
    mark_home(c);
    nm_conn_set_owner(c, l);
    nm_loop_watch(l, c->fd, l->ch[c->fd].mask, l->conn_fn, c);
}

void nm_conn_reclaim(nm_loop *l, nm_conn *c, int want)
{
    home(l, c);
    nm_loop_rearm(l, c, want);
}

/* What the session answered for c: lend it to the group's dispatch for its
 * handler (NM_ACT_HANDOFF), or what any loop does. */
static void act(nm_loop *l, nm_conn *c, nm_action a)
{
    if (a.kind != NM_ACT_HANDOFF) {
        nm_loop_act(l, c, a);
        return;
    }
    nm_conn_lend(l, c);
    if (!nm_loop_thread_of(l)->group->dispatch(l, c)) return;
    home(l, c);   /* nobody took it (a full queue): it waits for a place, its request buffered, */
    nm_loop_queue(l, c);   /* tried again through its channel */
}

void nm_lend_serve(nm_loop *l, nm_conn *c) { act(l, c, c->srv->drive->on(c, NM_ON_READY)); }

void nm_lend_io(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_lend_serve(l, (nm_conn *)ctx);
}

void nm_lend_resume(nm_loop *l, nm_conn *c, int want)
{
    (void)want;   /* what it waits for next is the session's answer */
    home(l, c);
    act(l, c, c->srv->drive->on(c, NM_ON_RETURNED));
}

void nm_lend_answer(nm_conn *c) { c->srv->drive->handle(c); }

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
