/* event_loop: one thread and one loop for I/O, timers and signals. An idle
 * keep-alive connection is closed by the loop's timer once the idle timeout
 * has passed (not before, and not while it keeps sending); SIGTERM is read
 * from a descriptor the loop watches (blocked as a signal, a signalfd
 * open), and stops the server cleanly. */
#include "inv_family.h"
#include <signal.h>
#include <string.h>

TEST(event_loop_idle_timeout_closes_from_the_loop_timer)
{
    tc_server s;
    REQUIRE(inv_start(&s, "event_loop", "--idle-timeout", "600", (const char *)0) == 0);
    CHECK_EQ(fam_threads(s.pid, "nm-"), 0);   /* no loop, worker or task thread: one loop does it all */
    tc_conn idle, busy;
    char body[64];
    REQUIRE(!tc_connect(&idle, s.port) && !tc_connect(&busy, s.port));
    CHECK_EQ(fam_get(&idle, "/", body, sizeof(body)), 200);
    long t0 = tc_now_ms();
    /* The busy one asks every 150 ms for 1.2 s: each answer re-arms its timer. */
    int answered = 0;
    for (int i = 0; i < 8; i++) {
        tc_sleep_ms(150);
        if (fam_get(&busy, "/", body, sizeof(body)) == 200) answered++;
    }
    CHECK_EQ(answered, 8);
    CHECK(tc_wait_eof(&idle, 5000));   /* closed by the timer, idle since t0 */
    CHECK(tc_now_ms() - t0 >= 550);
    CHECK_EQ(fam_get(&busy, "/", body, sizeof(body)), 200);
    long t1 = tc_now_ms();
    CHECK(tc_wait_eof(&busy, 5000));
    CHECK(tc_now_ms() - t1 >= 550);
    tc_close(&idle);
    tc_close(&busy);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(event_loop_sigterm_is_a_loop_event)
{
    tc_server s;
    REQUIRE(inv_start(&s, "event_loop", (const char *)0) == 0);
    CHECK(fam_signal_blocked(s.pid, SIGTERM));
    CHECK(fam_signal_blocked(s.pid, SIGINT));
    CHECK(fam_has_fd(s.pid, "signalfd"));
    tc_conn c;
    char body[64];
    REQUIRE(!tc_connect(&c, s.port));
    CHECK_EQ(fam_get(&c, "/", body, sizeof(body)), 200);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
    CHECK(tc_wait_eof(&c, 1000));
    tc_close(&c);
}
