/* thread.h - pthreads whose stacks come from the static stack pool.
 *
 * A thread runs on a stack taken from the pool and returned when the thread
 * is joined. When the pool is empty, nm_thread_start fails (the caller counts
 * a refusal); no stack is ever allocated. */
#ifndef NM_THREAD_H
#define NM_THREAD_H

#include <pthread.h>

struct nm_thread {
    pthread_t id;
    void *stack;
    void *(*fn)(void *);
    void *arg;
    volatile int finished;   /* set as fn returns: the thread can be joined soon */
};

int nm_thread_start(nm_thread *t, void *(*fn)(void *), void *arg);  /* 0 or an errno */
int nm_thread_join(nm_thread *t);
unsigned nm_stack_free(void);   /* stacks left in the pool */
/* Name the calling thread (at most 15 characters shown). */
void nm_thread_name(const char *name);

/* Wait on c (m held) until signalled or until deadline_ms on the nm_now_ms
 * clock, at most 50 ms at a time: callers loop on their condition. */
void nm_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, unsigned long long deadline_ms);

#endif
