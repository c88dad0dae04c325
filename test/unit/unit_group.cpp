/* Handing work to a loop: a nudge reaches a loop only while it sleeps, and
 * only once until that loop has taken the wakeup; posting never fails or
 * waits, however much arrives before the loop looks, and arrives in order. */
#include "../check.h"
#include "../lib/handoff/loop_group.h"
#include <poll.h>
#include <pthread.h>
#include <string.h>

static int wakeup_pending(const nm_loop_thread *t)
{
    struct pollfd p = { t->loop->wake.rfd, POLLIN, 0 };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void server_on_poll(nm_server *srv)
{
    memset(srv, 0, sizeof(*srv));
    nm_config_init(&srv->cfg);
    srv->port = &nm_port_poll;
    srv->counters = &srv->own_counters;
    srv->listen_fd = -1;
}

TEST(group_nudge_wakes_a_sleeping_loop_once)
{
    static nm_server srv;
    server_on_poll(&srv);
    static nm_loop_group g;
    REQUIRE(nm_group_open(&g, &srv, 1, nm_serve_io, 0) == 0);
    nm_loop_thread *t = g.loops[0];

    CHECK_EQ(nm_loop_nudge(t->loop), 0);   /* awake: it looks at its work before it sleeps */
    CHECK(!wakeup_pending(t));

    __atomic_store_n(&t->loop->sleeping, 1, __ATOMIC_RELAXED);
    CHECK_EQ(nm_loop_nudge(t->loop), 1);
    CHECK(wakeup_pending(t));
    CHECK_EQ(nm_loop_nudge(t->loop), 0);   /* one wakeup on its way is enough */

    /* The round takes the wakeup; the loop is awake again after it. */
    CHECK_EQ(nm_group_turn(t), 0);
    CHECK(!wakeup_pending(t));
    CHECK_EQ(nm_loop_nudge(t->loop), 0);

    /* Asleep again, it can be woken again. */
    __atomic_store_n(&t->loop->sleeping, 1, __ATOMIC_RELAXED);
    CHECK_EQ(nm_loop_nudge(t->loop), 1);
    CHECK(wakeup_pending(t));
    CHECK_EQ(nm_group_turn(t), 0);
    nm_group_close(&g);
    nm_clock_round(0);   /* this thread runs no loop any more: the other tests read the clock itself */
}

/* Two threads post many more items than any fixed inbox would hold while
 * the loop does not look; every item arrives, each poster's in its order. */
enum { POSTS = 3000 };
struct posted_item { nm_posting posting; int nr; };
static posted_item posted_items[2][POSTS];
static int arrived[2], out_of_order;

static void on_arrival(nm_posting *p)
{
    posted_item *t = NM_CONTAINER_OF(p, posted_item, posting);
    int who = t >= posted_items[1] ? 1 : 0;
    if (t->nr != arrived[who]) out_of_order++;
    arrived[who]++;
}

struct poster { nm_loop *l; int who; };

static void *post_all(void *arg)
{
    poster *p = (poster *)arg;
    for (int i = 0; i < POSTS; i++) {
        posted_item *t = &posted_items[p->who][i];
        t->nr = i;
        nm_loop_post(p->l, &t->posting, on_arrival);
    }
    return 0;
}

TEST(loop_post_never_fails_and_keeps_each_posters_order)
{
    static nm_server srv;
    server_on_poll(&srv);
    nm_loop *l = nm_loop_open(&srv, &nm_port_poll, 0);
    REQUIRE(l != 0);
    pthread_t th[2];
    poster ps[2] = { { l, 0 }, { l, 1 } };
    for (int i = 0; i < 2; i++) REQUIRE(pthread_create(&th[i], 0, post_all, &ps[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], 0);
    CHECK_EQ(arrived[0] + arrived[1], 0);   /* nothing runs until the loop's own round */
    nm_loop_tick(l);
    CHECK_EQ(arrived[0], POSTS);
    CHECK_EQ(arrived[1], POSTS);
    CHECK_EQ(out_of_order, 0);
    nm_loop_close(l);
    nm_clock_round(0);
}
