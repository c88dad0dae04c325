/* coroutine: one thread interleaves many connections, each suspended in
 * the middle of its request. Requests trickled in pieces over several
 * connections at once all complete in the order their last byte arrives -
 * each connection resumes where it stopped, not from the start. */
#include "inv.h"
#include "inv_stat.h"

TEST(coroutine_connections_resume_where_they_stopped)
{
    INV_NEED_MODEL("coroutine");
    tc_server s;
    REQUIRE(inv_start(&s, "coroutine", (const char *)0) == 0);
    enum { N = 8 };
    static tc_conn c[N];
    static const char *pieces[] = { "POST /echo HT", "TP/1.1\r\nHost: t\r\n", "Content-Length: 2\r\n\r\n", "x" };
    for (int i = 0; i < N; i++) REQUIRE(!tc_connect(&c[i], s.port));
    for (unsigned p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
        for (int i = 0; i < N; i++) REQUIRE(!tc_send_str(&c[i], pieces[p]));
        tc_sleep_ms(20);
    }
    char got[64];
    /* every one is parked one byte short: nothing answered yet */
    for (int i = 0; i < N; i++) CHECK_EQ(tc_read_some(&c[i], got, sizeof(got), i ? 0 : 200), 0);
    for (int i = N - 1; i >= 0; i--) {
        char last[2] = { (char)('a' + i), 0 };
        REQUIRE(!tc_send_str(&c[i], last));
        tc_response r;
        char body[8];
        CHECK(!tc_read_response(&c[i], &r, body, sizeof(body)) && r.status == 200 && r.body_len == 2 &&
              body[0] == 'x' && body[1] == last[0]);
    }
    for (int i = 0; i < N; i++) tc_close(&c[i]);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* A coroutine parked in the middle of writing more than the socket takes
 * (several pipelined 1 MiB answers to a reader that waits) resumes inside
 * its write - not at the top, where it would answer the next request into a
 * full output queue - while another connection is served meanwhile. */
TEST(coroutine_resumes_inside_a_long_write)
{
    INV_NEED_MODEL("coroutine");
    tc_server s;
    REQUIRE(inv_start(&s, "coroutine", (const char *)0) == 0);
    enum { BIGS = 6 };
    static tc_conn big, other;
    REQUIRE(!tc_connect(&big, s.port));
    for (int i = 0; i < BIGS; i++) REQUIRE(!tc_send_str(&big, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_sleep_ms(100);   /* more than any socket buffer: the coroutine yields in its write */
    REQUIRE(!tc_connect(&other, s.port));
    CHECK(inv_echo_roundtrip(&other, "meanwhile") == 0);
    static char body[1 << 20];
    int whole = 0;
    for (int i = 0; i < BIGS; i++) {
        tc_response r;
        whole += !tc_read_response(&big, &r, body, sizeof(body)) && r.status == 200 && r.body_len == sizeof(body);
    }
    CHECK_EQ(whole, BIGS);
    tc_close(&big);
    tc_close(&other);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
