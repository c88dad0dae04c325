/* multi_reactor: the main loop only accepts; connections are spread over
 * the sub-loops and each is served by one sub-loop for its whole life. */
#include "inv_family.h"
#include <string.h>

TEST(multi_reactor_sub_loops_own_connections_for_life)
{
    tc_server s;
    REQUIRE(inv_start(&s, "multi_reactor", "--threads", "3", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-loop", 3), 3);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 3);   /* the acceptor is the main thread */
    enum { N = 6 };
    static tc_conn c[N];
    char first[N][32], body[32];
    for (int i = 0; i < N; i++) REQUIRE(!tc_connect(&c[i], s.port));
    int used[4] = { 0 };
    for (int i = 0; i < N; i++) {
        CHECK_EQ(fam_get(&c[i], "/thread", first[i], sizeof(first[i])), 200);
        CHECK(!strncmp(first[i], "nm-loop", 7));   /* never the acceptor */
        int k = first[i][7] - '0';
        if (k >= 1 && k <= 3) used[k] = 1;
    }
    CHECK_EQ(used[1] + used[2] + used[3], 3);   /* round-robin: all three used */
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < N; i++) {
            CHECK_EQ(fam_get(&c[i], "/thread", body, sizeof(body)), 200);
            CHECK(!strcmp(body, first[i]));   /* the same loop, every time */
        }
    for (int i = 0; i < N; i++) tc_close(&c[i]);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
