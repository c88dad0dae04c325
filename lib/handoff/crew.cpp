#include "crew.h"
#include "../loop/blocking.h"
#include "../base/pool.h"
#include "../base/timer.h"
#include <signal.h>
#include <sys/socket.h>

extern nm_pool nm_crew_pool;

nm_crew *nm_crew_open(void)
{
    nm_crew *k = (nm_crew *)nm_pool_get(&nm_crew_pool);
    if (!k) return 0;
    for (int i = 0; i < NM_MAX_THREADS; i++) k->slot[i].used = 0;
    k->running = 0;
    pthread_mutex_init(&k->lock, 0);
    pthread_cond_init(&k->ended, 0);
    return k;
}

static void *crew_main(void *p)
{
    nm_crew_slot *sl = (nm_crew_slot *)p;
    nm_thread_name(sl->name);
    void *r = sl->fn(sl->arg);
    nm_crew *k = sl->crew;
    pthread_mutex_lock(&k->lock);
    k->running--;
    sl->returning = 1;
    pthread_cond_broadcast(&k->ended);
    pthread_mutex_unlock(&k->lock);
    return r;
}

/* Join the threads that returned (or are about to: the join waits for the
 * last instructions), so their slots and stacks can be used again. */
static void reap(nm_crew *k)
{
    for (int i = 0; i < NM_MAX_THREADS; i++) {
        nm_crew_slot *sl = &k->slot[i];
        pthread_mutex_lock(&k->lock);
        int returning = sl->used && sl->returning;
        pthread_mutex_unlock(&k->lock);
        if (returning) {
            nm_thread_join(&sl->t);
            sl->used = 0;
        }
    }
}

int nm_crew_start(nm_crew *k, const char *name, void *(*fn)(void *), void *arg)
{
    reap(k);
    nm_crew_slot *sl = 0;
    for (int i = 0; i < NM_MAX_THREADS && !sl; i++)
        if (!k->slot[i].used) sl = &k->slot[i];
    if (!sl) return -1;
    sl->crew = k;
    sl->fn = fn;
    sl->arg = arg;
    sl->name = name;
    sl->returning = 0;
    pthread_mutex_lock(&k->lock);
    k->running++;
    pthread_mutex_unlock(&k->lock);
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    int rc = nm_thread_start(&sl->t, crew_main, sl);
    pthread_sigmask(SIG_SETMASK, &saved, 0);
    if (rc) {
        pthread_mutex_lock(&k->lock);
        k->running--;
        pthread_mutex_unlock(&k->lock);
        return -1;
    }
    sl->used = 1;
    return 0;
}

int nm_crew_running(nm_crew *k)
{
    pthread_mutex_lock(&k->lock);
    int n = k->running;
    pthread_mutex_unlock(&k->lock);
    return n;
}

int nm_crew_wait_below(nm_crew *k, int n, uint64_t deadline_ms)
{
    pthread_mutex_lock(&k->lock);
    for (;;) {
        uint64_t now = nm_now_ms();
        if (k->running < n || now >= deadline_ms) break;
        nm_cond_wait_until(&k->ended, &k->lock, deadline_ms);
    }
    int below = k->running < n;
    pthread_mutex_unlock(&k->lock);
    return below;
}

void nm_crew_close(nm_crew *k, nm_server *s)
{
    if (s) {
        nm_blocking_wake(s, SHUT_RD);
        if (!nm_crew_wait_below(k, 1, nm_now_ms() + NM_DRAIN_TIMEOUT_MS)) nm_blocking_wake(s, SHUT_RDWR);
    }
    for (int i = 0; i < NM_MAX_THREADS; i++)
        if (k->slot[i].used) {
            nm_thread_join(&k->slot[i].t);
            k->slot[i].used = 0;
        }
    pthread_cond_destroy(&k->ended);
    pthread_mutex_destroy(&k->lock);
    nm_pool_put(&nm_crew_pool, k);
}
