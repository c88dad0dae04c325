/* model_state.h - the per-server state of the models whose state is too big
 * for nm_run's stack (a mailbox or a deque per worker: about 20 KiB each at
 * the default capacities; nm_run runs on the program's thread, whose stack
 * the library does not size). Each is a table of NM_MAX_SERVERS entries, a
 * line of lib/pools.def, indexed by nm_server_index(). Models with a few
 * KiB of state or less keep it on nm_run's stack instead. */
#ifndef NM_MODEL_STATE_H
#define NM_MODEL_STATE_H

#include "../base/deque.h"
#include "../base/mailbox.h"
#include "../base/thread.h"
#include "../handoff/offload.h"
#include "../loop/loop.h"

/* actor */
struct nm_actor_state;
struct nm_actor_worker {
    nm_actor_state *st;
    nm_mailbox inbox;
    nm_thread thread;
    nm_loop *loop;
    int held;        /* connections taken and not yet reported gone */
};
struct nm_actor_state {
    nm_mailbox acceptor_inbox;
    nm_loop *acceptor;        /* the acceptor's loop: a connection no mailbox takes waits in its queue */
    nm_actor_worker workers[NM_MAX_LOOPS];
    int worker_count;
    int load[NM_MAX_LOOPS];   /* the acceptor's belief, from messages only */
    unsigned long *mailbox_full, *load_spread, *load_known;
};

/* work_stealing */
struct nm_steal_state;
struct nm_steal_worker {
    nm_steal_state *st;
    nm_offload io;
    nm_deque tasks;
    nm_thread thread;
    unsigned seed;
    int told_stop;
    int called;      /* a peer was woken to steal in this round */
};
struct nm_steal_state {
    nm_steal_worker workers[NM_MAX_LOOPS];
    int worker_count;
    unsigned long *steals, *steal_wakes;
};

#endif
