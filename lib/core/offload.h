/* offload.h - the I/O side of models that answer requests on other threads.
 *
 * An event loop (any port) accepts, reads and frames requests. A connection
 * with a whole request buffered is handed away: marked NM_CF_BUSY, unwatched,
 * its timer stopped, so that only the thread holding it touches it. Whoever
 * answered it gives it back through the loop's return queue (and wakes the
 * loop), and the loop writes the answer and reads on. One request per
 * connection is away at a time, so answers keep the order of the requests.
 *
 * The model supplies `hand`: where a connection with a request goes. */
#ifndef NM_OFFLOAD_H
#define NM_OFFLOAD_H

#include "loop.h"
#include "queue.h"
#include "wakeup.h"

struct nm_offload {
    nm_loop *loop;
    nm_wakeup wake;       /* rung when connections come back */
    nm_queue returns;     /* connections answered elsewhere, back to the loop */
    /* Take c (its request is whole); 0, or -1 to refuse it (a full queue). */
    int (*hand)(nm_offload *o, nm_conn *c);
    void *ctx;            /* the model's */
};

/* Open the loop (watching the listener) and the return path. 0 or -1. */
int nm_offload_open(nm_offload *o, nm_server *s, int (*hand)(nm_offload *, nm_conn *), void *ctx);
void nm_offload_close(nm_offload *o);
/* One round: wait, dispatch, take returns, timers. 1 once stopped and drained. */
int nm_offload_turn(nm_offload *o);

/* The offload whose loop owns c (c->owner). */
nm_offload *nm_offload_of(const nm_conn *c);

/* Any thread: answer the request the loop found whole (parse, handler). */
void nm_offload_answer(nm_conn *c);
/* Any thread: give c back to its loop (waits while the return queue is full). */
void nm_offload_return(nm_offload *o, nm_conn *c);
/* The loop's own thread: take c back at once (it answered c itself). */
void nm_offload_resume(nm_offload *o, nm_conn *c);

#endif
