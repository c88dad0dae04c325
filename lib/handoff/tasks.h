/* tasks.h - short-lived threads that borrow a connection from its loop.
 *
 * The loop lends the connection (its events ignored, no timer), a thread on
 * a stack from the static pool runs the group's task function on it, and the
 * finished task is posted back to the loop (nm_loop_post), which joins the
 * thread (its stack goes back to the pool) and calls its on_return. When no
 * thread or stack is left, the connection waits in its loop's waiting list,
 * linked through its wait entry (conn.h: nm_conn.wait; no capacity of its own, so nothing is lost
 * however many wait), and is tried again, oldest first, after every round of
 * the loop; a stopping loop closes those still waiting at its drain deadline. */
#ifndef NM_TASKS_H
#define NM_TASKS_H

#include "../base/thread.h"
#include "../loop/conn.h"
#include "loop_group.h"

struct nm_task {
    nm_thread thread;
    nm_conn *conn;
    nm_loop_thread *home;
    nm_posting posted;    /* how a finished task goes home (nm_loop_post) */
    int want;             /* what the task function answered: its connection's on_return is given it */
};

/* c must already be lent (nm_conn_lend or nm_conn_lend_io). */
void nm_task_lend(nm_loop *l, nm_conn *c);
/* The group's on_turn. */
NM_CALLBACK void nm_tasks_retry(nm_loop_thread *t);

#endif
