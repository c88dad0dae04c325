/* The timer wheel, on a clock the tests move by hand. */
#include "../check.h"
#include "../lib/base/timer.h"
#include "../lib/base/udiv.h"
#include "../lib/loop/conn.h"

enum { T0 = 1000, TICK = NM_TIMER_TICK_MS, TURN = NM_TIMER_SLOTS * NM_TIMER_TICK_MS };

/* A timer that counts its firings and may arm itself again. */
struct probe {
    nm_timer timer;
    nm_wheel *wheel;
    int fired;
    int rearms_left;
    unsigned rearm_ms;
    uint64_t now;   /* the clock the callback re-arms from */
};

static void on_probe(nm_timer *t)
{
    probe *p = NM_CONTAINER_OF(t, probe, timer);
    p->fired++;
    if (p->rearms_left > 0) {
        p->rearms_left--;
        nm_wheel_add(p->wheel, t, p->now, p->rearm_ms);
    }
}

static void probe_init(probe *p, nm_wheel *w)
{
    nm_timer_init(&p->timer, on_probe);
    p->wheel = w;
    p->fired = 0;
    p->rearms_left = 0;
    p->rearm_ms = 0;
    p->now = T0;
}

/* Move the clock; a callback re-arms from the time the wheel is told. */
static unsigned advance_with(probe *p, uint64_t now)
{
    p->now = now;
    return nm_wheel_advance(p->wheel, now);
}

TEST(timer_fires_at_its_tick_not_before)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    nm_wheel_add(&w, &p.timer, T0, 250);   /* due at the first tick past 250 ms: 300 */
    CHECK(nm_timer_armed(&p.timer));
    CHECK_EQ(w.armed, 1);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 249), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 299), 0);
    CHECK_EQ(p.fired, 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 300), 1);
    CHECK_EQ(p.fired, 1);
    CHECK(!nm_timer_armed(&p.timer));
    CHECK_EQ(w.armed, 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 5000), 0);
    CHECK_EQ(p.fired, 1);
}

TEST(timer_on_a_tick_boundary_fires_exactly_then)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    nm_wheel_add(&w, &p.timer, T0, 2 * TICK);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 2 * TICK - 1), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 2 * TICK), 1);
}

TEST(timer_of_zero_waits_one_tick)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    nm_wheel_add(&w, &p.timer, T0, 0);
    CHECK_EQ(nm_wheel_advance(&w, T0), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + TICK - 1), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + TICK), 1);
}

TEST(timer_deleted_does_not_fire)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe a, b;
    probe_init(&a, &w);
    probe_init(&b, &w);
    nm_wheel_add(&w, &a.timer, T0, 300);
    nm_wheel_add(&w, &b.timer, T0, 300);   /* same slot as a */
    nm_wheel_del(&w, &a.timer);
    nm_wheel_del(&w, &a.timer);            /* twice is harmless */
    CHECK(!nm_timer_armed(&a.timer));
    CHECK_EQ(w.armed, 1);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 10 * TICK), 1);
    CHECK_EQ(a.fired, 0);
    CHECK_EQ(b.fired, 1);
    CHECK_EQ(w.armed, 0);
}

TEST(timer_rearmed_moves)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    nm_wheel_add(&w, &p.timer, T0, 100);
    nm_wheel_add(&w, &p.timer, T0 + 50, 500);   /* now due at 1600 */
    CHECK_EQ(w.armed, 1);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 100), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 599), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 600), 1);
    CHECK_EQ(p.fired, 1);
    /* and earlier than before */
    nm_wheel_add(&w, &p.timer, T0 + 600, 900);
    nm_wheel_add(&w, &p.timer, T0 + 600, 200);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 799), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 800), 1);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 2000), 0);
    CHECK_EQ(p.fired, 2);
}

TEST(timer_longer_than_the_wheel_waits_the_full_time)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe once, twice;
    probe_init(&once, &w);
    probe_init(&twice, &w);
    /* both land in the slot of tick 3, one and two revolutions away */
    nm_wheel_add(&w, &once.timer, T0, TURN + 3 * TICK);
    nm_wheel_add(&w, &twice.timer, T0, 2 * TURN + 3 * TICK);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 3 * TICK), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + TURN + 3 * TICK - 1), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + TURN + 3 * TICK), 1);
    CHECK_EQ(once.fired, 1);
    CHECK_EQ(twice.fired, 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 2 * TURN + 3 * TICK - 1), 0);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 2 * TURN + 3 * TICK), 1);
    CHECK_EQ(twice.fired, 1);
    CHECK_EQ(w.armed, 0);
}

TEST(timer_callback_rearms_itself)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    p.rearms_left = 2;
    p.rearm_ms = TICK;
    nm_wheel_add(&w, &p.timer, T0, TICK);
    CHECK_EQ(advance_with(&p, T0 + TICK), 1);
    CHECK(nm_timer_armed(&p.timer));
    CHECK_EQ(w.armed, 1);
    CHECK_EQ(advance_with(&p, T0 + 2 * TICK - 1), 0);
    CHECK_EQ(advance_with(&p, T0 + 2 * TICK), 1);
    CHECK_EQ(advance_with(&p, T0 + 3 * TICK), 1);
    CHECK_EQ(p.fired, 3);
    CHECK(!nm_timer_armed(&p.timer));
    CHECK_EQ(nm_wheel_advance(&w, T0 + 100 * TICK), 0);
    CHECK_EQ(w.armed, 0);
}

TEST(timer_rearmed_into_its_own_slot_waits_a_revolution)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p;
    probe_init(&p, &w);
    p.rearms_left = 1;
    p.rearm_ms = TURN;   /* the slot being fired, one turn later */
    nm_wheel_add(&w, &p.timer, T0, TICK);
    CHECK_EQ(advance_with(&p, T0 + TICK), 1);
    CHECK_EQ(advance_with(&p, T0 + TICK + TURN - 1), 0);
    CHECK_EQ(advance_with(&p, T0 + TICK + TURN), 1);
    CHECK_EQ(p.fired, 2);
}

TEST(timer_one_advance_fires_everything_passed)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    probe p[5];
    for (int i = 0; i < 5; i++) {
        probe_init(&p[i], &w);
        nm_wheel_add(&w, &p[i].timer, T0, (unsigned)(i + 1) * TICK);
    }
    CHECK_EQ(nm_wheel_advance(&w, T0 + 3 * TICK), 3);
    CHECK_EQ(w.armed, 2);
    CHECK_EQ(nm_wheel_advance(&w, T0 + 10 * TICK), 2);
    int total = 0;
    for (int i = 0; i < 5; i++) total += p[i].fired;
    CHECK_EQ(total, 5);
}

TEST(timer_wait_ms)
{
    nm_wheel w;
    nm_wheel_init(&w, T0);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0), -1);
    probe near, far;
    probe_init(&near, &w);
    probe_init(&far, &w);
    nm_wheel_add(&w, &near.timer, T0, TICK);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0), TICK);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0 + 60), TICK - 60);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0 + TICK + 50), 0);   /* overdue: do not sleep */
    nm_wheel_del(&w, &near.timer);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0), -1);

    /* never past a timer's due time */
    nm_wheel_add(&w, &far.timer, T0, 50 * TICK);
    int ms = nm_wheel_wait_ms(&w, T0);
    CHECK(ms > 0 && ms <= 50 * TICK);
    nm_wheel_advance(&w, T0 + 50 * TICK);
    CHECK_EQ(far.fired, 1);
    CHECK_EQ(nm_wheel_wait_ms(&w, T0 + 50 * TICK), -1);
}

TEST(timer_clock_is_monotonic_ms)
{
    uint64_t a = nm_now_ms(), b = nm_now_ms();
    CHECK(b >= a);
    CHECK(a > 0);
}

/* A 64-bit number divided in 32-bit steps (what a 32-bit target runs for
 * the wheel's ticks and a decimal's digits) gives C's quotient and
 * remainder, on either side of 2^32 and at the ends. */
template <uint32_t D> static int halves_agree(uint64_t n)
{
    uint32_t rem = D;
    uint64_t q = nm_udiv_halves<D>(n, &rem);
    return q == n / D && rem == n % D;
}

TEST(udiv_in_halves)
{
    const uint64_t ends[] = { 0, 1, 9, 10, 0xffffffffull, 0x100000000ull, 0x100000009ull, 0xffffffffffffffffull,
                              0x123456789abcdefull, 4294967296000ull };
    int bad = 0;
    for (uint64_t n : ends)
        bad += !halves_agree<10>(n) + !halves_agree<100>(n) + !halves_agree<1000>(n) + !halves_agree<7>(n) +
               !halves_agree<65535>(n);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t n = x >> (i % 64);
        bad += !halves_agree<10>(n) + !halves_agree<NM_TIMER_TICK_MS>(n) + !halves_agree<65535>(n) + !halves_agree<3>(n);
    }
    CHECK_EQ(bad, 0);
}
