/* acceptor.h - the accepting thread of a model whose own threads serve
 * connections with blocking I/O (a crew of workers fed by a queue, or a
 * thread a connection).
 *
 * The thread that called nm_run accepts (lib/loop/blocking.h: it looks at
 * the stop every NM_STOP_POLL_MS and runs the application's callbacks
 * between accepts) and offers each connection to the model's place. With no
 * room at once it holds the connection and waits for room, in bursts only
 * (nm_room_wait: up to the server's queue_wait_ms); one that finds none is
 * refused (503 for HTTP, counted) and closed; nothing grows. */
#ifndef NM_ACCEPTOR_H
#define NM_ACCEPTOR_H

#include "../loop/blocking.h"

struct nm_acceptor {
    /* Room for c, waiting no later than until (0: no wait): 1 once c is
     * placed, 0 when there is no room yet, -1 when there was room but c
     * could not go there (refused at once). */
    int (*place)(void *arg, nm_conn *c, uint64_t until);
    void *arg;
    /* For the model's clients_wait: 1 while the acceptor holds a
     * connection that found no room at once. */
    int waiting;
    nm_conn *held;   /* (the connection being placed) */
};

/* Announce the server, then accept and place connections until the stop. */
void nm_accept_loop(nm_server *s, nm_acceptor *a);
/* Has the acceptor a connection waiting for room? (any thread) */
int nm_acceptor_waiting(const nm_acceptor *a);

#endif
