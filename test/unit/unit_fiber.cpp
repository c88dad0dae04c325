/* Fibers: switching both ways keeps each side's registers and stack, many
 * fibers interleave, and a stack overflow is caught at the next switch. */
#include "../check.h"
#include "../lib/fiber/fiber.h"
#include <string.h>

static int trace[64], traced;

struct pingpong { int id, rounds; double acc; nm_fiber *self; };

static void ping(void *arg)
{
    pingpong *p = (pingpong *)arg;
    for (int i = 0; i < p->rounds; i++) {
        /* floating point and integer state live across the switch */
        p->acc += 0.5 * (i + 1);
        if (traced < 64) trace[traced++] = p->id * 100 + i;
        nm_fiber_yield(p->self);
    }
}

TEST(fibers_interleave_and_finish)
{
    pingpong a = { 1, 3, 0, 0 }, b = { 2, 3, 0, 0 };
    traced = 0;
    unsigned before = nm_fiber_free();
    nm_fiber *fa = nm_fiber_create(ping, &a), *fb = nm_fiber_create(ping, &b);
    REQUIRE(fa && fb);
    a.self = fa;
    b.self = fb;
    CHECK_EQ(nm_fiber_free(), before - 2);
    int alive_a = 1, alive_b = 1;
    double local = 1.25;   /* the scheduler's own state survives too */
    while (alive_a || alive_b) {
        if (alive_a) alive_a = nm_fiber_resume(fa);
        if (alive_b) alive_b = nm_fiber_resume(fb);
        local *= 2;
    }
    CHECK_EQ(alive_a, 0);
    CHECK_EQ(alive_b, 0);
    const int want[] = { 100, 200, 101, 201, 102, 202 };
    CHECK_EQ(traced, 6);
    for (int i = 0; i < 6; i++) CHECK_EQ(trace[i], want[i]);
    CHECK(a.acc == 3.0 && b.acc == 3.0);
    CHECK(local == 1.25 * 16);
    nm_fiber_release(fa);
    nm_fiber_release(fb);
    CHECK_EQ(nm_fiber_free(), before);
}

static int deep(int n)
{
    volatile char frame[256];
    memset((char *)frame, n, sizeof(frame));
    return n ? deep(n - 1) + frame[n % 256] : 0;
}

static nm_fiber *current;

static void uses_stack(void *arg)
{
    *(int *)arg = deep(20);   /* about 6 KiB deep, within the stack */
    nm_fiber_yield(current);
}

TEST(fiber_stack_in_use_is_not_an_overflow)
{
    int got = -1;
    nm_fiber *f = current = nm_fiber_create(uses_stack, &got);
    REQUIRE(f);
    unsigned long before = nm_fiber_overflows();
    CHECK_EQ(nm_fiber_resume(f), 1);
    CHECK_EQ(nm_fiber_resume(f), 0);
    CHECK(got > 0);
    CHECK_EQ(nm_fiber_overflows(), before);
    nm_fiber_release(f);
}

static void overflows(void *arg)
{
    (void)arg;
    /* what running off the low end of the stack does to its last bytes */
    nm_fiber *self = current;
    memset(self->stack + NM_FIBER_CANARY_BYTES / 2, 0, 8);
    nm_fiber_yield(self);
}

TEST(fiber_stack_overflow_is_caught_at_the_switch)
{
    nm_fiber *f = current = nm_fiber_create(overflows, 0);
    REQUIRE(f);
    unsigned long before = nm_fiber_overflows();
    CHECK_EQ(nm_fiber_resume(f), -1);
    CHECK_EQ(nm_fiber_overflows(), before + 1);
    CHECK_EQ(nm_fiber_resume(f), -1);   /* never run again */
    nm_fiber_release(f);
}
