/* fiber.h - stackful fibers on stacks from a static pool.
 *
 * A fiber runs a function on its own stack and can stop anywhere in it
 * (nm_fiber_yield) to be resumed later by the thread that scheduled it, so
 * code in a fiber is written blocking-style. Switching is a few
 * instructions per architecture (fiber/fiber_switch.cpp): the callee-saved
 * registers go on the stack being left, the stack pointer changes hands.
 *
 * Every switch checks a canary at the low end of the fiber's stack: an
 * overflow is reported (a message and nm_fiber_overflows) and the fiber is
 * abandoned, never resumed on a stack that is no longer its own. */
#ifndef NM_FIBER_H
#define NM_FIBER_H

#include <stdint.h>
#include "../nm_config.h"

#define NM_FIBER_CANARY_BYTES 64

struct nm_fiber {
    void *sp;           /* its stack pointer while switched out */
    void *caller_sp;    /* the scheduler's while the fiber runs */
    void (*fn)(void *);
    void *arg;
    uint8_t finished;
    uint8_t want;       /* what a parked fiber waits for: the scheduler's business */
    uint8_t event;      /* and what it is resumed with: the scheduler's too */
    alignas(16) char stack[NM_FIBER_STACK_SIZE];
};

/* A fiber that will run fn(arg) when first resumed; NULL when the pool is empty. */
nm_fiber *nm_fiber_create(void (*fn)(void *), void *arg);
/* Run f until it yields (1), returns (0: give it back with nm_fiber_release),
 * or is found to have overflowed its stack (-1: abandoned, give it back). */
int nm_fiber_resume(nm_fiber *f);
/* Inside a fiber: back to whoever resumed it. A fiber knows itself from
 * its argument (no thread-local "current fiber": any thread may schedule). */
void nm_fiber_yield(nm_fiber *self);
void nm_fiber_release(nm_fiber *f);
unsigned nm_fiber_free(void);
/* Stack overflows caught since start. */
unsigned long nm_fiber_overflows(void);

#endif
