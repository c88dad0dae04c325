/* thread_pool: a fixed number of named worker threads, however many
 * connections come; a full queue is backpressure: the acceptor waits for a
 * place up to the queue wait, past it connections are answered 503
 * (counted), the queued ones are all served later. */
#include "inv_proc.h"
#include <string.h>

static int workers(pid_t pid) { return inv_named_threads(pid, "nm-worker"); }

TEST(thread_pool_fixed_workers)
{
    tc_server s;
    REQUIRE(inv_start(&s, "thread_pool", "--threads", "3", (const char *)0) == 0);
    CHECK_EQ(inv_wait_value(workers, s.pid, 3, 5000), 3);   /* each names itself as it starts */
    int all = inv_threads(s.pid);
    tc_conn c[3];
    char name[32];
    for (int i = 0; i < 3; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        CHECK(!inv_get_text(&c[i], "/thread", name, sizeof(name)) && !strcmp(name, "nm-worker"));
    }
    int fds[30], ok, refused;
    REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, 30) == 0);
    CHECK_EQ(inv_threads(s.pid), all);   /* busy workers: the others wait in the queue */
    for (int i = 0; i < 3; i++) tc_close(&c[i]);
    inv_burst_tally(fds, 30, &ok, &refused);
    CHECK_EQ(ok, 30);
    CHECK_EQ(inv_threads(s.pid), all);
    CHECK_EQ(workers(s.pid), 3);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(thread_pool_full_queue_refuses_past_the_queue_wait)
{
    tc_server s;
    REQUIRE(inv_start(&s, "thread_pool", "--threads", "1", "--queue-wait", "300", (const char *)0) == 0);
    tc_conn hold;
    REQUIRE(!tc_connect(&hold, s.port));
    /* the one worker is busy in a slow handler (an idle connection it would
     * give up once others wait: inv_burst.cpp) */
    REQUIRE(!tc_send_str(&hold, "GET /sleep/3000 HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_sleep_ms(300);
    enum { N = 400 };   /* more than the queue holds (NM_QUEUE_DEPTH, 256 by default) */
    static int fds[N];
    int ok, refused;
    REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, N) == 0);
    CHECK(inv_burst_wait_any(fds, N, 10000) == 0);   /* the worker is held: only a refusal answers */
    tc_close(&hold);
    inv_burst_tally(fds, N, &ok, &refused);
    CHECK(refused >= 1);
    CHECK(ok >= 1);
    CHECK_EQ(ok + refused, N);   /* each either queued and served, or refused: none lost */
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(st.refused, refused);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* Within the queue wait nothing is refused: the acceptor waits for a place
 * while the backlog holds the connections behind it. */
TEST(thread_pool_full_queue_waits_for_a_place)
{
    tc_server s;
    REQUIRE(inv_start(&s, "thread_pool", "--threads", "1", "--queue-wait", "8000", (const char *)0) == 0);
    tc_conn hold;
    REQUIRE(!tc_connect(&hold, s.port));
    REQUIRE(!tc_send_str(&hold, "GET /sleep/1000 HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_sleep_ms(200);
    enum { N = 400 };   /* more than the queue holds (NM_QUEUE_DEPTH, 256 by default) */
    static int fds[N];
    int ok, refused;
    REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, N) == 0);
    inv_burst_tally(fds, N, &ok, &refused);
    tc_close(&hold);
    CHECK_EQ(ok, N);
    CHECK_EQ(refused, 0);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(st.refused, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
