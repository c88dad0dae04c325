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
    unsigned reserved;   /* held for servers starting (nm_pools_reserve): only they take these */
};

#define NM_POOL_INIT(name, array) \
    { name, (char *)(array), sizeof((array)[0]), sizeof(array) / sizeof((array)[0]), \
      0, 0, sizeof(array) / sizeof((array)[0]), 0, 0 }

/* NULL when exhausted: every element in use or held for a reservation
 * that is not the calling thread's. */
void *nm_pool_get(nm_pool *p);
void nm_pool_put(nm_pool *p, void *elem);
unsigned nm_pool_free(const nm_pool *p);   /* elements available now to any thread (a snapshot) */
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

/* Reservations: what a server needs of several pools to start, held for
 * it all at once or not at all, so that servers starting together never
 * each take a part and all fail. The thread that entered a reservation,
 * and every nm_thread started under it, takes from it first; any other
 * thread takes only what no reservation holds. */
enum { NM_RESERVE_POOLS = 4 };
struct nm_pool_claim { nm_pool *pool; unsigned n; };
struct nm_reservation { nm_pool_claim held[NM_RESERVE_POOLS]; };
/* Hold want[i].n of want[i].pool for each i < count, added to what r holds:
 * -1 when all are held, else the index of the first pool short (nothing
 * more is held then) with *left what it had free. */
int nm_pools_reserve(nm_reservation *r, const nm_pool_claim *want, int count, unsigned *left);
/* Give back what r holds still. */
void nm_pools_unreserve(nm_reservation *r);
/* The calling thread's reservation (NULL: none); returns the one it had. */
nm_reservation *nm_reservation_enter(nm_reservation *r);
nm_reservation *nm_reservation_current(void);

/* The pools a start reserves from (pools.def); a declaration links none. */
extern nm_pool nm_stack_pool, nm_loop_pool, nm_loop_thread_pool, nm_crew_pool;

#endif
