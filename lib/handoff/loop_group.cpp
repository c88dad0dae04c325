#include "loop_group.h"
#include "lend.h"
#include "../base/pool.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern nm_pool nm_loop_thread_pool;

nm_loop_thread *nm_loop_thread_of(const nm_loop *l) { return (nm_loop_thread *)l->user; }

int nm_group_place_round_robin(nm_loop *l, nm_conn *c)
{
    nm_loop_group *g = nm_loop_thread_of(l)->group;
    /* (NM_MAX_LOOPS == 1 builds have no loop 1: the test is the compiler's too) */
    if (NM_MAX_LOOPS < 2 || g->count < 2) return nm_loop_adopt(l, c);
    nm_loop_hand_over(g->loops[1 + g->next++ % (unsigned)(g->count - 1)]->loop, c);
    return 0;
}

/* ---- the group ---------------------------------------------------------- */

static void close_loop_thread(nm_loop_thread *t)
{
    nm_loop_close(t->loop);
    nm_pool_put(&nm_loop_thread_pool, t);
}

void nm_group_close(nm_loop_group *g)
{
    for (int i = 0; i < g->count; i++) close_loop_thread(g->loops[i]);
    g->count = 0;
}

static nm_loop_thread *open_loop_thread(nm_loop_group *g, int index)
{
    nm_loop_thread *t = (nm_loop_thread *)nm_pool_get(&nm_loop_thread_pool);
    if (!t) return 0;
    t->loop = nm_loop_open(g->srv, g->srv->port, g->srv->cfg.edge_triggered);
    if (!t->loop) {
        nm_pool_put(&nm_loop_thread_pool, t);
        return 0;
    }
    nm_link_init(&t->waiting);
    t->index = index;
    t->group = g;
    t->thread.stack = 0;
    t->loop->user = t;
    t->loop->conn_fn = g->conn_fn;
    /* Bytes from outside a handler (nm_send) for the connections it serves
     * or lends: written as its own answers are. */
    t->loop->kick = g->conn_fn == nm_serve_io ? nm_loop_serve : g->conn_fn == nm_lend_io ? nm_lend_serve : 0;
    t->loop->on_return = g->on_return;
    return t;
}

int nm_group_open(nm_loop_group *g, nm_server *s, int count, nm_io_fn conn_fn,
                  void (*on_return)(nm_loop *l, nm_conn *c, int want))
{
    memset(g, 0, sizeof(*g));
    g->srv = s;
    g->conn_fn = conn_fn;
    g->on_return = on_return;
    g->thread_name = "nm-loop";
    if (count < 1 || count > NM_MAX_LOOPS) return -1;
    while (g->count < count) {
        nm_loop_thread *t = open_loop_thread(g, g->count);
        if (!t) {
            nm_group_close(g);
            return -1;
        }
        g->loops[g->count++] = t;
    }
    return 0;
}

static void wake_others(nm_loop_group *g, const nm_loop_thread *self)
{
    for (int i = 0; i < g->count; i++)
        if (g->loops[i] != self) nm_loop_wake(g->loops[i]->loop);
}

int nm_group_turn(nm_loop_thread *t)
{
    nm_loop *l = t->loop;
    nm_loop_dispatch(l, nm_loop_wait(l));
    int done = nm_loop_tick(l);
    if (t->group->on_turn) t->group->on_turn(t);
    return done;
}

static void run_loop(nm_loop_thread *t)
{
    int told = 0;
    for (;;) {
        int done = nm_group_turn(t);
        if (t->loop->draining && !told) {   /* the first loop to see a stop tells the others at once */
            told = 1;
            wake_others(t->group, t);
        }
        if (done) return;
    }
}

static void *loop_main(void *arg)
{
    nm_loop_thread *t = (nm_loop_thread *)arg;
    nm_thread_name_nr(t->group->thread_name, t->index);
    run_loop(t);
    return 0;
}

int nm_group_start(nm_loop_group *g)
{
    for (int i = 1; i < g->count; i++)
        if (nm_thread_start(&g->loops[i]->thread, loop_main, g->loops[i])) return -1;
    return 0;
}

static void join_all(nm_loop_group *g)
{
    for (int i = 1; i < g->count; i++)
        if (g->loops[i]->thread.stack) nm_thread_join(&g->loops[i]->thread);
}

void nm_group_run_first(nm_loop_group *g)
{
    run_loop(g->loops[0]);
    wake_others(g, g->loops[0]);
    join_all(g);
    nm_group_close(g);
}

void nm_group_abort(nm_loop_group *g)
{
    nm_server_stop(g->srv);
    wake_others(g, 0);
    join_all(g);
    nm_group_close(g);
}

void nm_accept_io(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    nm_loop_accept(l);
}

void nm_serve_io(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_loop_serve(l, (nm_conn *)ctx);
}

void nm_thread_name_nr(const char *name, int index)
{
    char buf[16];   /* the kernel keeps 15 characters */
    if (index >= 0) snprintf(buf, sizeof(buf), "%s%d", name, index);
    else snprintf(buf, sizeof(buf), "%s", name);
    nm_thread_name(buf);
}
