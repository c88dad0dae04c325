/* The prefork models: N workers forked before any connection.
 * shared_accept: the idle workers all block in accept() at once.
 * locked_accept: never more than one worker inside accept(), even under a
 *   burst, while every worker still serves.
 * reuseport: each worker has a listener of its own on the port; the parent
 *   none.
 * fd_passing: only the parent holds the listener (workers never accept);
 *   each new connection goes to the worker with the fewest. */
#include "inv_proc.h"
#include <signal.h>
#include <string.h>

/* n held connections, each answered by a different worker of the server. */
static int distinct_workers(tc_server *s, int n)
{
    tc_conn c[4];
    long pid[4];
    int distinct = 0;
    pid_t kids[16];
    int zombies;
    int nk = inv_children(s->pid, kids, 16, &zombies);
    for (int i = 0; i < n; i++) {
        if (tc_connect(&c[i], s->port)) return -1;
        pid[i] = inv_get_number(&c[i], "/pid");
        int seen = 0, child = 0;
        for (int j = 0; j < i; j++) seen |= pid[j] == pid[i];
        for (int j = 0; j < nk; j++) child |= kids[j] == pid[i];
        distinct += !seen && child;
    }
    for (int i = 0; i < n; i++) tc_close(&c[i]);
    return distinct;
}

TEST(prefork_shared_accept_all_workers_wait_in_accept)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_shared_accept", "--workers", "3", (const char *)0) == 0);
    CHECK_EQ(inv_child_count(s.pid), 3);
    CHECK_EQ(distinct_workers(&s, 3), 3);
    long deadline = tc_now_ms() + 5000, peak = 0;
    while ((peak = inv_gauge(s.port, "accept_peak")) < 2 && tc_now_ms() < deadline) tc_sleep_ms(20);
    CHECK(peak >= 2);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}

TEST(prefork_locked_accept_one_worker_in_accept_at_a_time)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_locked_accept", "--workers", "3", (const char *)0) == 0);
    CHECK_EQ(inv_child_count(s.pid), 3);
    CHECK_EQ(distinct_workers(&s, 3), 3);
    CHECK_EQ(inv_burst_served(s.port, 60), 60);
    CHECK_EQ(inv_gauge(s.port, "accept_peak"), 1);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}

/* The listening sockets on the server's port: how many there are, and how
 * many of them the parent and each of its workers hold. */
static void listeners(tc_server *s, int total, int in_parent, int in_each_worker)
{
    unsigned long listen[8], mine[64];
    int n = inv_listen_inodes(s->port, listen, 8);
    CHECK_EQ(n, total);
    CHECK_EQ(inv_common(listen, n, mine, inv_socket_inodes(s->pid, mine, 64)), in_parent);
    pid_t kids[8];
    int zombies, nk = inv_children(s->pid, kids, 8, &zombies);
    CHECK_EQ(nk, 3);
    for (int i = 0; i < nk && i < 8; i++)
        CHECK_EQ(inv_common(listen, n, mine, inv_socket_inodes(kids[i], mine, 64)), in_each_worker);
}

TEST(prefork_reuseport_a_listener_per_worker)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_reuseport", "--workers", "3", (const char *)0) == 0);
    listeners(&s, 3, 0, 1);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}

TEST(prefork_fd_passing_only_the_parent_listens)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_fd_passing", "--workers", "3", (const char *)0) == 0);
    listeners(&s, 1, 1, 0);
    CHECK_EQ(distinct_workers(&s, 3), 3);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}

/* Three workers, each holding one connection (A, B, X); B leaves. The
 * next connection must go to B's worker, the only one with none: taking
 * turns would give it to A's, which is busy. */
TEST(prefork_fd_passing_least_loaded_worker)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_fd_passing", "--workers", "3", (const char *)0) == 0);
    static tc_conn a, b, x, c;
    REQUIRE(!tc_connect(&a, s.port) && !tc_connect(&b, s.port) && !tc_connect(&x, s.port));
    long pa = inv_get_number(&a, "/pid"), pb = inv_get_number(&b, "/pid"), px = inv_get_number(&x, "/pid");
    CHECK(pa > 0 && pb > 0 && px > 0 && pa != pb && pb != px && pa != px);
    tc_close(&b);
    /* A worker lowers its load before its connection stops counting as active. */
    char body[256];
    long deadline = tc_now_ms() + 5000;
    while (!(inv_get_text(&a, "/stats", body, sizeof(body)) == 0 && strstr(body, "\"active\":1,")) &&
           tc_now_ms() < deadline)
        tc_sleep_ms(20);
    REQUIRE(strstr(body, "\"active\":1,") != 0);
    REQUIRE(!tc_connect(&c, s.port));
    CHECK_EQ(inv_get_number(&c, "/pid"), pb);
    tc_close(&a);
    tc_close(&x);
    tc_close(&c);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}

TEST(prefork_shared_accept_replaces_a_dead_worker)
{
    tc_server s;
    REQUIRE(inv_start(&s, "prefork_shared_accept", "--workers", "2", (const char *)0) == 0);
    pid_t kids[4];
    int zombies;
    REQUIRE(inv_children(s.pid, kids, 4, &zombies) == 2);
    kill(kids[0], SIGKILL);
    long deadline = tc_now_ms() + 5000;
    int n = 0, replaced = 0;
    while (!replaced && tc_now_ms() < deadline) {
        pid_t now[4];
        n = inv_children(s.pid, now, 4, &zombies);
        replaced = n == 2 && zombies == 0 && now[0] != kids[0] && now[1] != kids[0];
        if (!replaced) tc_sleep_ms(20);
    }
    CHECK(replaced);
    CHECK_EQ(distinct_workers(&s, 2), 2);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);
}
