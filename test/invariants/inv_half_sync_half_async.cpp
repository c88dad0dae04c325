/* half_sync_half_async: the handler runs in the sync layer - its own
 * worker threads, as many as asked - while one loop does the I/O; slow
 * clients parked in the async layer hold no worker, so a complete request
 * behind them is still answered. */
#include "inv.h"
#include "inv_stat.h"

TEST(half_sync_half_async_layers)
{
    INV_NEED_MODEL("half_sync_half_async");
    tc_server s;
    REQUIRE(inv_start(&s, "half_sync_half_async", "--threads", "2", (const char *)0) == 0);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    CHECK(inv_echo_roundtrip(&c, "warm") == 0);
    enum { SLOW = 6 };
    static tc_conn slow[SLOW];
    for (int i = 0; i < SLOW; i++) {   /* more half-sent requests than workers */
        REQUIRE(!tc_connect(&slow[i], s.port));
        REQUIRE(!tc_send_str(&slow[i], "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab"));
    }
    tc_sleep_ms(50);
    CHECK(inv_echo_roundtrip(&c, "still") == 0);   /* no worker is stuck on a slow client */
    for (int i = 0; i < SLOW; i++) {
        REQUIRE(!tc_send_str(&slow[i], "cd"));
        tc_response r;
        char body[8];
        CHECK(!tc_read_response(&slow[i], &r, body, sizeof(body)) && r.status == 200 && r.body_len == 4);
        tc_close(&slow[i]);
    }
    CHECK_EQ(inv_wait_threads_named(s.pid, "nm-sync", 2), 2);   /* the sync layer, as asked */
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
