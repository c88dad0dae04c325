/* leader_follower: of --threads threads, only the leader ever waits on the
 * poller: the most threads seen waiting at once stays 1 under concurrent
 * load, on every poller, while the threads do serve. */
#include "inv_proc.h"
#include <string.h>

static void only_the_leader_waits(const char *poller)
{
    tc_server s;
    REQUIRE(inv_start(&s, "leader_follower", "--threads", "4", "--poller", poller, (const char *)0) == 0);
    CHECK_EQ(inv_threads(s.pid), 4);
    for (int round = 0; round < 3; round++) {
        int fds[50], ok, refused;
        REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, 50) == 0);
        inv_burst_tally(fds, 50, &ok, &refused);
        CHECK_EQ(ok, 50);
    }
    CHECK_EQ(inv_gauge(s.port, "wait_peak"), 1);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(leader_follower_one_waiter_epoll) { if (inv_has_model("epoll")) only_the_leader_waits("epoll"); }
TEST(leader_follower_one_waiter_poll) { only_the_leader_waits("poll"); }
