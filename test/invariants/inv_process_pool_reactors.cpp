/* process_pool_reactors: N processes each run their own loop on the shared
 * listener; new connections reach more than one of them, /stats counts all
 * of them (shared counters), and a stop leaves no child behind. */
#include "inv_family.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Distinct /pid answers over bursts of connections opened together, until
 * two processes have answered or the rounds run out; *conns counts them. */
static int pids_seen(int port, pid_t *seen, int max, int *conns)
{
    int n = 0;
    for (int round = 0; round < 20 && n < 2; round++) {
        enum { BURST = 12 };
        static tc_conn c[BURST];
        int open = 0;
        while (open < BURST && !tc_connect(&c[open], port)) open++;
        for (int i = 0; i < open; i++) {
            char body[32];
            if (fam_get(&c[i], "/pid", body, sizeof(body)) != 200) continue;
            pid_t p = (pid_t)atoi(body);
            int known = 0;
            for (int k = 0; k < n; k++) known |= seen[k] == p;
            if (!known && n < max) seen[n++] = p;
        }
        for (int i = 0; i < open; i++) tc_close(&c[i]);
        *conns += open;
    }
    return n;
}

static void spread_over_processes(const char *poller, int exclusive)
{
    tc_server s;
    REQUIRE(inv_start(&s, "process_pool_reactors", "--workers", "3", "--poller", poller, (const char *)0) == 0);
    pid_t kids[8], seen[8];
    CHECK_EQ(fam_children(s.pid, kids, 8), 3);
    for (int k = 0; k < 3; k++) {   /* each child opens its loop after the announce */
        long deadline = tc_now_ms() + 3000;
        while (fam_epoll_exclusive(kids[k]) != exclusive && tc_now_ms() < deadline) tc_sleep_ms(10);
        CHECK_EQ(fam_epoll_exclusive(kids[k]), exclusive);
    }
    int conns = 0;
    int n = pids_seen(s.port, seen, 8, &conns);
    CHECK(n >= 2);
    for (int i = 0; i < n; i++) {
        int child = 0;
        for (int k = 0; k < 3; k++) child |= kids[k] == seen[i];
        CHECK(child);   /* answered by a child, never the parent */
    }
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK(st.accepted >= conns);   /* every process's connections, whichever answers */
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
    for (int k = 0; k < 3; k++) CHECK(kill(kids[k], 0) != 0);   /* reaped: not even a zombie */
}

TEST(process_pool_reactors_connections_reach_several_processes_epoll)
{
    spread_over_processes("epoll", 1);   /* one shared listener, EPOLLEXCLUSIVE */
}

TEST(process_pool_reactors_connections_reach_several_processes_poll)
{
    spread_over_processes("poll", 0);    /* a SO_REUSEPORT listener per process */
}
