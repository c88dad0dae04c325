/* iterative: one client at a time. While a first client holds the server
 * with a half-sent request, a second client's complete request gets no
 * answer; once the first is served and leaves, the second is answered. */
#include "inv.h"
#include <string.h>

TEST(iterative_second_client_waits_for_the_first)
{
    tc_server s;
    REQUIRE(inv_start(&s, "iterative", (const char *)0) == 0);
    tc_conn a, b;
    REQUIRE(!tc_connect(&a, s.port));
    REQUIRE(!tc_send_str(&a, "GET / HTTP/1.1\r\n"));   /* half a request */
    tc_sleep_ms(100);
    REQUIRE(!tc_connect(&b, s.port));                 /* waits in the backlog */
    REQUIRE(!tc_send_str(&b, "GET / HTTP/1.1\r\nHost: b\r\n\r\n"));
    char got[64];
    CHECK_EQ(tc_read_some(&b, got, sizeof(got), 400), 0);   /* nothing while a is served */
    REQUIRE(!tc_send_str(&a, "Host: a\r\nConnection: close\r\n\r\n"));
    tc_response r;
    char body[32];
    CHECK(!tc_read_response(&a, &r, body, sizeof(body)) && r.status == 200);
    tc_close(&a);
    CHECK(!tc_read_response(&b, &r, body, sizeof(body)) && r.status == 200);
    tc_close(&b);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
