/* blocking.h - what the models with blocking I/O share: serving a connection
 * on a blocking socket so that a stop can reach it, accepting so that a stop
 * is seen, and refusing a connection that no thread or process can take.
 *
 * Waking threads out of blocking calls: a signal reaches one thread only, and
 * one that lands just before a blocking call is lost. So the listener gets a
 * receive timeout (accept() returns every NM_STOP_POLL_MS and looks at the
 * stop flag), and a stopping model shuts down the read side of every
 * connection it serves: a thread blocked in recv() sees end-of-file at once,
 * answers what it has and closes. Connections are closed under the same lock
 * that the shutdown takes, so a shutdown never reaches a reused descriptor. */
#ifndef NM_BLOCKING_H
#define NM_BLOCKING_H

#include "conn.h"

/* Around fork(): hold the close lock (1), give it back (0). */
void nm_blocking_fork_hold(int hold);

/* Make accept() on the listener return at least every NM_STOP_POLL_MS. */
void nm_blocking_listener(int listen_fd);
/* Accept one connection in blocking mode, counted in the in_accept gauge.
 * NULL when nothing came (timeout, signal, refusal). */
nm_conn *nm_blocking_accept(nm_server *s);

/* A worker serves one connection at a time; with more clients than workers,
 * one that has held its connection for cfg.yield_slice_ms while others wait
 * gives it up: the answer that leaves the connection with nothing buffered
 * carries "close" where the protocol's head can say so (HTTP; the session
 * asks s->clients_wait), and the connection is closed once idle at a step
 * (the slice's length when it was taken while others waited, else
 * NM_STOP_POLL_MS), or idle NM_IDLE_YIELD_MS whatever its slice. Time a
 * connection spent waiting for a worker does not count against its client:
 * its header deadline starts when a worker takes it. */
/* s->clients_wait for a model whose waiting clients are in the listener's
 * backlog: is a connection there to accept? */
int nm_listener_pending(const nm_server *s);
/* The blocking worker: serve c on its blocking socket until it ends,
 * through the session's events and actions (session.h), not closing it.
 * A connection with no buffer for its next request or answer (NM_ACT_QUEUE)
 * waits for one up to queue_wait_ms, then is refused; a paused body
 * (NM_ACT_PARK) waits for its resume. */
void nm_blocking_run(nm_conn *c);
/* Serve until the connection ends, then close it (under the lock). */
void nm_blocking_serve(nm_conn *c);
/* Close a connection that was never served (under the lock). */
void nm_blocking_close(nm_conn *c);
/* Refuse (nm_refuse: 503 for HTTP, counted), then close. */
void nm_blocking_refuse(nm_conn *c);
/* shutdown(how) every open connection of s: SHUT_RD ends idle reads,
 * SHUT_RDWR also breaks writes to peers that stopped reading. */
void nm_blocking_wake(const nm_server *s, int how);

/* Waiting for room (a free thread, child or place in a queue), in bursts
 * only: found(arg, until) says 1 once there is room, waiting no later than
 * until. nm_room_wait asks it once with until 0 (no wait: room at once is
 * the usual case), then in steps of NM_STOP_POLL_MS (a stop ends the wait)
 * up to the server's queue_wait_ms, the bound every queued request has;
 * once a wait has run out, later waits ask once and refuse at once until
 * room is found again. Returns found's last answer: nonzero once room is
 * found (1; a found may say -1: room, but the item could not go there). */
struct nm_room { uint64_t full_since; };
int nm_room_wait(nm_room *r, const nm_server *s, int (*found)(void *arg, uint64_t until), void *arg);
/* found for a bounded queue: a room_push names the queue and the item */
struct nm_room_push { struct nm_queue *q; void *item; };
int nm_room_pushed(void *push, uint64_t until);

#endif
