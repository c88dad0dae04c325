/* multi_reactor_worker_pool: an acceptor, sub-loops for the I/O, and the
 * handler on a worker; pipelined requests keep their order. */
#include "inv_family.h"
#include <string.h>

TEST(multi_reactor_worker_pool_handler_runs_on_a_worker)
{
    tc_server s;
    REQUIRE(inv_start(&s, "multi_reactor_worker_pool", "--threads", "2", "--pool", "3", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-loop", 2), 2);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-worker", 3), 3);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 5);
    for (int i = 0; i < 4; i++) {
        tc_conn c;
        char body[64];
        REQUIRE(!tc_connect(&c, s.port));
        CHECK_EQ(fam_get(&c, "/thread", body, sizeof(body)), 200);
        CHECK(!strncmp(body, "nm-worker", 9));
        tc_close(&c);
    }
    for (int i = 0; i < 3; i++) CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
