/* reactor_worker_pool: the one reactor (the main thread) does the I/O and
 * the handler runs on a worker of a fixed pool; sixteen pipelined requests
 * with different bodies come back in order. */
#include "inv_family.h"
#include <string.h>

TEST(reactor_worker_pool_handler_runs_on_a_worker)
{
    tc_server s;
    REQUIRE(inv_start(&s, "reactor_worker_pool", "--pool", "3", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-worker", 3), 3);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 3);   /* no other loop or task thread */
    tc_conn c;
    char body[64];
    REQUIRE(!tc_connect(&c, s.port));
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(fam_get(&c, "/thread", body, sizeof(body)), 200);
        CHECK(!strncmp(body, "nm-worker", 9));
    }
    tc_close(&c);
    CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
