/* thread.h - pthreads whose stacks come from the static stack pool.
 *
 * A thread runs on a stack taken from the pool and returned when the thread
 * is joined. When the pool is empty, nm_thread_start fails (the caller counts
 * a refusal); no stack is ever allocated. */
#ifndef NM_THREAD_H
#define NM_THREAD_H

#include <pthread.h>

/* A share of the stack pool, for several servers in one process: a thread
 * that has a share (nm_thread_share_enter) starts threads that count
 * against it and have it too, so every thread of a server counts, however
 * deep. Past `cap` (0: no cap) nm_thread_start refuses as an empty pool
 * does, and counts the refusal. `owner` is the caller's (the server). */
struct nm_thread_share {
    int cap;
    int used;
    unsigned long refused;
    void *owner;
};

struct nm_thread {
    pthread_t id;
    void *stack;
    nm_thread_share *share;   /* counted against, given back at the join */
    struct nm_reservation *reservation;   /* the starter's (pool.h): the thread takes from it too */
    void *(*fn)(void *);
    void *arg;
    volatile int finished;   /* set as fn returns: the thread can be joined soon */
};

/* The calling thread's share (NULL: none); returns the one it had. */
nm_thread_share *nm_thread_share_enter(nm_thread_share *share);
nm_thread_share *nm_thread_share_current(void);

int nm_thread_start(nm_thread *t, void *(*fn)(void *), void *arg);  /* 0 or an errno */
int nm_thread_join(nm_thread *t);
unsigned nm_stack_free(void);   /* stacks left in the pool */
/* Name the calling thread (at most 15 characters shown). */
void nm_thread_name(const char *name);

/* Wait on c (m held) until signalled or until deadline_ms on the nm_now_ms
 * clock, at most 50 ms at a time: callers loop on their condition. */
void nm_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, unsigned long long deadline_ms);

#endif
