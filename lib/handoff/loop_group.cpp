#include "loop_group.h"
#include "../base/pool.h"
#include "../proto/protocol.h"
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern nm_pool nm_loop_thread_pool;

/* ---- inbox: a bounded ring with a sequence number per cell, so posters
 * claim cells with one compare-and-swap and the owner reads without a lock. */

static void inbox_init(nm_inbox *q)
{
    for (unsigned i = 0; i < NM_INBOX_DEPTH; i++) q->cells[i].seq = i;
    q->head = q->tail = 0;
}

static int inbox_push(nm_inbox *q, void *item)
{
    unsigned pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    for (;;) {
        nm_inbox::cell *c = &q->cells[pos % NM_INBOX_DEPTH];
        int diff = (int)(__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) - pos);
        if (diff < 0) return -1;   /* the owner has not read this cell yet: full */
        if (diff == 0 && __atomic_compare_exchange_n(&q->tail, &pos, pos + 1, 1, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED)) {
            c->item = item;
            __atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
            return 0;
        }
        if (diff > 0) pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    }
}

static void *inbox_pop(nm_inbox *q)
{
    nm_inbox::cell *c = &q->cells[q->head % NM_INBOX_DEPTH];
    if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != q->head + 1) return 0;   /* empty or not yet written */
    void *item = c->item;
    __atomic_store_n(&c->seq, q->head + NM_INBOX_DEPTH, __ATOMIC_RELEASE);
    q->head++;
    return item;
}

/* ---- posting ------------------------------------------------------------ */

int nm_group_post(nm_loop_thread *t, void *item, int kind)
{
    if (inbox_push(&t->inbox, (void *)((uintptr_t)item | (uintptr_t)kind))) return -1;
    /* A loop that is awake reads its inbox before it sleeps again: only a
     * sleeping one is woken, and once per batch (the owner clears the flag
     * before it reads the inbox). */
    nm_group_nudge(t);
    return 0;
}

int nm_group_nudge(nm_loop_thread *t)
{
    /* Pairs with the fence in nm_group_turn: either the loop sees what was
     * published before this or this sees it asleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&t->sleeping, __ATOMIC_RELAXED) || __atomic_exchange_n(&t->signalled, 1, __ATOMIC_SEQ_CST))
        return 0;
    nm_wakeup_signal(&t->wake);
    return 1;
}

void nm_group_post_back(nm_loop_thread *t, void *item, int kind)
{
    /* Cannot stay full: what comes back holds no other place in any inbox. */
    while (nm_group_post(t, item, kind)) sched_yield();
}

nm_loop_thread *nm_loop_thread_of(const nm_loop *l) { return (nm_loop_thread *)l->user; }

static void take_item(nm_loop_thread *t, void *raw)
{
    nm_loop_group *g = t->group;
    void *item = (void *)((uintptr_t)raw & ~(uintptr_t)3);
    switch ((int)((uintptr_t)raw & 3)) {
    case NM_POST_ADOPT: nm_loop_adopt(t->loop, (nm_conn *)item); break;
    case NM_POST_RETURN: g->on_return(t->loop, (nm_conn *)item); break;
    default: g->on_task(t->loop, item); break;
    }
}

static void take_inbox(nm_loop_thread *t)
{
    /* Only what is there now: an item put back while reading waits for the next round. */
    unsigned n = __atomic_load_n(&t->inbox.tail, __ATOMIC_ACQUIRE) - t->inbox.head;
    for (void *raw; n-- && (raw = inbox_pop(&t->inbox));) take_item(t, raw);
}

static void on_wake(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)l; (void)fd; (void)mask;
    nm_loop_thread *t = (nm_loop_thread *)ctx;
    /* Drain before clearing: a poster that finds the flag clear writes a new
     * wakeup, which must survive until the next wait. */
    nm_wakeup_drain(&t->wake);
    __atomic_store_n(&t->signalled, 0, __ATOMIC_SEQ_CST);
    take_inbox(t);
}

static void refuse(nm_server *s, nm_conn *c)
{
    const char *r = s->proto->refusal;
    if (r) (void)!send(c->fd, r, strlen(r), MSG_NOSIGNAL | MSG_DONTWAIT);
    nm_count(s, NM_C_REFUSED);
    nm_conn_close(c);
}

int nm_group_place_round_robin(nm_loop *l, nm_conn *c)
{
    nm_loop_group *g = nm_loop_thread_of(l)->group;
    if (g->count < 2) return nm_loop_adopt(l, c);
    nm_loop_thread *t = g->loops[1 + g->next++ % (unsigned)(g->count - 1)];
    if (!nm_group_post(t, c, NM_POST_ADOPT)) return 0;
    refuse(g->srv, c);
    return -1;
}

/* ---- the group ---------------------------------------------------------- */

static void close_loop_thread(nm_loop_thread *t)
{
    /* Connections posted to a loop that had already stopped were never adopted. */
    for (void *raw; (raw = inbox_pop(&t->inbox));)
        if (((uintptr_t)raw & 3) == NM_POST_ADOPT) nm_conn_close((nm_conn *)raw);
    nm_loop_watch(t->loop, t->wake.rfd, 0, 0, 0);
    nm_wakeup_close(&t->wake);
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
    if (t->loop && !nm_wakeup_open(&t->wake)) {
        if (!nm_loop_watch(t->loop, t->wake.rfd, NM_READ, on_wake, t)) {
            t->signalled = 0;
            t->sleeping = 0;
            nm_link_init(&t->waiting);
            t->index = index;
            t->group = g;
            t->thread.stack = 0;
            inbox_init(&t->inbox);
            t->loop->user = t;
            t->loop->conn_fn = g->conn_fn;
            return t;
        }
        nm_wakeup_close(&t->wake);
    }
    if (t->loop) nm_loop_close(t->loop);
    nm_pool_put(&nm_loop_thread_pool, t);
    return 0;
}

int nm_group_open(nm_loop_group *g, nm_server *s, int count, nm_io_fn conn_fn)
{
    memset(g, 0, sizeof(*g));
    g->srv = s;
    g->conn_fn = conn_fn;
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
        if (g->loops[i] != self) nm_wakeup_signal(&g->loops[i]->wake);
}

int nm_group_turn(nm_loop_thread *t)
{
    nm_loop *l = t->loop;
    __atomic_store_n(&t->sleeping, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int cap = l->max_wait_ms;
    if (__atomic_load_n(&t->inbox.tail, __ATOMIC_RELAXED) != t->inbox.head) l->max_wait_ms = -1;   /* posted meanwhile: look, don't sleep */
    int n = nm_loop_wait(l);
    l->max_wait_ms = cap;
    __atomic_store_n(&t->sleeping, 0, __ATOMIC_RELAXED);
    nm_loop_dispatch(l, n);
    take_inbox(t);
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

int nm_cpu_count(int cap)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > cap ? cap : (int)n;
}
