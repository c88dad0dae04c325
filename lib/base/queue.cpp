#include "queue.h"
#include "thread.h"
#include "timer.h"

void nm_queue_init(nm_queue *q, unsigned capacity)
{
    q->head = q->count = 0;
    q->capacity = capacity && capacity <= NM_QUEUE_DEPTH ? capacity : NM_QUEUE_DEPTH;
    q->closed = 0;
    pthread_mutex_init(&q->lock, 0);
    pthread_cond_init(&q->not_empty, 0);
    pthread_cond_init(&q->not_full, 0);
}

void nm_queue_destroy(nm_queue *q)
{
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
}

static void put(nm_queue *q, void *item, int wake)
{
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    if (wake) pthread_cond_signal(&q->not_empty);
}

static void *take(nm_queue *q)
{
    void *item = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
    /* Items put quietly wake one consumer for the lot; one that finds more
     * than it takes passes the wakeup on, so a slow item does not hold up the rest. */
    if (q->count) pthread_cond_signal(&q->not_empty);
    return item;
}

static int push(nm_queue *q, void *item, int wake)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity && !q->closed) {
        pthread_cond_signal(&q->not_empty);   /* items put quietly may not have woken anyone yet */
        pthread_cond_wait(&q->not_full, &q->lock);
    }
    int rc = q->closed ? -1 : 0;
    if (!rc) put(q, item, wake);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

static int try_push(nm_queue *q, void *item, int wake)
{
    pthread_mutex_lock(&q->lock);
    int rc = q->closed || q->count == q->capacity ? -1 : 0;
    if (!rc) put(q, item, wake);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int nm_queue_push(nm_queue *q, void *item) { return push(q, item, 1); }
int nm_queue_try_push(nm_queue *q, void *item) { return try_push(q, item, 1); }
int nm_queue_push_quiet(nm_queue *q, void *item) { return push(q, item, 0); }
int nm_queue_try_push_quiet(nm_queue *q, void *item) { return try_push(q, item, 0); }

void nm_queue_wake(nm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->count) pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

int nm_queue_push_until(nm_queue *q, void *item, unsigned long long deadline_ms)
{
    pthread_mutex_lock(&q->lock);
    for (;;) {
        unsigned long long now = nm_now_ms();
        if (q->count < q->capacity || q->closed || now >= deadline_ms) break;
        nm_cond_wait_until(&q->not_full, &q->lock, deadline_ms);
    }
    int rc = q->closed || q->count == q->capacity ? -1 : 0;
    if (!rc) put(q, item, 1);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void *nm_queue_pop(nm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->count && !q->closed) pthread_cond_wait(&q->not_empty, &q->lock);
    void *item = q->count ? take(q) : 0;
    pthread_mutex_unlock(&q->lock);
    return item;
}

void *nm_queue_try_pop(nm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    void *item = q->count ? take(q) : 0;
    pthread_mutex_unlock(&q->lock);
    return item;
}

void nm_queue_close(nm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

unsigned nm_queue_count(nm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    unsigned n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
