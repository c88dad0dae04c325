#include "thread.h"
#include "pool.h"
#include "../nm_config.h"
#include "timer.h"
#include <errno.h>
#include <time.h>

extern nm_pool nm_stack_pool;

static void *trampoline(void *p)
{
    nm_thread *t = (nm_thread *)p;
    void *r = t->fn(t->arg);
    __atomic_store_n(&t->finished, 1, __ATOMIC_RELEASE);
    return r;
}

int nm_thread_start(nm_thread *t, void *(*fn)(void *), void *arg)
{
    t->stack = nm_pool_get(&nm_stack_pool);
    if (!t->stack) return EAGAIN;
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
        t->stack = 0;
    }
    return rc;
}

int nm_thread_join(nm_thread *t)
{
    if (!t->stack) return EINVAL;
    int rc = pthread_join(t->id, 0);
    nm_pool_put(&nm_stack_pool, t->stack);
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
