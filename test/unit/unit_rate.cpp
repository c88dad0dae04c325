/* The minimum-rate rule (lib/base/rate.h) alone: given the bytes that
 * arrived and when, when does it cut? */
#include "../check.h"
#include "../lib/base/rate.h"

enum { RATE = 500, T = 100000 };   /* ms: the first byte's time */
static const uint64_t NEVER = UINT64_MAX;

TEST(rate_steady_trickle_is_cut_after_the_grace)
{
    nm_rate r;
    nm_rate_reset(&r);
    nm_rate_add(&r, T, 1, RATE);
    CHECK(nm_rate_due(&r, RATE) == NEVER);   /* the first second is grace */
    nm_rate_add(&r, T + 1000, 1, RATE);
    CHECK_EQ(nm_rate_due(&r, RATE), (uint64_t)T + 2000);   /* this window ends short, unless more comes */
    nm_rate_add(&r, T + 1999, 1, RATE);
    CHECK_EQ(nm_rate_due(&r, RATE), (uint64_t)T + 2000);
    /* The next byte came before the cut was looked at: the verdict of the
     * window that ended short stays. */
    nm_rate_add(&r, T + 2000, 1, RATE);
    CHECK(nm_rate_due(&r, RATE) <= (uint64_t)T + 2000);
}

TEST(rate_slower_trickle_is_cut_too)
{
    nm_rate r;
    nm_rate_reset(&r);
    for (uint64_t t = T; t < T + 5000; t += 2500) nm_rate_add(&r, t, 1, RATE);
    CHECK_EQ(nm_rate_due(&r, RATE), (uint64_t)T + 3000);   /* a byte each 2.5 s: cut at the end of its second byte's window */
}

TEST(rate_stall_then_burst_is_kept)
{
    nm_rate r;
    nm_rate_reset(&r);
    nm_rate_add(&r, T, 20, RATE);   /* half a head, then its next segment is lost */
    CHECK(nm_rate_due(&r, RATE) == NEVER);
    /* Nothing for 2.5 s: a stall, never cut by the rule (the header timeout's) */
    CHECK(nm_rate_due(&r, RATE) == NEVER);
    /* The retransmission brings the rest at once: a short rest is not cut
     * as it arrives (the head is whole, the phase ends before the window
     * does), a long one keeps the rate. */
    nm_rate kept = r;
    nm_rate_add(&r, T + 2500, 30, RATE);
    CHECK(nm_rate_due(&r, RATE) > (uint64_t)T + 2500);
    nm_rate_add(&kept, T + 2500, 3000, RATE);
    CHECK(nm_rate_due(&kept, RATE) == NEVER);
    /* and a stall in the middle of an upload that keeps the rate otherwise */
    nm_rate u;
    nm_rate_reset(&u);
    for (uint64_t t = T; t < T + 3000; t += 100) nm_rate_add(&u, t, 1448, RATE);
    for (uint64_t t = T + 6000; t < T + 9000; t += 100) {
        nm_rate_add(&u, t, 1448, RATE);
        CHECK(nm_rate_due(&u, RATE) == NEVER);
    }
}

TEST(rate_fast_client_is_never_judged)
{
    nm_rate r;
    nm_rate_reset(&r);
    for (int i = 0; i < 40; i++) {
        nm_rate_add(&r, T + (uint64_t)i, 100, RATE);   /* a head in the first 40 ms */
        CHECK(nm_rate_due(&r, RATE) == NEVER);
    }
    nm_rate s;   /* a steady 600 bytes a second, 60 every 100 ms */
    nm_rate_reset(&s);
    for (uint64_t t = T; t < T + 10000; t += 100) {
        nm_rate_add(&s, t, 60, RATE);
        CHECK(nm_rate_due(&s, RATE) > t);
    }
    CHECK(nm_rate_due(&s, RATE) == NEVER);
}

TEST(rate_off_never_cuts)
{
    nm_rate r;
    nm_rate_reset(&r);
    for (uint64_t t = T; t < T + 10000; t += 1000) {
        nm_rate_add(&r, t, 1, 0);
        CHECK(nm_rate_due(&r, 0) == NEVER);
    }
    CHECK(!r.on);   /* off: nothing is counted */
}
