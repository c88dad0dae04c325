#include "offload.h"
#include "pool.h"
#include "../session.h"

extern nm_pool nm_loop_pool;
static nm_offload *offload_of[NM_MAX_LOOPS];   /* by loop index: channel callbacks know only the loop */

static nm_offload *of(nm_loop *l) { return offload_of[nm_pool_index(&nm_loop_pool, l)]; }

nm_offload *nm_offload_of(const nm_conn *c) { return of((nm_loop *)c->owner); }

static void hand_away(nm_offload *o, nm_conn *c)
{
    nm_loop *l = o->loop;
    c->flags |= NM_CF_BUSY;
    nm_loop_watch(l, c->fd, 0, 0, 0);
    nm_wheel_del(&l->wheel, &c->timer);
    if (o->hand(o, c) == 0) return;
    c->flags &= (uint8_t)~NM_CF_BUSY;   /* nobody took it: refuse, counted */
    nm_session_refuse(c);
    nm_loop_rearm(l, c, 0);
}

/* Like nm_session_drive, but a whole request leaves instead of being answered here. */
static void serve(nm_offload *o, nm_conn *c)
{
    int want = 0;
    for (;;) {
        if (c->flags & NM_CF_DEAD) break;
        if (c->out_count) {
            int r = nm_session_flush(c);
            if (r < 0) break;
            if (r == 0) {
                want = NM_WRITE;
                break;
            }
            continue;
        }
        if (c->flags & NM_CF_CLOSE_AFTER) break;
        if (c->in_len) {
            nm_request req;
            int r = nm_session_next(c, &req);
            if (r > 0) {
                hand_away(o, c);
                return;
            }
            if (r < 0) continue;   /* refused input: its answer is queued */
        }
        if (c->flags & NM_CF_READ_EOF) break;
        if (nm_session_fill(c) == 0) {
            want = NM_READ;
            break;
        }
    }
    nm_loop_rearm(o->loop, c, want);
}

static void on_conn(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    serve(of(l), (nm_conn *)ctx);
}

static void on_listener(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_loop_accept(l);
}

void nm_offload_resume(nm_offload *o, nm_conn *c)
{
    c->flags &= (uint8_t)~NM_CF_BUSY;
    serve(o, c);
}

static void on_returns(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_offload *o = of(l);
    nm_wakeup_drain(&o->wake);
    for (nm_conn *c; (c = (nm_conn *)nm_queue_try_pop(&o->returns));) nm_offload_resume(o, c);
}

int nm_offload_open(nm_offload *o, nm_server *s, int (*hand)(nm_offload *, nm_conn *), void *ctx)
{
    o->hand = hand;
    o->ctx = ctx;
    o->loop = nm_loop_open(s, s->port, 0);
    if (!o->loop) return -1;
    if (nm_wakeup_open(&o->wake)) {
        nm_loop_close(o->loop);
        return -1;
    }
    nm_queue_init(&o->returns, 0);
    offload_of[nm_pool_index(&nm_loop_pool, o->loop)] = o;
    o->loop->conn_fn = on_conn;
    nm_loop_watch(o->loop, o->wake.rfd, NM_READ, on_returns, 0);
    nm_loop_watch(o->loop, s->listen_fd, NM_READ, on_listener, 0);
    return 0;
}

void nm_offload_close(nm_offload *o)
{
    nm_loop_watch(o->loop, o->wake.rfd, 0, 0, 0);
    nm_loop_close(o->loop);
    nm_wakeup_close(&o->wake);
    nm_queue_destroy(&o->returns);
}

int nm_offload_turn(nm_offload *o)
{
    nm_loop_dispatch(o->loop, nm_loop_wait(o->loop));
    return nm_loop_tick(o->loop);
}

void nm_offload_answer(nm_conn *c)
{
    nm_request req;
    c->in_scan = 0;   /* parsed again from the start: the loop kept no request */
    if (nm_session_next(c, &req) > 0) nm_session_answer(c, &req);
}

void nm_offload_return(nm_offload *o, nm_conn *c)
{
    nm_queue_push(&o->returns, c);
    nm_wakeup_signal(&o->wake);
}
