/* reactor_conn_thread: a ready connection's reads and writes run on a
 * short-lived thread, and the connection goes back to its loop afterwards:
 * it stays open and served, while no such thread is left between requests. */
#include "inv_family.h"
#include <string.h>

TEST(reactor_conn_thread_io_on_a_short_lived_thread)
{
    tc_server s;
    REQUIRE(inv_start(&s, "reactor_conn_thread", "--threads", "2", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-loop", 2), 2);
    tc_conn c;
    char body[64];
    REQUIRE(!tc_connect(&c, s.port));
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(fam_get(&c, "/thread", body, sizeof(body)), 200);
        CHECK(!strcmp(body, "nm-conn-io"));
        /* Between requests the connection is back with its loop, no thread holds it. */
        CHECK_EQ(fam_wait_threads(s.pid, "nm-conn-io", 0), 0);
    }
    CHECK_EQ(fam_threads(s.pid, "nm-"), 2);
    tc_close(&c);
    CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
