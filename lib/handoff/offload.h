/* offload.h - the I/O side of models whose own threads answer requests.
 *
 * An event loop (any port) accepts, reads and frames requests. A connection
 * with a whole request buffered is lent away (lend.h: flagged NM_CF_BUSY, its
 * events ignored, its timer stopped), so that only the thread holding it
 * touches it. Whoever answered it gives it back through the loop's inbox
 * (one wakeup for a batch), and the loop writes the answer and reads on. One
 * request per connection is away at a time, so answers keep the order of the
 * requests. It is a loop group of one loop whose dispatch is the model's
 * `hand`, run round by round by the model's own thread.
 *
 * The model supplies `hand`: where a connection with a request goes. */
#ifndef NM_OFFLOAD_H
#define NM_OFFLOAD_H

#include "loop_group.h"
#include "../base/queue.h"

struct nm_offload {
    nm_loop_group group;
    nm_loop *loop;        /* the group's one loop */
    /* Take c (its request is whole); 0, or -1 to refuse it (a full queue). */
    int (*hand)(nm_offload *o, nm_conn *c);
    void *ctx;            /* the model's */
    /* After each round of the loop, or NULL: e.g. wake the threads that
     * take what `hand` queued quietly during the round. */
    void (*after_round)(nm_offload *o);
};

/* Open the loop (watching the listener) and the return path. 0 or -1. */
int nm_offload_open(nm_offload *o, nm_server *s, int (*hand)(nm_offload *, nm_conn *), void *ctx);
void nm_offload_close(nm_offload *o);
/* One round: wait, dispatch, take returns, timers. 1 once stopped and drained. */
int nm_offload_turn(nm_offload *o);
/* Wake the loop's thread (e.g. to come and steal). */
void nm_offload_wake(nm_offload *o);
/* Wake it only if it sleeps and is not being woken already (nm_group_nudge): 1 if this rang. */
int nm_offload_nudge(nm_offload *o);

/* The offload whose loop owns c (c->owner). */
nm_offload *nm_offload_of(const nm_conn *c);

/* Any thread: answer the requests the loop found whole (parse, handler). */
void nm_offload_answer(nm_conn *c);
/* Any thread: give c back to its loop. */
void nm_offload_return(nm_offload *o, nm_conn *c);
/* The loop's own thread: take c back at once (it answered c itself). */
void nm_offload_resume(nm_offload *o, nm_conn *c);

#endif
