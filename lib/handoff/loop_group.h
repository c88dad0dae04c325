/* loop_group.h - one loop per thread.
 *
 * A loop thread is an event loop run by a thread of its own. Other threads
 * reach it through the loop's one verb, nm_loop_post (loop/loop.h): a new
 * connection to adopt, a connection coming back from whoever answered it, a
 * finished task thread. A connection's state is therefore only ever touched
 * by the thread of the loop that owns it, or by the one thread it was lent
 * to while flagged NM_CF_BUSY.
 *
 * A group is N such loops: loop 0 runs on the thread that calls
 * nm_group_run_first, the others each on a thread from the static stack pool. */
#ifndef NM_LOOP_GROUP_H
#define NM_LOOP_GROUP_H

#include "../loop/loop.h"
#include "../base/thread.h"

/* For functions whose address other files take (callbacks): bound inside
 * the library, so taking it needs no global offset table. */
#define NM_CALLBACK __attribute__((visibility("hidden")))

struct nm_loop_group;

struct nm_loop_thread {
    nm_loop *loop;
    nm_link waiting;      /* connections waiting for a task thread (tasks.h), oldest first */
    int index;
    nm_loop_group *group;
    nm_thread thread;
};

struct nm_loop_group {
    nm_server *srv;
    int count;
    nm_loop_thread *loops[NM_MAX_LOOPS];
    unsigned next;                                /* round-robin placement */
    nm_io_fn conn_fn;                             /* readiness of an owned connection */
    void (*on_return)(nm_loop *l, nm_conn *c, int want);   /* a lent connection is back (loop.h) */
    void (*on_turn)(nm_loop_thread *t);           /* after each round of a loop, or NULL */
    int (*task)(nm_conn *c);                      /* what a task thread runs (tasks.h): the want for on_return */
    const char *task_name;
    int (*dispatch)(nm_loop *l, nm_conn *c);      /* lend a busy connection (lend.h) */
    const char *thread_name;                      /* loops 1..N-1 are named NAME1, NAME2... */
    void *user;                                   /* the model's, e.g. its worker pool */
};

/* Open `count` loops (every descriptor of the group, so the server can be
 * announced right after), serving their connections with conn_fn and taking
 * returned ones with on_return (NULL: loop.h's default); no thread runs yet.
 * 0, or -1 with everything closed again. */
int nm_group_open(nm_loop_group *g, nm_server *s, int count, nm_io_fn conn_fn,
                  void (*on_return)(nm_loop *l, nm_conn *c, int want));
/* Start loops 1..count-1 on their threads; -1 when the stack pool is short. */
int nm_group_start(nm_loop_group *g);
/* Run loop 0 on the calling thread until the server stops, then wake and
 * join the others, close what was still in flight to them, close the group. */
void nm_group_run_first(nm_loop_group *g);
/* One round of a loop: wait, dispatch, what was posted, timers, the
 * group's on_turn. 1 once the loop is stopped and drained. */
int nm_group_turn(nm_loop_thread *t);
/* Close the loops of a group whose threads have ended (or never started). */
void nm_group_close(nm_loop_group *g);
/* Stop and close a group whose threads may be partly started (start-up failure). */
void nm_group_abort(nm_loop_group *g);

nm_loop_thread *nm_loop_thread_of(const nm_loop *l);

/* An l->place for an accepting loop: hand each new connection to the next of
 * loops 1..N-1 in turn (round-robin). */
NM_CALLBACK int nm_group_place_round_robin(nm_loop *l, nm_conn *c);

/* Channel callbacks shared by the loop models: the acceptor (accepts a
 * batch, places each with l->place or adopts it) and an owned connection
 * served on its loop (nm_loop_serve). */
NM_CALLBACK void nm_accept_io(nm_loop *l, int fd, int mask, void *ctx);
NM_CALLBACK void nm_serve_io(nm_loop *l, int fd, int mask, void *ctx);

/* Name the calling thread NAME<index> (or NAME when index < 0), e.g. "nm-worker2". */
void nm_thread_name_nr(const char *name, int index);

#endif
