#include "thread.h"
#include "pool.h"
#include "../nm_config.h"
#include <errno.h>

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

unsigned nm_stack_free(void) { return nm_pool_free(&nm_stack_pool); }
