/* pause.h - a streaming request body paused by its callback (NM_BODY_PAUSE)
 * and resumed from any thread (nm_body_resume).
 *
 * One word per connection, shared with the threads that resume: the slot's
 * generation (a resume meant for a closed connection matches nothing) and a
 * state. Whoever moves the word owns the next step:
 *
 *   STREAM  --callback pauses--> ASKED --owner parks--> PARKED (a loop's)
 *                                                    or PARKED_BLOCKING
 *   a resume: STREAM -> WOKEN (the next pause is cancelled), ASKED -> STREAM
 *   (the owner drives on instead of parking), PARKED_BLOCKING -> STREAM and a
 *   futex wake, PARKED -> POSTED and a post to the loop that parked it,
 *   whose arrival makes it STREAM and drives it again.
 *
 * A parked connection is watched for nothing and has no timer: time spent
 * waiting for the application is not the client's. A loop that drops it
 * (its drain) takes it back with nm_pause_drop first, and leaves it alone
 * while a resume is on its way (POSTED). */
#ifndef NM_PAUSE_H
#define NM_PAUSE_H

#include "conn.h"

enum nm_pause_state {
    NM_PS_NONE = 0, NM_PS_STREAM, NM_PS_WOKEN, NM_PS_ASKED, NM_PS_PARKED, NM_PS_PARKED_BLOCKING, NM_PS_POSTED
};

static inline unsigned nm_pause_state_of(const nm_conn *c) { return __atomic_load_n(&c->pause, __ATOMIC_ACQUIRE) & 7u; }
/* The body waits for the application: nothing more is read. */
static inline int nm_paused(const nm_conn *c) { return nm_pause_state_of(c) >= NM_PS_ASKED; }

/* Owner: a body starts streaming to a callback. (nm_stream_end ends it.) */
static inline void nm_pause_open(nm_conn *c)
{
    __atomic_store_n(&c->pause, (nm_conn_gen(c) & 0x1fffffffu) << 3 | NM_PS_STREAM, __ATOMIC_RELEASE);
}
/* Owner: the callback returned NM_BODY_PAUSE. 1 paused, 0 a resume came first. */
int nm_pause_ask(nm_conn *c);
/* Owner of a blocking connection: wait until resumed (0) or stopped (-1). */
int nm_pause_wait(nm_conn *c);
/* Owner: park an ASKED connection for `loop`, which will be posted to when
 * it is resumed. 1 parked (or parked already: a stale readiness event drove
 * it), 0 a resume came first: it is POSTED, for the caller to post. */
int nm_pause_park(nm_conn *c, struct nm_loop *loop);
/* Owner, before closing a connection it may have parked: 1 it may close it
 * (a parked one is taken back), 0 a resume is on its way (POSTED). */
int nm_pause_drop(nm_conn *c);
/* Owner, when the resume's post arrives: STREAM again, the body deadline
 * restarted at `now`. */
void nm_pause_arrived(nm_conn *c, uint64_t now);

/* The owners' steps, reached through the server's `pausing`, which
 * nm_body_take sets (nm_pause_enable): only a body taken by a callback can
 * pause, and a firmware that never takes one links none of this. */
struct nm_pause_ops {
    int (*ask)(nm_conn *c);                    /* nm_pause_ask */
    int (*wait)(nm_conn *c);                   /* nm_pause_wait */
    void (*park)(struct nm_loop *l, nm_conn *c);   /* nm_loop_park */
    int (*drop)(nm_conn *c);                   /* nm_pause_drop */
};
void nm_pause_enable(nm_server *s);
/* Set before any body of c's server could pause (a paused state is published after it). */
static inline const nm_pause_ops *nm_pause_ops_of(const nm_conn *c) { return __atomic_load_n(&c->srv->pausing, __ATOMIC_RELAXED); }
/* A loop may close c (its drain): not while a resume is on its way to it. */
static inline int nm_pause_may_drop(nm_conn *c) { return !nm_paused(c) || nm_pause_ops_of(c)->drop(c); }

#endif
