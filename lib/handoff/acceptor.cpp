#include "acceptor.h"

/* nm_room_wait's found: the model's place, for the connection held. */
static int room_for(void *arg, uint64_t until)
{
    nm_acceptor *a = (nm_acceptor *)arg;
    int got = a->place(a->arg, a->held, until);
    if (!got) __atomic_store_n(&a->waiting, 1, __ATOMIC_RELAXED);
    return got;
}

void nm_accept_loop(nm_server *s, nm_acceptor *a)
{
    a->waiting = 0;
    nm_blocking_listener(s->listen_fd);
    nm_announce(s);
    nm_room room = { 0 };
    while (!nm_stop_requested(s)) {
        nm_conn *c = nm_blocking_accept(s);
        if (!c) continue;
        a->held = c;
        int got = nm_room_wait(&room, s, room_for, a);
        __atomic_store_n(&a->waiting, 0, __ATOMIC_RELAXED);
        if (got <= 0) nm_blocking_refuse(c);
    }
}

int nm_acceptor_waiting(const nm_acceptor *a) { return __atomic_load_n(&a->waiting, __ATOMIC_RELAXED); }
