/* fiber: every connection being served runs on its own fiber from the
 * pool; a fiber parked in the middle of a request keeps its place while
 * others are served, and its fiber goes back to the pool when the
 * connection ends or goes idle: idle keep-alive connections hold none. */
#include "inv.h"
#include "inv_stat.h"

TEST(fiber_per_connection_parked_and_returned)
{
    INV_NEED_MODEL("fiber");
    tc_server s;
    REQUIRE(inv_start(&s, "fiber", (const char *)0) == 0);
    CHECK_EQ(inv_model_stat(s.port, "fibers"), 1);   /* only the one asking */
    enum { N = 5 };
    static tc_conn c[N];
    for (int i = 0; i < N; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        REQUIRE(!tc_send_str(&c[i], "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nab"));
    }
    long fibers = -1;
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((fibers = inv_model_stat(s.port, "fibers")) == N + 1) break;
    CHECK_EQ(fibers, N + 1);   /* N parked mid-request, plus the one asking */
    for (int i = 0; i < N; i++) {
        REQUIRE(!tc_send_str(&c[i], "c"));
        tc_response r;
        char body[8];
        CHECK(!tc_read_response(&c[i], &r, body, sizeof(body)) && r.status == 200 && r.body_len == 3 &&
              !memcmp(body, "abc", 3));
        tc_close(&c[i]);
    }
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((fibers = inv_model_stat(s.port, "fibers")) == 1) break;
    CHECK_EQ(fibers, 1);
    CHECK_EQ(inv_model_stat(s.port, "fiber_overflows"), 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* The fiber pool is fixed: connections past it are refused with a 503 and
 * counted, never given a stack from anywhere else; once fibers come back,
 * new connections are served again. */
TEST(fiber_pool_exhausted_refuses_and_recovers)
{
    INV_NEED_MODEL("fiber");
    tc_server s;
    REQUIRE(inv_start(&s, "fiber", (const char *)0) == 0);
    enum { N = 300 };   /* more than NM_FIBER_COUNT (256 by default) */
    static tc_conn c[N];
    int open = 0;
    for (; open < N; open++) {
        if (tc_connect(&c[open], s.port)) break;
        if (tc_send_str(&c[open], "GET / HTTP/1.1\r\n")) break;   /* parks its fiber */
    }
    REQUIRE(open == N);
    tc_response r;
    char body[64];
    CHECK(!tc_read_response(&c[N - 1], &r, body, sizeof(body)) && r.status == 503);
    for (int i = 0; i < N; i++) tc_close(&c[i]);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 10000, &st) == 0);
    CHECK(st.refused >= N - 256);
    /* the asking connection's own fiber, once the previous asker's is back */
    int fibers = -1;
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((fibers = inv_model_stat(s.port, "fibers")) == 1) break;
    CHECK_EQ(fibers, 1);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* A body that streams to its handler keeps its fiber between pieces, its
 * buffer empty: the request is under way, not idle. */
TEST(fiber_streaming_body_keeps_its_fiber)
{
    INV_NEED_MODEL("fiber");
    tc_server s;
    REQUIRE(inv_start(&s, "fiber", (const char *)0) == 0);
    enum { LEN = 100000, FIRST = 1000 };   /* larger than a buffer: it streams */
    static char bytes[LEN];
    memset(bytes, 'x', sizeof(bytes));
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    REQUIRE(!tc_send_str(&c, "POST /upload?discard HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
    REQUIRE(!tc_send(&c, bytes, FIRST));
    long fibers = -1;
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((fibers = inv_model_stat(s.port, "fibers")) == 2) break;
    tc_sleep_ms(200);   /* its first piece taken long since */
    CHECK_EQ(inv_model_stat(s.port, "fibers"), 2);   /* the upload's, and the one asking */
    REQUIRE(!tc_send(&c, bytes + FIRST, LEN - FIRST));
    tc_response r;
    char body[64] = { 0 };
    CHECK(!tc_read_response(&c, &r, body, sizeof(body) - 1) && r.status == 200 && strstr(body, "\"bytes\":100000"));
    tc_close(&c);
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((fibers = inv_model_stat(s.port, "fibers")) == 1) break;
    CHECK_EQ(fibers, 1);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* Between requests a keep-alive connection holds no fiber: more idle
 * connections than the pool has fibers are all served, and served again. */
TEST(fiber_idle_connections_hold_no_fiber)
{
    INV_NEED_MODEL("fiber");
    tc_server s;
    REQUIRE(inv_start(&s, "fiber", (const char *)0) == 0);
    enum { N = 300 };   /* more than NM_FIBER_COUNT (256 by default) */
    static tc_conn c[N];
    tc_response r;
    char body[64];
    int ok = 0;
    for (int i = 0; i < N; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        ok += !tc_send_str(&c[i], "GET / HTTP/1.1\r\nHost: t\r\n\r\n") &&
              !tc_read_response(&c[i], &r, body, sizeof(body)) && r.status == 200;
    }
    CHECK_EQ(ok, N);
    CHECK_EQ(inv_model_stat(s.port, "fibers"), 1);   /* only the one asking */
    ok = 0;
    for (int i = 0; i < N; i++)
        ok += !tc_send_str(&c[i], "GET / HTTP/1.1\r\nHost: t\r\n\r\n") &&
              !tc_read_response(&c[i], &r, body, sizeof(body)) && r.status == 200;
    CHECK_EQ(ok, N);
    for (int i = 0; i < N; i++) tc_close(&c[i]);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 10000, &st) == 0);
    CHECK_EQ(st.refused, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
