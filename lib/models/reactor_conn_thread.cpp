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

static void read_and_write(nm_conn *c) { (void)nm_session_drive(c); }

static void on_ready(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_conn_lend_io(l, (nm_conn *)ctx);
    nm_task_lend(l, (nm_conn *)ctx);
}

/* What the session said it waits for, read back from its state. */
static void take_back(nm_loop *l, nm_conn *c, int)
{
    int io = nm_session_next_io(c);
    int want = io == NM_IO_SEND ? (int)NM_WRITE : io == NM_IO_PARK ? (int)NM_PARK : io == NM_IO_RECV ? nm_session_read_want(c) : 0;
    nm_conn_reclaim(l, c, want);
}

int nm_model_reactor_conn_thread(nm_server *s)
{
    int subs = NM_RUN_SIZE(s->cfg.threads, NM_SUB_LOOPS, NM_MAX_LOOPS - 1, "--threads");
    if (subs < 0) return NM_ERR_USAGE;
    nm_reactors r;
    nm_reactors_init(&r, subs, 0);
    r.conn_fn = on_ready;
    r.on_return = take_back;
    r.task = read_and_write;
    r.task_name = "nm-conn-io";
    return nm_reactors_run(s, &r);
}
