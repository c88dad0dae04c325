/* The orderings follow Le, Pop, Cohen and Zappa Nardelli, "Correct and
 * efficient work-stealing for weak memory models" (PPoPP 2013), with the
 * standalone fences folded into the accesses they order (seq_cst on the
 * bottom store and top load of pop, and on the top load and bottom load of
 * steal; release on push's bottom store), which keeps the same guarantees
 * and lets ThreadSanitizer see every happens-before edge. */
#include "deque.h"

#define MASK (NM_STEAL_DEQUE_SIZE - 1ul)

void nm_deque_init(nm_deque *d)
{
    __atomic_store_n(&d->top, 0ul, __ATOMIC_RELAXED);
    __atomic_store_n(&d->bottom, 0ul, __ATOMIC_RELAXED);
}

int nm_deque_push(nm_deque *d, void *item)
{
    unsigned long b = __atomic_load_n(&d->bottom, __ATOMIC_RELAXED);
    unsigned long t = __atomic_load_n(&d->top, __ATOMIC_ACQUIRE);
    if (b - t >= NM_STEAL_DEQUE_SIZE) return -1;
    __atomic_store_n(&d->slots[b & MASK], item, __ATOMIC_RELAXED);
    /* the item (and what it points to) is visible before the slot counts */
    __atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELEASE);
    return 0;
}

void *nm_deque_pop(nm_deque *d)
{
    unsigned long b = __atomic_load_n(&d->bottom, __ATOMIC_RELAXED) - 1;
    /* claim the slot before looking at top: a thief reading bottom after
     * this sees the claim, and we see any steal that came before it */
    __atomic_store_n(&d->bottom, b, __ATOMIC_SEQ_CST);
    /* A full fence as well: a seq_cst store then a seq_cst load are ordered
     * by the language (STLR then LDAR on ARMv8), but an emulator may run that
     * pair on a host whose store buffer lets the load pass the store (qemu-
     * user on x86), and then an owner and a thief both take the last item
     * and top passes bottom for good. The fence is a DMB on ARM, an MFENCE
     * on the host; ThreadSanitizer still sees the seq_cst accesses. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    unsigned long t = __atomic_load_n(&d->top, __ATOMIC_SEQ_CST);
    if ((long)(b - t) < 0) {   /* empty */
        __atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELEASE);   /* a release: thieves acquire the items below it */
        return 0;
    }
    void *item = __atomic_load_n(&d->slots[b & MASK], __ATOMIC_RELAXED);
    if (b != t) return item;   /* more than one left: no thief can reach this one */
    /* the last item: race the thieves for it through top */
    if (!__atomic_compare_exchange_n(&d->top, &t, t + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) item = 0;
    __atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELEASE);   /* a release: thieves acquire the items below it */
    return item;
}

void *nm_deque_steal(nm_deque *d)
{
    unsigned long t = __atomic_load_n(&d->top, __ATOMIC_SEQ_CST);
    unsigned long b = __atomic_load_n(&d->bottom, __ATOMIC_SEQ_CST);
    if ((long)(b - t) <= 0) return 0;
    void *item = __atomic_load_n(&d->slots[t & MASK], __ATOMIC_RELAXED);
    if (!__atomic_compare_exchange_n(&d->top, &t, t + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return 0;
    return item;
}

unsigned nm_deque_size(const nm_deque *d)
{
    unsigned long b = __atomic_load_n(&d->bottom, __ATOMIC_RELAXED);
    unsigned long t = __atomic_load_n(&d->top, __ATOMIC_RELAXED);
    return (long)(b - t) > 0 ? (unsigned)(b - t) : 0;
}
