#include "pool.h"
#include <sched.h>

static void spin_lock(int *l)
{
    for (unsigned spins = 0; __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE);)
        if (++spins == 64) {   /* the holder was preempted: let it run */
            spins = 0;
            sched_yield();
        }
}

static void spin_unlock(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
static void lock(nm_pool *p) { spin_lock(&p->lock); }
static void unlock(nm_pool *p) { spin_unlock(&p->lock); }

/* The pools in use, linked as each hands out its first element; its lock
 * is held with theirs around a fork. */
static nm_pool *used_pools;
static int used_lock;

static void list_in_use(nm_pool *p)
{
    spin_lock(&used_lock);
    if (!p->listed) {
        p->next_used = used_pools;
        used_pools = p;
        __atomic_store_n(&p->listed, 1, __ATOMIC_RELEASE);
    }
    spin_unlock(&used_lock);
}

void nm_pools_hold(int hold)
{
    if (hold) spin_lock(&used_lock);
    for (nm_pool *p = used_pools; p; p = p->next_used) nm_pool_hold(p, hold);
    if (!hold) spin_unlock(&used_lock);
}

void *nm_pool_get(nm_pool *p)
{
    void *e = 0;
    if (!__atomic_load_n(&p->listed, __ATOMIC_ACQUIRE)) list_in_use(p);
    lock(p);
    if (p->free_list) {
        e = p->free_list;
        p->free_list = *(void **)e;
    } else if (p->bump < p->capacity) {
        e = p->base + (size_t)p->bump * p->elem_size;
        __atomic_store_n(&p->bump, p->bump + 1, __ATOMIC_RELEASE);   /* read unlocked by nm_pool_at */
    }
    if (e) {
        unsigned used = p->in_use + 1;
        __atomic_store_n(&p->in_use, used, __ATOMIC_RELAXED);   /* read unlocked by nm_pool_free */
        if (p->capacity - used < p->low_water) p->low_water = p->capacity - used;
    }
    unlock(p);
    return e;
}

void nm_pool_put(nm_pool *p, void *elem)
{
    lock(p);
    *(void **)elem = p->free_list;
    p->free_list = elem;
    __atomic_store_n(&p->in_use, p->in_use - 1, __ATOMIC_RELAXED);
    unlock(p);
}

void nm_pool_hold(nm_pool *p, int hold)
{
    if (hold) lock(p);
    else unlock(p);
}

unsigned nm_pool_free(const nm_pool *p) { return p->capacity - __atomic_load_n(&p->in_use, __ATOMIC_RELAXED); }

void *nm_pool_at(const nm_pool *p, unsigned i)
{
    return i < __atomic_load_n(&p->bump, __ATOMIC_ACQUIRE) ? (void *)(p->base + (size_t)i * p->elem_size) : 0;
}

unsigned nm_pool_index(const nm_pool *p, const void *elem)
{
    return (unsigned)(((const char *)elem - p->base) / p->elem_size);
}
