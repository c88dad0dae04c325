#include "thread.h"
#include "pool.h"
#include "../nm_config.h"
#include "timer.h"
#include <errno.h>
#include <time.h>

extern nm_pool nm_stack_pool;

static __thread nm_thread_share *current_share;

nm_thread_share *nm_thread_share_enter(nm_thread_share *share)
{
    nm_thread_share *was = current_share;
    current_share = share;
    return was;
}

nm_thread_share *nm_thread_share_current(void) { return current_share; }

/* One more thread of the calling thread's share: 0, or -1 past its cap. */
static int share_take(nm_thread_share *s)
{
    if (!s) return 0;
    int used = __atomic_add_fetch(&s->used, 1, __ATOMIC_RELAXED);
    if (!s->cap || used <= s->cap) return 0;
    __atomic_fetch_sub(&s->used, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->refused, 1ul, __ATOMIC_RELAXED);
    return -1;
}

static void share_give_back(nm_thread_share *s)
{
    if (s) __atomic_fetch_sub(&s->used, 1, __ATOMIC_RELAXED);
}

static void *trampoline(void *p)
{
    nm_thread *t = (nm_thread *)p;
    current_share = t->share;
    nm_reservation_enter(t->reservation);
    void *r = t->fn(t->arg);
    __atomic_store_n(&t->finished, 1, __ATOMIC_RELEASE);
    return r;
}

int nm_thread_start(nm_thread *t, void *(*fn)(void *), void *arg)
{
    t->share = current_share;
    t->reservation = nm_reservation_current();
    if (share_take(t->share)) {
        t->stack = 0;
        return EAGAIN;
    }
    t->stack = nm_pool_get(&nm_stack_pool);
    if (!t->stack) {
        share_give_back(t->share);
        return EAGAIN;
    }
    t->fn = fn;
    t->arg = arg;
    t->finished = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int rc = pthread_attr_setstack(&attr, t->stack, NM_THREAD_STACK_SIZE);
    if (!rc) rc = pthread_create(&t->id, &attr, trampoline, t);
    pthread_attr_destroy(&attr);
    if (rc) {
        nm_pool_put(&nm_stack_pool, t->stack);
        share_give_back(t->share);
        t->stack = 0;
        errno = rc;   /* pthread_create returns it: nm_run's NM_ERR_SYSTEM says it in errno */
    }
    return rc;
}

int nm_thread_join(nm_thread *t)
{
    if (!t->stack) return EINVAL;
    int rc = pthread_join(t->id, 0);
    nm_pool_put(&nm_stack_pool, t->stack);
    share_give_back(t->share);
    t->stack = 0;
    return rc;
}

void nm_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, unsigned long long deadline_ms)
{
    unsigned long long now = nm_now_ms();
    if (now >= deadline_ms) return;
    /* the condition variable runs on the wall clock, which may jump: short steps */
    unsigned long long step = deadline_ms - now < 50 ? deadline_ms - now : 50;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)step * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(c, m, &ts);
}

unsigned nm_stack_free(void) { return nm_pool_free(&nm_stack_pool); }
