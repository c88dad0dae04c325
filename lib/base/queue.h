/* queue.h - a bounded queue of pointers between threads, over a fixed ring.
 *
 * Producers and consumers block on condition variables (or use the try_
 * forms); a full queue is backpressure, never growth. Closing wakes every
 * waiter so threads can finish. Capacity is fixed at compile time. */
#ifndef NM_QUEUE_H
#define NM_QUEUE_H

#include <pthread.h>
#include "../nm_config.h"

struct nm_queue {
    void *items[NM_QUEUE_DEPTH];
    unsigned head, count, capacity;
    int closed;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
};

/* capacity: 1..NM_QUEUE_DEPTH (0 means NM_QUEUE_DEPTH). */
void nm_queue_init(nm_queue *q, unsigned capacity);
void nm_queue_destroy(nm_queue *q);
int nm_queue_push(nm_queue *q, void *item);      /* waits while full; -1 if closed */
int nm_queue_try_push(nm_queue *q, void *item);  /* -1 when full or closed */
/* Wait while full until deadline_ms (nm_now_ms clock); -1 when still full or closed. */
int nm_queue_push_until(nm_queue *q, void *item, unsigned long long deadline_ms);
/* The same without waking a consumer: a producer that puts a batch (an event
 * loop during one round) wakes them once with nm_queue_wake. */
int nm_queue_push_quiet(nm_queue *q, void *item);
int nm_queue_try_push_quiet(nm_queue *q, void *item);
void nm_queue_wake(nm_queue *q);                 /* one consumer, if anything is queued */
void *nm_queue_pop(nm_queue *q);                 /* waits while empty; NULL once closed and empty */
void *nm_queue_try_pop(nm_queue *q);             /* NULL when empty */
void nm_queue_close(nm_queue *q);
unsigned nm_queue_count(nm_queue *q);

#endif
