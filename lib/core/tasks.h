/* tasks.h - short-lived threads that borrow a connection from its loop.
 *
 * The loop flags the connection NM_CF_BUSY and stops watching it, a thread on
 * a stack from the static pool runs fn(conn), and the finished task is
 * posted back to the loop, which joins the thread (its stack goes back to
 * the pool) and calls the group's on_return. When no thread or stack is
 * left, the connection waits in its loop's inbox until one is. */
#ifndef NM_TASKS_H
#define NM_TASKS_H

#include "thread.h"
#include "conn.h"
#include "loop_group.h"

struct nm_loop;
struct nm_loop_thread;

struct nm_task {
    nm_thread thread;
    nm_conn *conn;
    nm_loop_thread *home;
    void (*fn)(nm_conn *c);
    const char *name;
};

/* c must already be lent (nm_conn_lend). */
void nm_task_lend(nm_loop *l, nm_conn *c, void (*fn)(nm_conn *c), const char *name);
/* The group's on_task. */
NM_CALLBACK void nm_task_finished(nm_loop *l, void *task);

#endif
