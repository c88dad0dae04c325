/* leader_follower: of --threads threads, only the leader ever waits on the
 * poller: the most threads seen waiting at once stays 1 under concurrent
 * load, on every poller, while the threads do serve. And the leader hands
 * the leadership on before it handles an event: while one thread sleeps in
 * a slow handler, another connection is still answered. */
#include "inv_proc.h"
#include <string.h>

static int followers(pid_t pid) { return inv_named_threads(pid, "nm-follower"); }
static int sleeping_followers(pid_t pid) { return inv_sleeping_threads(pid, "nm-follower"); }

static void only_the_leader_waits(const char *poller)
{
    tc_server s;
    REQUIRE(inv_start(&s, "leader_follower", "--threads", "4", "--poller", poller, (const char *)0) == 0);
    CHECK_EQ(inv_wait_value(followers, s.pid, 4, 5000), 4);
    for (int round = 0; round < 3; round++) CHECK_EQ(inv_burst_served(s.port, 50), 50);
    CHECK_EQ(inv_gauge(s.port, "wait_peak"), 1);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(leader_follower_one_waiter_epoll)
{
    INV_NEED_MODEL("epoll");
    only_the_leader_waits("epoll");
}
TEST(leader_follower_one_waiter_poll) { only_the_leader_waits("poll"); }

TEST(leader_follower_promotes_before_handling)
{
    tc_server s;
    REQUIRE(inv_start(&s, "leader_follower", "--threads", "2", (const char *)0) == 0);
    tc_conn a, b;
    REQUIRE(!tc_connect(&a, s.port) && !tc_connect(&b, s.port));
    REQUIRE(!tc_send_str(&a, "GET /sleep/3000 HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(inv_wait_value(sleeping_followers, s.pid, 1, 5000) == 1);   /* A's handler runs */
    REQUIRE(!tc_send_str(&b, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_response r;
    char body[32];
    CHECK(!tc_read_response(&b, &r, body, sizeof(body)) && r.status == 200);
    CHECK_EQ(sleeping_followers(s.pid), 1);   /* ... and still sleeps: B did not wait for it */
    CHECK(!tc_read_response(&a, &r, body, sizeof(body)) && r.status == 200);
    tc_close(&a);
    tc_close(&b);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* Many connections ready at once: the leader takes one event per wait, so
 * hundreds of served connections may be on their way back before it picks
 * the hand-back's wakeup. Handing back must never wait for room, or every
 * thread ends up waiting there and none leads. */
TEST(leader_follower_many_ready_connections)
{
    enum { N = 900 };
    tc_server s;
    REQUIRE(inv_start(&s, "leader_follower", "--threads", "4", (const char *)0) == 0);
    static tc_conn c[N];
    int open = 0;
    while (open < N && !tc_connect(&c[open], s.port)) open++;
    CHECK_EQ(open, N);
    for (int i = 0; i < open; i++) CHECK(!tc_send_str(&c[i], "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    int answered = 0;
    tc_response r;
    char body[64];
    for (int i = 0; i < open; i++) {   /* the first silence ends it: every read may wait 5 s */
        if (tc_read_response(&c[i], &r, body, sizeof(body)) || r.status != 200) break;
        answered++;
    }
    CHECK_EQ(answered, open);
    for (int i = 0; i < open; i++) tc_close(&c[i]);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
