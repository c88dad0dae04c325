/* thread_per_conn: each connection has a thread of its own (the process
 * gains one named thread per open connection, and loses it after); past
 * --threads (the stack pool) a connection is answered 503. */
#include "inv_proc.h"
#include <string.h>

static int conn_threads(pid_t pid) { return inv_named_threads(pid, "nm-conn"); }

TEST(thread_per_conn_one_thread_per_connection)
{
    tc_server s;
    REQUIRE(inv_start(&s, "thread_per_conn", (const char *)0) == 0);
    CHECK_EQ(conn_threads(s.pid), 0);
    tc_conn c[3];
    char name[32];
    for (int i = 0; i < 3; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        CHECK(!inv_get_text(&c[i], "/thread", name, sizeof(name)) && !strcmp(name, "nm-conn"));
    }
    CHECK_EQ(conn_threads(s.pid), 3);
    for (int i = 0; i < 3; i++) tc_close(&c[i]);
    CHECK_EQ(inv_wait_value(conn_threads, s.pid, 0, 5000), 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(thread_per_conn_refuses_past_the_stack_pool)
{
    tc_server s;
    REQUIRE(inv_start(&s, "thread_per_conn", "--threads", "2", "--queue-wait", "500", (const char *)0) == 0);
    tc_conn a, b, c;
    REQUIRE(!tc_connect(&a, s.port) && !tc_connect(&b, s.port));
    /* both threads busy in a slow handler (idle connections they would give
     * up to a waiting client: inv_burst.cpp); b's the longer, so that it is
     * still busy when a's thread ends (b answering at the same moment, at
     * the cap, would give its connection up too and end its thread) */
    REQUIRE(!tc_send_str(&a, "GET /sleep/2500 HTTP/1.1\r\nHost: t\r\n\r\n") &&
            !tc_send_str(&b, "GET /sleep/4000 HTTP/1.1\r\nHost: t\r\n\r\n"));
    CHECK_EQ(inv_wait_value(conn_threads, s.pid, 2, 5000), 2);
    REQUIRE(!tc_connect(&c, s.port));
    REQUIRE(!tc_send_str(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_response r;
    char body[64];
    CHECK(!tc_read_response(&c, &r, body, sizeof(body)) && r.status == 503);   /* after the short wait */
    CHECK(tc_wait_eof(&c, 3000));
    tc_close(&c);
    CHECK_EQ(conn_threads(s.pid), 2);   /* never more than the pool */
    tc_close(&a);
    CHECK_EQ(inv_wait_value(conn_threads, s.pid, 1, 5000), 1);
    tc_stats st;   /* a thread ended: the next connection is served */
    CHECK(tc_stats_get(s.port, &st) == 0 && st.refused >= 1);
    tc_close(&b);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
