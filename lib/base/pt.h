/* pt.h - stackless coroutines: a local continuation kept in a few bytes.
 *
 * A coroutine is a function whose body sits between NM_PT_BEGIN and
 * NM_PT_END. NM_PT_YIELD(lc, v) records where it stopped and returns v; the
 * next call jumps straight back there through a switch on the saved line.
 * Nothing but `*lc` survives a yield, so the body keeps its state in the
 * object it works on (a connection), never in locals across a yield, and a
 * yield may not sit inside a switch statement of the body. */
#ifndef NM_PT_H
#define NM_PT_H

#include <stdint.h>

typedef uint16_t nm_lc;   /* 0: start from the top */

#define NM_PT_BEGIN(lc) switch (*(lc)) { case 0:

#define NM_PT_YIELD(lc, value)       \
    do {                             \
        *(lc) = (nm_lc)__LINE__;     \
        return (value);              \
    case __LINE__:;                  \
    } while (0)

/* Finished: the next call starts again from the top, and returns 0 now. */
#define NM_PT_END(lc) } *(lc) = 0; return 0

#endif
