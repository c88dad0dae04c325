#include "fiber.h"
#include "../base/pool.h"
#include <stdio.h>
#include <string.h>

extern nm_pool nm_fiber_pool;

/* fiber/fiber_switch.cpp: save the callee-saved registers on the current
 * stack, store its pointer in *save, and carry on from the stack at load. */
extern "C" void nm_fiber_switch(void **save, void *load);
/* The first frame of a new fiber "returns" into the trampoline, which calls
 * entry(arg); nm_fiber_frame lays that frame out at the top of f's stack. */
void *nm_fiber_frame(nm_fiber *f, char *top, void (*entry)(void *), void *arg);

static unsigned long overflows;
static const unsigned char canary_byte = 0xA5;

static void paint_canary(nm_fiber *f) { memset(f->stack, canary_byte, NM_FIBER_CANARY_BYTES); }

static int canary_intact(const nm_fiber *f)
{
    for (int i = 0; i < NM_FIBER_CANARY_BYTES; i++)
        if ((unsigned char)f->stack[i] != canary_byte) return 0;
    return 1;
}

static void entry(void *arg)
{
    nm_fiber *f = (nm_fiber *)arg;
    f->fn(f->arg);
    f->finished = 1;
    nm_fiber_yield(f);   /* never resumed again */
}

nm_fiber *nm_fiber_create(void (*fn)(void *), void *arg)
{
    nm_fiber *f = (nm_fiber *)nm_pool_get(&nm_fiber_pool);
    if (!f) return 0;
    f->fn = fn;
    f->arg = arg;
    f->finished = 0;
    f->want = f->event = 0;
    paint_canary(f);
    /* the top, aligned down to 16 bytes: every ABI here is happy with that */
    char *top = (char *)((uintptr_t)(f->stack + NM_FIBER_STACK_SIZE) & ~(uintptr_t)15);
    f->sp = nm_fiber_frame(f, top, entry, f);
    return f;
}

static int overflowed(nm_fiber *f)
{
    if (canary_intact(f)) return 0;
    __atomic_fetch_add(&overflows, 1ul, __ATOMIC_RELAXED);
    dprintf(2, "netmodels: a fiber overflowed its %d-byte stack (raise NM_FIBER_STACK_SIZE); "
               "it is abandoned\n", NM_FIBER_STACK_SIZE);
    return 1;
}

int nm_fiber_resume(nm_fiber *f)
{
    if (overflowed(f)) return -1;
    nm_fiber_switch(&f->caller_sp, f->sp);
    if (overflowed(f)) return -1;
    return f->finished ? 0 : 1;
}

void nm_fiber_yield(nm_fiber *self)
{
    nm_fiber_switch(&self->sp, self->caller_sp);
}

void nm_fiber_release(nm_fiber *f) { nm_pool_put(&nm_fiber_pool, f); }
unsigned nm_fiber_free(void) { return nm_pool_free(&nm_fiber_pool); }
unsigned long nm_fiber_overflows(void) { return __atomic_load_n(&overflows, __ATOMIC_RELAXED); }
