/* handback.h - a connection served away from its event loop comes back to it.
 *
 * Models that let another thread drive a connection (leader_follower's
 * promoted leader, producer_consumer's consumers) take it out of the loop
 * while it is away: no watch, no timer, and an owner the loop's drain leaves
 * alone. The thread that served it sends it back with the readiness it wants
 * next (0: finished); the loop, woken, takes it back, re-arms or drops it.
 * Only the loop's thread ever touches the loop. */
#ifndef NM_HANDBACK_H
#define NM_HANDBACK_H

#include "../loop/loop.h"
#include "../base/wakeup.h"
#include <pthread.h>

/* Connections on their way back are linked through their timers, which are
 * stopped while they are away: however many come back at once, sending
 * never waits for room (a thread that waited could be the only one left to
 * take them). */
struct nm_handback {
    pthread_mutex_t lock;
    nm_link back;    /* connections coming back, oldest first */
    nm_wakeup w;
    char away;       /* c->owner points here while the connection is away */
};

/* Open the wakeup and watch it on l: 0, or -1. */
int nm_handback_open(nm_handback *h, nm_loop *l);
void nm_handback_close(nm_handback *h, nm_loop *l);

/* Loop thread: take c out of the loop (unwatched, no timer, owner = away). */
void nm_handback_away(nm_handback *h, nm_loop *l, nm_conn *c);
/* Serving thread: send c back, wanting `want` (NM_READ, NM_WRITE, or 0). */
void nm_handback_send(nm_conn *c, int want);
/* Loop thread: take every connection that came back; re-arm it, or drop it
 * when it is finished (or idle while the loop drains). `resume`, if given,
 * is then called for each one still open. */
void nm_handback_take(nm_handback *h, nm_loop *l, void (*resume)(nm_loop *l, nm_conn *c));

#endif
