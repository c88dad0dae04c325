/* accept.h - taking connections off a listener, with every refusal counted. */
#ifndef NM_ACCEPT_H
#define NM_ACCEPT_H

#include "conn.h"

/* Accept one connection from s->listen_fd and give it a slot.
 * Returns the connection; or NULL with *more = 1 when one was refused
 * (no slot, fd out of range, EMFILE: answered 503 or closed, counted) and
 * the caller may try again; or NULL with *more = 0 when nothing is waiting.
 * `nonblocking` sets O_NONBLOCK on the new socket. */
nm_conn *nm_accept(nm_server *s, int nonblocking, int *more);

/* Accept a batch (NM_ACCEPT_BATCH at most, until nothing waits) and hand
 * each connection to take(c, ctx); refusals are counted by nm_accept. */
void nm_accept_each(nm_server *s, int nonblocking, void (*take)(nm_conn *c, void *ctx), void *ctx);

/* The one refusal: send the protocol's answer to a connection refused
 * unread (s->refusal: 503 for HTTP), without a buffer and without waiting,
 * and count it. The caller closes fd. */
void nm_refuse(nm_server *s, int fd);
/* Accepting fails for a reason that does not clear at once (out of
 * descriptors, memory): pause NM_ACCEPT_BACKOFF_MS instead of spinning. */
void nm_accept_backoff(void);

/* A spare descriptor, so that EMFILE can still accept-and-close. */
void nm_reserve_fd_open(void);
/* Around fork(): hold the spare descriptor's lock (1), give it back (0). */
void nm_accept_fork_hold(int hold);

#endif
