/* coroutine - one event loop, and each connection's driver a stackless
 * coroutine (base/pt.h): it tells the session (session.h: nm_session_on)
 * that the fd is ready and yields the action the session answers, which the
 * loop takes (nm_loop_act: wait for the readiness it names, park, queue),
 * until the action is a close. A connection costs its slot plus two bytes
 * of continuation; the loop resumes the coroutine when the port reports the
 * fd ready for what it yielded on. The loop's timer and its drain tell the
 * session themselves (NM_ON_TIMEOUT, NM_ON_STOP) and close the connection;
 * a new one starts its continuation from the top. */
#include "../loop/loop.h"
#include "../loop/accept.h"
#include "../base/pt.h"
#include "../base/pool.h"
#include "../session/session.h"

extern nm_pool nm_conn_pool;
extern nm_lc nm_coroutine_lc[NM_MAX_CONNS];

/* 1 with the action to take in *a, or 0 when it is a close (the
 * connection is finished, its continuation back at the top). */
static int session(nm_conn *c, nm_lc *lc, nm_action *a)
{
    NM_PT_BEGIN(lc);
    for (;;) {
        *a = nm_session_on(c, NM_ON_READY);   /* readable, writable, resumed or retried */
        if (a->kind == NM_ACT_CLOSE) break;
        NM_PT_YIELD(lc, 1);   /* back here when the loop says it may go on */
    }
    NM_PT_END(lc);
}

static void resume(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_conn *c = (nm_conn *)ctx;
    nm_action a;
    session(c, &nm_coroutine_lc[nm_pool_index(&nm_conn_pool, c)], &a);
    nm_loop_act(l, c, a);
}

static void start(nm_conn *c, void *ctx)
{
    nm_loop *l = (nm_loop *)ctx;
    nm_coroutine_lc[nm_pool_index(&nm_conn_pool, c)] = 0;
    if (nm_loop_adopt(l, c) == 0) resume(l, c->fd, NM_READ, c);
}

static void acceptor(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_accept_each(l->srv, 1, start, l);
}

int nm_model_coroutine(nm_server *s)
{
    nm_loop *l = nm_loop_open(s, s->port, 0);
    if (!l) return NM_ERR_SYSTEM;
    l->conn_fn = resume;
    nm_loop_watch(l, s->listen_fd, NM_READ, acceptor, 0);
    nm_loop_run_until_drained(l);
    nm_loop_close(l);
    return NM_OK;
}
