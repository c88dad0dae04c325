/* pool.h - fixed-size object pools over static storage.
 *
 * A pool hands out elements of one static array. Elements never used are
 * never touched (a bump index serves them the first time), so an unused pool
 * costs address space, not resident memory. Returned elements go on a free
 * list threaded through their first bytes. Thread-safe; after fork() each
 * process owns its copy. The lock is a spinlock that yields: it guards a few
 * instructions, taken several times per request, where a mutex costs more
 * than the work. */
#ifndef NM_POOL_H
#define NM_POOL_H

#include <stddef.h>

struct nm_pool {
    const char *name;
    char *base;
    size_t elem_size;
    unsigned capacity;
    unsigned bump;       /* elements [0, bump) have been handed out at least once */
    unsigned in_use;
    unsigned low_water;  /* least free ever seen, for tests and reports */
    void *free_list;
    int lock;
    nm_pool *next_used;  /* the pools that ever handed out an element, for nm_pools_hold */
    int listed;          /* in that list */
};

#define NM_POOL_INIT(name, array) \
    { name, (char *)(array), sizeof((array)[0]), sizeof(array) / sizeof((array)[0]), \
      0, 0, sizeof(array) / sizeof((array)[0]), 0, 0 }

void *nm_pool_get(nm_pool *p);          /* NULL when exhausted */
void nm_pool_put(nm_pool *p, void *elem);
unsigned nm_pool_free(const nm_pool *p);   /* elements available now (a snapshot) */
unsigned nm_pool_index(const nm_pool *p, const void *elem);
/* Element i if it was ever handed out, else NULL (it holds nothing). */
void *nm_pool_at(const nm_pool *p, unsigned i);

/* Around fork(), from any thread: take the pool's lock (hold 1) so that no
 * other thread is inside it at the fork, and give it back in both processes
 * (hold 0). A child forked while another thread held it would spin forever. */
void nm_pool_hold(nm_pool *p, int hold);
/* Every pool that ever handed out an element: the others hold nothing a
 * child could need, and naming them all would link every pool's storage
 * into a firmware that uses a few. */
void nm_pools_hold(int hold);

#endif
