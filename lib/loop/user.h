/* user.h - the application's own descriptors, timers and work, run on one
 * thread of the server (netmodels.h: nm_watch, nm_timer_start, nm_post).
 *
 * The tables below are the truth; a loop is what runs them. The first loop
 * a server opens on the thread that called nm_run (its main loop, for every
 * event model) takes them over: their fds go into its port, its waits end
 * by the next timer's due time (to the millisecond: not the wheel's tick),
 * and each round it runs the timers due and what was posted. A model with no
 * such loop (a blocking model, the parent of a multi-process model) calls
 * nm_user_wait between its blocking steps, which turns a private loop for
 * them. A child process runs none of them: they belong to the parent. */
#ifndef NM_USER_H
#define NM_USER_H

#include "../base/timer.h"
#include "../netmodels.h"
#include <pthread.h>

struct nm_loop;

struct nm_user_watch {
    int fd;               /* -1: free */
    uint8_t events;
    nm_fd_fn fn;
    void *arg;
};

/* A timer's slot is claimed (atomically, by any thread: the id is known at
 * once) and then run by the server's thread: armed there, directly or
 * through a post, and let go there when it ends. */
struct nm_user_timer {
    uint64_t due;         /* ms (nm_now_ms) */
    unsigned period_ms;   /* 0: once */
    uint16_t gen;         /* in the id: a stopped timer's id does not stop its successor (atomic) */
    uint8_t used;         /* armed: the server's thread only */
    uint8_t cancelled;    /* stopped before its arming arrived: the server's thread only */
    int claimed;          /* the slot is some timer's, armed or on its way (atomic) */
    nm_call_fn fn;
    void *arg;
};

/* nm_watch from another thread: its arguments, carried by a post to the
 * server's thread. */
struct nm_user_watch_call {
    int busy;             /* claimed by a caller until the server's thread ran it (atomic) */
    int fd, events;
    nm_fd_fn fn;
    void *arg;
};

struct nm_user_call { nm_call_fn fn; void *arg; };

/* The tables of a server's run, in a static array of their own (pools.def)
 * that only user_api.cpp, which holds nm_watch, nm_timer_start and
 * nm_post, takes: a program that calls none of them has none. */
struct nm_user_tables {
    nm_user_watch watch[NM_USER_WATCHES];
    nm_user_timer timer[NM_USER_TIMERS];
    nm_user_watch_call watch_call[NM_USER_WATCHES];
    /* Posted calls: a bounded ring with a sequence number per cell, so any
     * thread (a signal handler too) claims a cell with one compare-and-swap
     * and the running loop reads without a lock. */
    struct cell { unsigned seq; nm_user_call call; } ring[NM_USER_POSTS];
};

struct nm_user_svc {
    nm_user_tables *t;    /* NULL when the program links none of the calls that fill them */
    unsigned head, tail;  /* of t->ring */
    uint64_t next_due;    /* the earliest due time of a running timer; UINT64_MAX: none */
    nm_loop *home;        /* the loop that runs them now, or NULL */
    nm_loop *own;         /* the private loop of a model with none, or NULL */
    pthread_t thread;     /* the thread that called nm_run */
    uint8_t in_child;     /* this process is a child of the server's: none run here */
    uint8_t used;         /* a watch or timer was ever set: a blocking model must turn */
};

/* The calling thread runs them (the server's, in its process). */
static inline int nm_user_on_server_thread(const nm_user_svc *u)
{
    return !u->in_child && pthread_equal(pthread_self(), u->thread);
}

/* What runs the tables (user_api.cpp): set by the calls that fill them,
 * read by the loop side, so that neither links the other. */
struct nm_user_runner {
    void (*watch_all)(nm_user_svc *u, nm_loop *l);
    void (*run)(nm_user_svc *u, uint64_t now);
};
extern const nm_user_runner *nm_user_runner_set;
/* The server's tables, emptied, at nm_run. */
nm_user_tables *nm_user_tables_take(const nm_server *s);

/* The functions below are user_api.cpp's, with the calls that fill the
 * tables, and weak: a program that calls none of them links none of this,
 * and each does nothing (nm_user_wait: 0) as it would with no table. */
#define NM_USER_WEAK __attribute__((weak, visibility("hidden")))
void nm_user_begin_linked(nm_server *s) NM_USER_WEAK;
void nm_user_end_linked(nm_server *s) NM_USER_WEAK;
void nm_user_forget_linked(nm_server *s) NM_USER_WEAK;
void nm_user_maybe_attach_linked(nm_server *s, nm_loop *l) NM_USER_WEAK;
void nm_user_detach_linked(nm_loop *l) NM_USER_WEAK;
void nm_user_run_linked(nm_user_svc *u, uint64_t now) NM_USER_WEAK;
int nm_user_wait_linked(nm_server *s, int ms) NM_USER_WEAK;
#undef NM_USER_WEAK

/* nm_run: the calling thread is the server's. */
static inline void nm_user_begin(nm_server *s)
{
    if (nm_user_begin_linked) nm_user_begin_linked(s);
}
/* nm_run, after the model returned: the private loop is closed. */
static inline void nm_user_end(nm_server *s)
{
    if (nm_user_end_linked) nm_user_end_linked(s);
}
/* A child process of the server: none of it runs here. */
static inline void nm_user_forget(nm_server *s)
{
    if (nm_user_forget_linked) nm_user_forget_linked(s);
}

/* Loop side (loop.cpp): a loop opened on the server's thread before any
 * other takes the tables over; a closing loop gives them back; each round
 * runs the timers due at `now` and what was posted; a wait lasts at most
 * nm_user_wait_ms. */
static inline void nm_user_maybe_attach(nm_server *s, nm_loop *l)
{
    if (nm_user_maybe_attach_linked) nm_user_maybe_attach_linked(s, l);
}
static inline void nm_user_detach(nm_loop *l)
{
    if (nm_user_detach_linked) nm_user_detach_linked(l);
}
static inline void nm_user_run(nm_user_svc *u, uint64_t now)
{
    if (nm_user_run_linked) nm_user_run_linked(u, now);
}
static inline int nm_user_wait_ms(const nm_user_svc *u, uint64_t now, int ms)
{
    if (u->next_due == UINT64_MAX) return ms;
    uint64_t left = u->next_due > now ? u->next_due - now : 0;
    return ms >= 0 && (uint64_t)ms < left ? ms : (int)left;
}

/* A model with no loop on the server's thread, between its blocking steps:
 * run what is due, waiting at most ms for it. 0 when there is nothing to run
 * (the caller waits its own way), 1 when it ran a round. */
static inline int nm_user_wait(nm_server *s, int ms)
{
    return nm_user_wait_linked ? nm_user_wait_linked(s, ms) : 0;
}

#endif
