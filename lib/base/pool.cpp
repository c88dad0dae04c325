#include "pool.h"
#include <pthread.h>
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

static __thread nm_reservation *current_reservation;

nm_reservation *nm_reservation_enter(nm_reservation *r)
{
    nm_reservation *was = current_reservation;
    current_reservation = r;
    return was;
}

nm_reservation *nm_reservation_current(void) { return current_reservation; }

/* The calling thread's claim on p with something left in it, or NULL: read
 * and written under p's lock. */
static nm_pool_claim *own_claim(const nm_pool *p)
{
    nm_reservation *r = p->reserved ? current_reservation : 0;   /* none held of p: none of it is ours */
    if (r)
        for (int i = 0; i < NM_RESERVE_POOLS; i++)
            if (r->held[i].pool == p && r->held[i].n) return &r->held[i];
    return 0;
}

void *nm_pool_get(nm_pool *p)
{
    void *e = 0;
    if (!__atomic_load_n(&p->listed, __ATOMIC_ACQUIRE)) list_in_use(p);
    lock(p);
    nm_pool_claim *mine = own_claim(p);
    if (mine) {   /* one of those held for it: in_use + reserved <= capacity, so one is there */
        mine->n--;
        __atomic_store_n(&p->reserved, p->reserved - 1, __ATOMIC_RELAXED);   /* read unlocked by nm_pool_free */
    } else if (p->in_use + p->reserved >= p->capacity) {
        unlock(p);
        return 0;
    }
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

/* One reservation at a time: two servers reserving together never each
 * hold a part of what the other needs. */
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;

/* r's claim on p, or a free place for one; NULL when r has none. */
static nm_pool_claim *claim_for(nm_reservation *r, nm_pool *p)
{
    nm_pool_claim *spare = 0;
    for (int i = 0; i < NM_RESERVE_POOLS; i++) {
        nm_pool_claim *c = &r->held[i];
        if (c->pool == p) return c;
        if (!c->n && !spare) spare = c;
    }
    if (spare) {
        spare->pool = p;
        spare->n = 0;
    }
    return spare;
}

/* Up to n of what c holds (its thread may have taken some meanwhile). */
static void give_back(nm_pool_claim *c, unsigned n)
{
    lock(c->pool);
    if (n > c->n) n = c->n;
    __atomic_store_n(&c->pool->reserved, c->pool->reserved - n, __ATOMIC_RELAXED);
    c->n -= n;
    unlock(c->pool);
}

int nm_pools_reserve(nm_reservation *r, const nm_pool_claim *want, int count, unsigned *left)
{
    nm_pool_claim *took[NM_RESERVE_POOLS];
    int short_at = -1, n = 0;
    pthread_mutex_lock(&reserve_lock);
    for (; n < count && n < NM_RESERVE_POOLS; n++) {
        nm_pool *p = want[n].pool;
        nm_pool_claim *c = claim_for(r, p);
        lock(p);
        unsigned free_now = p->capacity - p->in_use - p->reserved;
        int fits = c && want[n].n <= free_now;
        if (fits) {
            c->n += want[n].n;
            __atomic_store_n(&p->reserved, p->reserved + want[n].n, __ATOMIC_RELAXED);
        }
        unlock(p);
        if (!fits) {
            short_at = n;
            *left = free_now;
            break;
        }
        took[n] = c;
    }
    if (short_at < 0 && n < count) {   /* more pools than a reservation holds */
        short_at = n;
        *left = 0;
    }
    if (short_at >= 0)
        while (n--) give_back(took[n], want[n].n);
    pthread_mutex_unlock(&reserve_lock);
    return short_at;
}

void nm_pools_unreserve(nm_reservation *r)
{
    pthread_mutex_lock(&reserve_lock);
    for (int i = 0; i < NM_RESERVE_POOLS; i++)
        if (r->held[i].n) give_back(&r->held[i], r->held[i].n);
    pthread_mutex_unlock(&reserve_lock);
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

unsigned nm_pool_free(const nm_pool *p)
{
    /* two loads, unlocked: a get between them may count its element twice */
    unsigned taken = __atomic_load_n(&p->in_use, __ATOMIC_RELAXED) + __atomic_load_n(&p->reserved, __ATOMIC_RELAXED);
    return taken < p->capacity ? p->capacity - taken : 0;
}

void *nm_pool_at(const nm_pool *p, unsigned i)
{
    return i < __atomic_load_n(&p->bump, __ATOMIC_ACQUIRE) ? (void *)(p->base + (size_t)i * p->elem_size) : 0;
}

unsigned nm_pool_index(const nm_pool *p, const void *elem)
{
    return (unsigned)(((const char *)elem - p->base) / p->elem_size);
}
