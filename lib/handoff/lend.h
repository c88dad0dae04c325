/* lend.h - answering a connection's requests away from the loop that owns it.
 *
 * The owning loop does all the reading and writing. When a whole request is
 * buffered (its server hands off: the session answers NM_ACT_HANDOFF) it
 * lends the connection (flagged NM_CF_BUSY, its events ignored, no timer)
 * to whoever runs handlers - a worker pool, a task thread - through the
 * group's dispatch; that thread answers the complete requests in order
 * (nm_lend_answer) and gives the connection back (nm_lend_return, through
 * the loop's nm_loop_post); the loop tells the session NM_ON_RETURNED,
 * which writes the answers and reads on. A connection is lent to one
 * thread at a time, so pipelined requests keep their order. */
#ifndef NM_LEND_H
#define NM_LEND_H

#include "loop_group.h"

/* Loop side. */
void nm_conn_lend(nm_loop *l, nm_conn *c);
/* Lend a connection's I/O itself: no timer, events ignored, and owned by no
 * loop (a stopping loop leaves it alone) until nm_conn_reclaim. */
void nm_conn_lend_io(nm_loop *l, nm_conn *c);
/* Take a lent connection back and rearm it for what it wants (loop.h:
 * nm_loop_rearm, its deadline counted from now): an on_return. */
NM_CALLBACK void nm_conn_reclaim(nm_loop *l, nm_conn *c, int want);
/* Tell the session c is ready (NM_ON_READY) and do what it answers: lend
 * it on NM_ACT_HANDOFF (its server hands off: nm_session_handoff), else as
 * any loop (nm_loop_act). A lending loop's serving of a connection, for its
 * channel and for its kick. */
NM_CALLBACK void nm_lend_serve(nm_loop *l, nm_conn *c);
/* The channel callback of a lending loop. */
NM_CALLBACK void nm_lend_io(nm_loop *l, int fd, int mask, void *ctx);
/* The loop's on_return: c is home, the session is told NM_ON_RETURNED (the
 * answers are queued: it writes them and reads on) and its action done.
 * The loop's own thread may call it at once when it answered c itself. */
NM_CALLBACK void nm_lend_resume(nm_loop *l, nm_conn *c, int want);

/* Borrower side: answer the complete requests buffered (not the I/O: the
 * session's handle op, one call), */
NM_CALLBACK void nm_lend_answer(nm_conn *c);
/* then give c back to the loop that owns it (any thread; never waits). */
void nm_lend_return(nm_conn *c);

/* Worker pools: a group dispatch that queues the connection to the
 * nm_workers in group->user, and the workers' run function. */
NM_CALLBACK int nm_lend_to_workers(nm_loop *l, nm_conn *c);
NM_CALLBACK void nm_lend_work(void *conn);
/* The group's on_turn with a worker pool: wake workers for the round's requests. */
NM_CALLBACK void nm_lend_wake_workers(nm_loop_thread *t);

#endif
