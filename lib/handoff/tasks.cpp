#include "tasks.h"
#include "loop_group.h"
#include "../base/pool.h"
#include "../base/signals.h"

extern nm_pool nm_task_pool;

/* On the home loop's thread: join the thread (its stack goes back to the
 * pool) and take the connection back; the freed stack goes to a waiting
 * connection at the end of the round. The connection's on_return finds
 * what to do next (the session's action, asked there or carried home). */
static void finished(nm_posting *posted)
{
    nm_task *t = NM_CONTAINER_OF(posted, nm_task, posted);
    nm_loop *l = t->home->loop;
    nm_conn *c = t->conn;
    int want = t->want;
    nm_thread_join(&t->thread);
    nm_pool_put(&nm_task_pool, t);
    l->on_return(l, c, want);
}

static void *task_main(void *arg)
{
    nm_task *t = (nm_task *)arg;
    nm_loop_group *g = t->home->group;
    nm_thread_name(g->task_name);
    nm_signals_leave_to_loops();
    t->want = g->task(t->conn);
    nm_loop_post(t->home->loop, &t->posted, finished);
    return 0;
}

/* 0, or -1 when no task or thread is left. */
static int start(nm_loop_thread *home, nm_conn *c)
{
    nm_task *t = (nm_task *)nm_pool_get(&nm_task_pool);
    if (!t) return -1;
    t->conn = c;
    t->home = home;
    if (!nm_thread_start(&t->thread, task_main, t)) return 0;
    nm_pool_put(&nm_task_pool, t);
    return -1;
}

/* c waits (before `at`: at the tail of the list at is the head of), or
 * waits no more. */
static void wait_at(nm_link *at, nm_conn *c)
{
    nm_conn_link_job(c, NM_LJ_TIMER, NM_LJ_WAITING);
    nm_link_push(at, &c->wait.link);
}

static void wait_end(nm_conn *c)
{
    nm_link_remove(&c->wait.link);
    nm_conn_link_timer(c, NM_LJ_WAITING, nm_loop_conn_timeout);
}

/* While connections wait, the loop wakes every tick to try them: a stack
 * may come free in another loop, which posts nothing here. */
static void nap(nm_loop_thread *t) { t->loop->max_wait_ms = nm_link_empty(&t->waiting) ? 0 : NM_TIMER_TICK_MS; }

void nm_task_lend(nm_loop *l, nm_conn *c)
{
    nm_loop_thread *home = nm_loop_thread_of(l);
    if (nm_link_empty(&home->waiting) && !start(home, c)) return;   /* none overtakes those waiting */
    wait_at(&home->waiting, c);
    nap(home);
}

void nm_tasks_retry(nm_loop_thread *t)
{
    nm_loop *l = t->loop;
    int give_up = l->draining && l->now >= l->drain_deadline;
    while (!nm_link_empty(&t->waiting)) {
        nm_conn *c = nm_conn_of_wait(t->waiting.next);
        wait_end(c);
        if (give_up) {
            nm_loop_drop(l, c);
        } else if (start(t, c)) {
            wait_at(t->waiting.next, c);   /* still none: back at the head */
            break;
        }
    }
    nap(t);
}
