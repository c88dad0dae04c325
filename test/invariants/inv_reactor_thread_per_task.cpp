/* reactor_thread_per_task: each request runs on a thread started for it,
 * which is gone once answered; pipelined requests keep their order. */
#include "inv_family.h"
#include <string.h>

TEST(reactor_thread_per_task_a_thread_per_request)
{
    tc_server s;
    REQUIRE(inv_start(&s, "reactor_thread_per_task", (const char *)0) == 0);
    tc_conn c;
    char body[64];
    REQUIRE(!tc_connect(&c, s.port));
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(fam_get(&c, "/thread", body, sizeof(body)), 200);
        CHECK(!strcmp(body, "nm-task"));
    }
    CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    /* Answered and joined: no task thread outlives its request. */
    CHECK_EQ(fam_wait_threads(s.pid, "nm-task", 0), 0);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 0);
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
