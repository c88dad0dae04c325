#include "tasks.h"
#include "loop_group.h"
#include "pool.h"
#include "signals.h"
#include <sched.h>

extern nm_pool nm_task_pool;

static void *task_main(void *arg)
{
    nm_task *t = (nm_task *)arg;
    nm_thread_name(t->name);
    nm_signals_leave_to_loops();
    t->fn(t->conn);
    nm_loop_thread *home = t->home;
    /* Cannot be full: the connection holds no other place in any inbox. */
    while (nm_group_post(home, t, NM_POST_TASK)) sched_yield();
    return 0;
}

void nm_task_lend(nm_loop *l, nm_conn *c, void (*fn)(nm_conn *c), const char *name)
{
    nm_loop_thread *home = nm_loop_thread_of(l);
    nm_task *t = (nm_task *)nm_pool_get(&nm_task_pool);
    if (t) {
        t->conn = c;
        t->home = home;
        t->fn = fn;
        t->name = name;
        if (!nm_thread_start(&t->thread, task_main, t)) {
            home->lent++;
            return;
        }
        nm_pool_put(&nm_task_pool, t);
    }
    nm_group_defer(home, c);
}

void nm_task_finished(nm_loop *l, void *task)
{
    nm_task *t = (nm_task *)task;
    nm_conn *c = t->conn;
    nm_thread_join(&t->thread);
    nm_pool_put(&nm_task_pool, t);
    nm_loop_thread_of(l)->lent--;
    nm_group_nudge(nm_loop_thread_of(l));
    nm_loop_thread_of(l)->group->on_return(l, c);
}
