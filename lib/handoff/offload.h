/* offload.h - the I/O side of models whose own threads answer requests.
 *
 * An event loop (any port) accepts, reads and frames requests. A connection
 * with a whole request buffered is lent away (lend.h: flagged NM_CF_BUSY, its
 * events ignored, its timer stopped), so that only the thread holding it
 * touches it. Whoever answered it (nm_lend_answer) gives it back
 * (nm_lend_return: the loop's nm_loop_post, one wakeup for a batch), and the
 * loop writes the answer and reads on. One
 * request per connection is away at a time, so answers keep the order of the
 * requests. It is a loop group of one loop whose dispatch is the model's
 * `hand`, run round by round by the model's own thread.
 *
 * The model supplies `hand`: where a connection with a request goes. */
#ifndef NM_OFFLOAD_H
#define NM_OFFLOAD_H

#include "loop_group.h"
#include "lend.h"
#include "../base/queue.h"

struct nm_offload {
    nm_loop_group group;
    nm_loop *loop;        /* the group's one loop */
    /* Take c (its request is whole); 0, or -1: a full queue (c waits in the loop's queue). */
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

#endif
