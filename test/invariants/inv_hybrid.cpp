/* hybrid: processes x sub-loops x workers, each set by an option: the
 * process tree and each child's threads have the asked shape, and requests
 * are answered by workers in more than one process. */
#include "inv_family.h"
#include <stdlib.h>
#include <string.h>

TEST(hybrid_processes_by_loops_by_workers)
{
    tc_server s;
    REQUIRE(inv_start(&s, "hybrid", "--workers", "2", "--threads", "2", "--pool", "3", (const char *)0) == 0);
    pid_t kids[8];
    int children = fam_children(s.pid, kids, 8);
    CHECK_EQ(children, 2);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 0);   /* the parent only supervises */
    for (int k = 0; k < children; k++) {
        CHECK_EQ(fam_wait_threads(kids[k], "nm-loop", 2), 2);
        CHECK_EQ(fam_wait_threads(kids[k], "nm-worker", 3), 3);
        CHECK_EQ(fam_threads(kids[k], "nm-"), 5);
    }
    pid_t seen[2] = { 0, 0 };
    for (int round = 0; round < 20 && !seen[1]; round++) {
        enum { BURST = 12 };
        static tc_conn c[BURST];
        int open = 0;
        while (open < BURST && !tc_connect(&c[open], s.port)) open++;
        for (int i = 0; i < open; i++) {
            char body[32];
            CHECK_EQ(fam_get(&c[i], "/thread", body, sizeof(body)), 200);
            CHECK(!strncmp(body, "nm-worker", 9));
            CHECK_EQ(fam_get(&c[i], "/pid", body, sizeof(body)), 200);
            pid_t p = (pid_t)atoi(body);
            if (!seen[0]) seen[0] = p;
            else if (p != seen[0]) seen[1] = p;
        }
        for (int i = 0; i < open; i++) tc_close(&c[i]);
    }
    CHECK(seen[1] != 0);
    CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
