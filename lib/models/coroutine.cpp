/* coroutine - one event loop, and each connection's session written as a
 * stackless coroutine (base/pt.h): it reads top to bottom - read a request,
 * answer it, write the answer, again - and yields to the loop whenever the
 * socket says EAGAIN. A connection costs its slot plus two bytes of
 * continuation; the loop resumes the coroutine when the port reports the fd
 * ready for what it yielded on. */
#include "../loop/loop.h"
#include "../loop/accept.h"
#include "../base/pt.h"
#include "../base/pool.h"
#include "../session/session.h"

extern nm_pool nm_conn_pool;
extern nm_lc nm_coroutine_lc[NM_MAX_CONNS];

/* Returns the readiness to wait for, or 0 when the connection is done. */
static int session(nm_conn *c, nm_lc *lc)
{
    nm_request req;
    int r;   /* cppcheck-suppress variableScope ; a case label may jump into the loops */
    NM_PT_BEGIN(lc);
    for (;;) {
        /* read until a whole request is buffered */
        while ((r = nm_session_next(c, &req)) == 0) {
            if (nm_session_next_io(c) == NM_IO_PARK) {
                NM_PT_YIELD(lc, NM_PARK);   /* its body paused: back here once resumed */
                continue;
            }
            if (c->flags & (NM_CF_READ_EOF | NM_CF_DEAD)) return 0;
            while ((r = nm_session_fill(c)) == 0) NM_PT_YIELD(lc, nm_session_read_want(c));
        }
        /* no buffer for its answer: it waits in the loop's queue, and is
         * cut again (req does not outlive a yield) */
        if (r > 0 && nm_session_answer_buffer(c)) {
            NM_PT_YIELD(lc, NM_QUEUE);
            if (c->flags & NM_CF_DEAD) return 0;   /* refused: waited too long */
            continue;
        }
        /* answer it, and any others the client pipelined behind it */
        if (r > 0) nm_session_answer(c, &req);
        nm_session_answer_ready(c);
        /* write */
        while ((r = nm_session_flush(c)) == 0) NM_PT_YIELD(lc, NM_WRITE);
        if (r < 0) return 0;
        if (c->flags & (NM_CF_CLOSE_AFTER | NM_CF_DEAD)) {
            while ((r = nm_session_linger(c))) NM_PT_YIELD(lc, r);
            return 0;
        }
    }
    NM_PT_END(lc);
}

static void resume(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_conn *c = (nm_conn *)ctx;
    nm_lc *lc = &nm_coroutine_lc[nm_pool_index(&nm_conn_pool, c)];
    int want = session(c, lc);
    if (!want) *lc = 0;
    nm_loop_rearm(l, c, want);
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
    do nm_loop_dispatch(l, nm_loop_wait(l));
    while (!nm_loop_tick(l));
    nm_loop_close(l);
    return NM_OK;
}
