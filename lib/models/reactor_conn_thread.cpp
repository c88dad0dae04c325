/* reactor_conn_thread - the main loop accepts and hands connections
 * round-robin to N sub-loops; a sub-loop only waits: when one of its
 * connections is ready it lends it to a new short-lived thread (stack from
 * the static pool) that does its reads, handler calls and writes until the
 * socket would block, and ends. The sub-loop joins that thread, takes the
 * connection back and watches it again. --threads N sub-loops (default:
 * one per CPU). With no stack left a ready connection waits for one. */
#include "../handoff/reactors.h"
#include "../handoff/lend.h"
#include "../handoff/tasks.h"
#include "../session/session.h"

/* On the task thread: as far as the socket allows, then what the session
 * answers travels home with the task, as what the connection wants there
 * (its deadline counted once home): NM_READ or NM_WRITE to wait for,
 * NM_PARK, NM_QUEUE, or 0 to close. */
static int read_and_write(nm_conn *c)
{
    nm_action a = nm_session_on(c, NM_ON_READY);
    return a.kind == NM_ACT_WAIT ? a.io : a.kind == NM_ACT_PARK ? (int)NM_PARK : a.kind == NM_ACT_QUEUE ? (int)NM_QUEUE : 0;
}

static void on_ready(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_conn_lend_io(l, (nm_conn *)ctx);
    nm_task_lend(l, (nm_conn *)ctx);
}

int nm_model_reactor_conn_thread(nm_server *s)
{
    int subs = NM_RUN_SIZE(s->cfg.threads, NM_SUB_LOOPS, NM_MAX_LOOPS - 1, "--threads");
    if (subs < 0) return NM_ERR_USAGE;
    nm_reactors r;
    nm_reactors_init(&r, subs, 0);
    r.conn_fn = on_ready;
    r.on_return = nm_conn_reclaim;   /* what the task thread's session answered, done here */
    r.task = read_and_write;
    r.task_name = "nm-conn-io";
    return nm_reactors_run(s, &r);
}
