/* pipeline - a request goes through three stages, each on its own thread,
 * joined by bounded queues:
 *
 *   read+parse (an event loop)  ->  handle (runs the handler, which also
 *   serializes the answer into the output queue)  ->  write (sends what the
 *   socket takes)  ->  back to the loop, which waits out a full socket and
 *   reads the next request.
 *
 * A connection has one request in the pipeline at a time and every stage
 * is one thread taking its queue in order, so each connection's answers
 * leave in the order its requests came. A full first queue makes the
 * connection wait in the loop's queue (loop.h: nm_loop_queue); later
 * stages wait for room. */
#include "../handoff/offload.h"
#include "../base/thread.h"
#include "../session/session.h"

struct pipeline {
    nm_offload parse;
    nm_queue to_handle, to_write;
};

static int to_handler(nm_offload *o, nm_conn *c)
{
    return nm_queue_try_push_quiet(&((pipeline *)o->ctx)->to_handle, c);
}

static void wake_handler(nm_offload *o) { nm_queue_wake(&((pipeline *)o->ctx)->to_handle); }

static void *handle_stage(void *arg)
{
    pipeline *p = (pipeline *)arg;
    nm_thread_name("nm-handle");
    for (nm_conn *c; (c = (nm_conn *)nm_queue_pop(&p->to_handle));) {
        nm_lend_answer(c);
        nm_queue_push(&p->to_write, c);
    }
    nm_queue_close(&p->to_write);
    return 0;
}

static void *write_stage(void *arg)
{
    pipeline *p = (pipeline *)arg;
    nm_thread_name("nm-write");
    for (nm_conn *c; (c = (nm_conn *)nm_queue_pop(&p->to_write));) {
        nm_session_flush(c);   /* what is left (EAGAIN) the loop finishes */
        nm_lend_return(c);
    }
    return 0;
}

int nm_model_pipeline(nm_server *s)
{
    /* the server's, on nm_run's stack (under 5 KiB: two queues) */
    pipeline p;
    nm_thread handler, writer;
    const nm_pool_claim need[] = { { &nm_loop_pool, 1 }, { &nm_loop_thread_pool, 1 }, { &nm_stack_pool, 2 } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    nm_session_handoff(s);
    if (nm_offload_open(&p.parse, s, to_handler, &p)) return NM_ERR_SYSTEM;
    nm_queue_init(&p.to_handle, 0);
    nm_queue_init(&p.to_write, 0);
    p.parse.after_round = wake_handler;
    int rc = NM_ERR_SYSTEM;
    if (nm_thread_start(&handler, handle_stage, &p) == 0) {
        if (nm_thread_start(&writer, write_stage, &p) == 0) {
            while (!nm_offload_turn(&p.parse)) {}
            rc = NM_OK;
        }
        nm_queue_close(&p.to_handle);
        nm_thread_join(&handler);
        if (rc == NM_OK) nm_thread_join(&writer);
    }
    nm_queue_destroy(&p.to_write);
    nm_queue_destroy(&p.to_handle);
    nm_offload_close(&p.parse);
    return rc;
}
