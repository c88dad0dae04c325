/* pipeline: the stages run on their own threads (handle, write; parse is
 * the loop), and each connection's answers come back in the order of its
 * requests while many connections pipeline at once. */
#include "inv.h"
#include "inv_stat.h"

TEST(pipeline_stages_and_per_connection_order)
{
    INV_NEED_MODEL("pipeline");
    tc_server s;
    REQUIRE(inv_start(&s, "pipeline", (const char *)0) == 0);
    enum { CONNS = 16, DEPTH = 12 };
    static tc_conn c[CONNS];
    char req[160], id[32];
    for (int i = 0; i < CONNS; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        for (int k = 0; k < DEPTH; k++) {   /* all of a connection's requests in flight at once */
            snprintf(id, sizeof(id), "c%d-r%d", i, k);
            snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(id), id);
            REQUIRE(!tc_send_str(&c[i], req));
        }
    }
    int in_order = 0;
    for (int i = 0; i < CONNS; i++) {
        for (int k = 0; k < DEPTH; k++) {
            tc_response r;
            char body[32];
            snprintf(id, sizeof(id), "c%d-r%d", i, k);
            if (tc_read_response(&c[i], &r, body, sizeof(body) - 1)) break;
            body[r.body_len] = 0;
            in_order += r.status == 200 && !strcmp(body, id);
        }
        tc_close(&c[i]);
    }
    CHECK_EQ(in_order, CONNS * DEPTH);
    CHECK_EQ(inv_wait_threads_named(s.pid, "nm-handle", 1), 1);
    CHECK_EQ(inv_wait_threads_named(s.pid, "nm-write", 1), 1);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
