/* The work-stealing deque under contention: one owner pushing and popping,
 * thieves stealing, and every item taken exactly once. */
#include "../check.h"
#include "../lib/base/deque.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

enum { ITEMS = 200000, THIEVES = 2 };
static nm_deque dq;
static unsigned char taken[ITEMS + 1];
static int owner_done;
static unsigned long stolen;

static void take(void *item)
{
    __atomic_fetch_add(&taken[(uintptr_t)item], 1, __ATOMIC_RELAXED);
}

static void *thief(void *arg)
{
    (void)arg;
    for (;;) {
        void *item = nm_deque_steal(&dq);
        if (item) {
            take(item);
            __atomic_fetch_add(&stolen, 1ul, __ATOMIC_RELAXED);
        } else if (__atomic_load_n(&owner_done, __ATOMIC_ACQUIRE) && !nm_deque_size(&dq)) {
            return 0;
        } else {
            sched_yield();   /* two spinning thieves on two cores must not starve the owner (under qemu they did) */
        }
    }
}

TEST(deque_every_item_taken_once_under_stealing)
{
    nm_deque_init(&dq);
    pthread_t t[THIEVES];
    for (int i = 0; i < THIEVES; i++) REQUIRE(pthread_create(&t[i], 0, thief, 0) == 0);
    uintptr_t next = 1;
    int refused = 0, stuck = 0;
    while (next <= ITEMS) {
        /* bursts of pushes, then pop a few: the bottom end moves both ways */
        int moved = 0;
        for (int k = 0; k < 64 && next <= ITEMS; k++) {
            if (nm_deque_push(&dq, (void *)next) == 0) next++, moved = 1;
            else refused++;
        }
        for (int k = 0; k < 16; k++) {
            void *item = nm_deque_pop(&dq);
            if (item) take(item), moved = 1;
        }
        /* Neither a push nor a pop can go through only when top has passed
         * bottom (two takers of one last item): fail, do not spin. */
        stuck = moved ? 0 : stuck + 1;
        if (stuck > 1000) break;
    }
    CHECK_EQ(stuck, 0);
    CHECK(__atomic_load_n(&dq.top, __ATOMIC_ACQUIRE) <= __atomic_load_n(&dq.bottom, __ATOMIC_ACQUIRE));
    /* Leave what is left to the thieves, so that stealing happens even when
     * a loaded machine did not schedule them during the bursts; the owner
     * takes back only what they leave after a generous wait. */
    for (int waited = 0; nm_deque_size(&dq) && waited < 10000; waited++) usleep(1000);
    for (void *item; (item = nm_deque_pop(&dq));) take(item);
    __atomic_store_n(&owner_done, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < THIEVES; i++) pthread_join(t[i], 0);
    int lost = 0, twice = 0;
    for (int i = 1; i <= ITEMS; i++) {
        if (taken[i] == 0) lost++;
        if (taken[i] > 1) twice++;
    }
    CHECK_EQ(lost, 0);
    CHECK_EQ(twice, 0);
    CHECK(stolen > 0);
    (void)refused;
}

TEST(deque_full_refuses_and_empty_returns_null)
{
    nm_deque_init(&dq);
    CHECK(nm_deque_pop(&dq) == 0);
    CHECK(nm_deque_steal(&dq) == 0);
    for (uintptr_t i = 1; i <= NM_STEAL_DEQUE_SIZE; i++) CHECK_EQ(nm_deque_push(&dq, (void *)i), 0);
    CHECK_EQ(nm_deque_push(&dq, (void *)1), -1);
    CHECK(nm_deque_steal(&dq) == (void *)1);              /* the oldest */
    CHECK(nm_deque_pop(&dq) == (void *)NM_STEAL_DEQUE_SIZE);   /* the newest */
    CHECK_EQ(nm_deque_size(&dq), NM_STEAL_DEQUE_SIZE - 2);
}
