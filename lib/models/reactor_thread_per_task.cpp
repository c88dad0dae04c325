/* reactor_thread_per_task - one reactor does the I/O and starts a thread
 * for each request: once a whole request is buffered the connection is lent
 * to a new short-lived thread (stack from the static pool) that runs the
 * handler and ends; the reactor joins it, writes the answer and reads on.
 * A connection is lent to one thread at a time, so pipelined requests are
 * answered in order. With no stack left a request waits for one. */
#include "../handoff/reactors.h"
#include "../handoff/lend.h"
#include "../handoff/tasks.h"
#include "../session/session.h"

static int start_task(nm_loop *l, nm_conn *c)
{
    nm_task_lend(l, c);
    return 0;
}

/* On the task thread: the handler; its loop reads on (nm_lend_resume). */
static int answer(nm_conn *c)
{
    nm_lend_answer(c);
    return NM_READ;
}

int nm_model_reactor_thread_per_task(nm_server *s)
{
    nm_session_handoff(s);
    nm_reactors r;
    nm_reactors_init(&r, 0, 0);
    r.conn_fn = nm_lend_io;
    r.dispatch = start_task;
    r.task = answer;
    r.task_name = "nm-task";
    return nm_reactors_run(s, &r);
}
