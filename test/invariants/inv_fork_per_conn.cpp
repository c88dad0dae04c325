/* fork_per_conn: a child process per connection (a pid of its own, not the
 * parent's); every child reaped after the load (no zombie, no child left);
 * past the cap on live children (--workers 2) a connection is answered 503;
 * a child that has ended no longer holds its place, even while the parent
 * has not reaped it yet; a connection past the cap waits for a child to end. */
#include "inv_proc.h"
#include <string.h>
#include <sys/socket.h>

TEST(fork_per_conn_child_per_connection)
{
    tc_server s;
    REQUIRE(inv_start(&s, "fork_per_conn", (const char *)0) == 0);
    tc_conn a, b;
    REQUIRE(!tc_connect(&a, s.port) && !tc_connect(&b, s.port));
    long pa = inv_get_number(&a, "/pid"), pb = inv_get_number(&b, "/pid");
    CHECK(pa > 0 && pb > 0);
    CHECK(pa != pb);
    CHECK(pa != s.pid && pb != s.pid);
    CHECK_EQ(inv_get_number(&a, "/pid"), pa);   /* the same child for the connection's life */
    CHECK_EQ(inv_child_count(s.pid), 2);
    CHECK_EQ(inv_stop_leaves_nothing(&s), 0);   /* children serving idle clients stop too */
    CHECK(tc_wait_eof(&a, 1000) && tc_wait_eof(&b, 1000));
    tc_close(&a);
    tc_close(&b);
}

TEST(fork_per_conn_reaps_every_child)
{
    tc_server s;
    REQUIRE(inv_start(&s, "fork_per_conn", (const char *)0) == 0);
    CHECK_EQ(inv_burst_served(s.port, 40), 40);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(inv_wait_value(inv_child_count, s.pid, 0, 5000), 0);
    pid_t kids[64];
    int zombies;
    inv_children(s.pid, kids, 64, &zombies);
    CHECK_EQ(zombies, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(fork_per_conn_refuses_past_the_child_cap)
{
    tc_server s;
    REQUIRE(inv_start(&s, "fork_per_conn", "--workers", "2", "--queue-wait", "500", (const char *)0) == 0);
    tc_conn a, b, c;
    REQUIRE(!tc_connect(&a, s.port) && !tc_connect(&b, s.port));
    CHECK(inv_get_number(&a, "/pid") > 0 && inv_get_number(&b, "/pid") > 0);
    REQUIRE(!tc_connect(&c, s.port));
    REQUIRE(!tc_send_str(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_response r;
    char body[64];
    CHECK(!tc_read_response(&c, &r, body, sizeof(body)) && r.status == 503);
    CHECK(tc_wait_eof(&c, 3000));
    tc_close(&c);
    tc_close(&a);
    CHECK_EQ(inv_wait_value(inv_child_count, s.pid, 1, 5000), 1);
    tc_stats st;   /* room again: the next one is served */
    CHECK(tc_stats_get(s.port, &st) == 0 && st.refused == 1);
    tc_close(&b);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* Children still running: a zombie has ended, only its reaping is due. */
static int running_children(pid_t parent)
{
    pid_t kids[64];
    int zombies, n = inv_children(parent, kids, 64, &zombies);
    return n - zombies;
}

/* One request on a new connection, then the client leaves: its status, or
 * -1. The child has answered and waits for more when the client leaves, so
 * it ends while the parent already waits in accept(). Returns once the
 * server has closed the connection too. */
static int request_then_leave(int port)
{
    tc_conn c;
    if (tc_connect(&c, port)) return -1;
    tc_response r;
    char body[64];
    int rc = tc_send_str(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n") ||
             tc_read_response(&c, &r, body, sizeof(body)) ? -1 : r.status;
    shutdown(c.fd, SHUT_WR);
    if (!tc_wait_eof(&c, 5000)) rc = -1;
    tc_close(&c);
    return rc;
}

/* One child at a time, one request after another: each next connection comes
 * once the last child has exited (a zombie, or reaped), so a parent that
 * counts it as alive because it has not reaped it yet refuses the next one. */
TEST(fork_per_conn_an_ended_child_frees_its_place)
{
    tc_server s;
    REQUIRE(inv_start(&s, "fork_per_conn", "--workers", "1", (const char *)0) == 0);
    int served = 0, rounds = 30;
    for (int i = 0; i < rounds; i++) {
        served += request_then_leave(s.port) == 200;
        CHECK_EQ(inv_wait_value(running_children, s.pid, 0, 5000), 0);
    }
    CHECK_EQ(served, rounds);
    tc_stats st;
    CHECK(tc_stats_get(s.port, &st) == 0 && st.refused == 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* At the cap a new connection waits for a place: the one child serves an
 * idle keep-alive client when the next request comes, and that client
 * leaves just after; the waiting connection is served, not refused. */
TEST(fork_per_conn_waits_for_a_place_at_the_cap)
{
    tc_server s;
    REQUIRE(inv_start(&s, "fork_per_conn", "--workers", "1", (const char *)0) == 0);
    tc_conn a, b;
    REQUIRE(!tc_connect(&a, s.port));
    CHECK(inv_get_number(&a, "/pid") > 0);   /* the one child is busy with a */
    REQUIRE(!tc_connect(&b, s.port));
    REQUIRE(!tc_send_str(&b, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    tc_close(&a);
    tc_response r;
    char body[64];
    CHECK(!tc_read_response(&b, &r, body, sizeof(body)) && r.status == 200);
    tc_close(&b);
    tc_stats st;
    CHECK(tc_stats_get(s.port, &st) == 0 && st.refused == 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
