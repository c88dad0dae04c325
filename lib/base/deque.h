/* deque.h - a fixed-capacity Chase-Lev work-stealing deque of pointers.
 *
 * The owner pushes and pops at the bottom (LIFO, no lock, no CAS unless the
 * last item is contended); any other thread steals from the top (FIFO, one
 * CAS). Indices are native-width unsigned integers compared by difference,
 * so they may wrap, and every atomic is one the target does in instructions
 * (32-bit on armhf and MIPS32). Capacity is NM_STEAL_DEQUE_SIZE, a power of
 * two; a full deque refuses the push. */
#ifndef NM_DEQUE_H
#define NM_DEQUE_H

#include "../nm_config.h"

struct nm_deque {
    unsigned long top;                    /* next to steal; only ever grows (CAS) */
    char apart[64 - sizeof(unsigned long)];   /* thieves' and owner's words on their own lines */
    unsigned long bottom;                 /* next free slot; written by the owner only */
    void *slots[NM_STEAL_DEQUE_SIZE];
};

void nm_deque_init(nm_deque *d);
int nm_deque_push(nm_deque *d, void *item);   /* owner: 0, or -1 when full */
void *nm_deque_pop(nm_deque *d);              /* owner: the newest, NULL when empty */
void *nm_deque_steal(nm_deque *d);            /* others: the oldest, NULL when empty or lost a race */
unsigned nm_deque_size(const nm_deque *d);    /* a snapshot, for heuristics */

#endif
