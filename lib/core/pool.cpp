#include "pool.h"

void *nm_pool_get(nm_pool *p)
{
    void *e = 0;
    pthread_mutex_lock(&p->lock);
    if (p->free_list) {
        e = p->free_list;
        p->free_list = *(void **)e;
    } else if (p->bump < p->capacity) {
        e = p->base + (size_t)p->bump++ * p->elem_size;
    }
    if (e) {
        p->in_use++;
        unsigned left = p->capacity - p->in_use;
        if (left < p->low_water) p->low_water = left;
    }
    pthread_mutex_unlock(&p->lock);
    return e;
}

void nm_pool_put(nm_pool *p, void *elem)
{
    pthread_mutex_lock(&p->lock);
    *(void **)elem = p->free_list;
    p->free_list = elem;
    p->in_use--;
    pthread_mutex_unlock(&p->lock);
}

unsigned nm_pool_free(nm_pool *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = p->capacity - p->in_use;
    pthread_mutex_unlock(&p->lock);
    return n;
}

unsigned nm_pool_index(const nm_pool *p, const void *elem)
{
    return (unsigned)(((const char *)elem - p->base) / p->elem_size);
}
