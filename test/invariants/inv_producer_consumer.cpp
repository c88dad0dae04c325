/* producer_consumer: the handler runs on a consumer thread, never on the
 * producer that read the request; the ring of requests is bounded: with the
 * one consumer busy in a slow handler, requests past the ring are answered
 * 503 (after the producers waited for room a while), and the ones in the
 * ring are all answered once the consumer is free. */
#include "inv_proc.h"
#include <string.h>

TEST(producer_consumer_handler_runs_on_a_consumer)
{
    tc_server s;
    REQUIRE(inv_start(&s, "producer_consumer", (const char *)0) == 0);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    char name[32];
    for (int i = 0; i < 4; i++)
        CHECK(!inv_get_text(&c, "/thread", name, sizeof(name)) && !strcmp(name, "nm-consumer"));
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(producer_consumer_full_ring_refuses)
{
    tc_server s;
    REQUIRE(inv_start(&s, "producer_consumer", "--threads", "1", "--queue-wait", "500", (const char *)0) == 0);
    tc_conn slow;
    REQUIRE(!tc_connect(&slow, s.port));
    /* The one consumer sleeps in a handler; the ring fills behind it. */
    REQUIRE(!tc_send_str(&slow, "GET /sleep/3000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    enum { N = 400 };   /* more than the ring holds (half of NM_BUF_COUNT, 128 by default) */
    static int fds[N];
    int ok, refused;
    REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, N) == 0);
    CHECK(inv_burst_wait_any(fds, N, 10000) == 0);   /* the first answers are refusals */
    tc_response r;
    char body[32];
    CHECK(!tc_read_response(&slow, &r, body, sizeof(body)) && r.status == 200);
    tc_close(&slow);
    inv_burst_tally(fds, N, &ok, &refused);
    CHECK(refused >= 1);
    CHECK(ok >= 1);
    CHECK_EQ(ok + refused, N);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(st.refused, refused);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
