/* actor: new connections go to the least-loaded worker, as the acceptor
 * knows it from the workers' messages. With two workers, eight idle
 * connections split 4/4; closing every other one empties one worker (4/0
 * either way round), and four new connections must all go to the emptied
 * worker - 4/4 again - where taking turns would leave 2/6. The acceptor
 * publishes the spread (most minus least loaded) it believes in. */
#include "inv.h"
#include "inv_stat.h"

/* Wait until the acceptor has heard of every close: it believes in
 * `conns` connections plus the one asking. */
static long known_settles(int port, long conns)
{
    long known = -1;
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((known = inv_model_stat(port, "load_known")) == conns + 1) break;
    return known;
}

TEST(actor_new_connections_go_to_the_least_loaded_worker)
{
    INV_NEED_MODEL("actor");
    tc_server s;
    REQUIRE(inv_start(&s, "actor", "--threads", "2", (const char *)0) == 0);
    static tc_conn c[12];
    for (int i = 0; i < 8; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        /* one answer each: the connection is surely adopted before the next */
        REQUIRE(inv_echo_roundtrip(&c[i], "x") == 0);
    }
    CHECK_EQ(known_settles(s.port, 8), 9);
    CHECK(inv_model_stat(s.port, "load_spread") <= 1);
    for (int i = 0; i < 8; i += 2) tc_close(&c[i]);
    CHECK_EQ(known_settles(s.port, 4), 5);
    for (int i = 8; i < 12; i++) {
        REQUIRE(!tc_connect(&c[i], s.port));
        REQUIRE(inv_echo_roundtrip(&c[i], "y") == 0);
    }
    CHECK_EQ(known_settles(s.port, 8), 9);
    CHECK(inv_model_stat(s.port, "load_spread") <= 1);   /* 5/4 with the asking one; 3/6 if by turns */
    for (int i = 1; i < 12; i += (i < 8 ? 2 : 1)) tc_close(&c[i]);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
