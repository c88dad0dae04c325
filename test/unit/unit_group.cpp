/* Waking a loop of a group: a nudge reaches a loop only while it sleeps, and
 * only once until that loop has taken the wakeup. */
#include "../check.h"
#include "../lib/handoff/loop_group.h"
#include <poll.h>
#include <string.h>

static int wakeup_pending(const nm_loop_thread *t)
{
    struct pollfd p = { t->wake.rfd, POLLIN, 0 };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST(group_nudge_wakes_a_sleeping_loop_once)
{
    static nm_server srv;
    memset(&srv, 0, sizeof(srv));
    nm_config_init(&srv.cfg);
    srv.port = &nm_port_poll;
    srv.counters = &srv.own_counters;
    srv.listen_fd = -1;
    static nm_loop_group g;
    REQUIRE(nm_group_open(&g, &srv, 1, nm_serve_io) == 0);
    nm_loop_thread *t = g.loops[0];

    CHECK_EQ(nm_group_nudge(t), 0);   /* awake: it looks at its work before it sleeps */
    CHECK(!wakeup_pending(t));

    __atomic_store_n(&t->sleeping, 1, __ATOMIC_RELAXED);
    CHECK_EQ(nm_group_nudge(t), 1);
    CHECK(wakeup_pending(t));
    CHECK_EQ(nm_group_nudge(t), 0);   /* one wakeup on its way is enough */

    /* The round takes the wakeup; the loop is awake again after it. */
    CHECK_EQ(nm_group_turn(t), 0);
    CHECK(!wakeup_pending(t));
    CHECK_EQ(nm_group_nudge(t), 0);

    /* Asleep again, it can be woken again. */
    __atomic_store_n(&t->sleeping, 1, __ATOMIC_RELAXED);
    CHECK_EQ(nm_group_nudge(t), 1);
    CHECK(wakeup_pending(t));
    CHECK_EQ(nm_group_turn(t), 0);
    nm_group_close(&g);
    nm_clock_round(0);   /* this thread runs no loop any more: the other tests read the clock itself */
}
