/* udiv.h - a 64-bit number divided by a small constant. On a 32-bit
 * target C's 64-bit division is a libgcc routine (__udivmoddi4, some 300
 * bytes of Thumb-2) that a firmware would link for a handful of divisions
 * by constants; here it is three 32-bit divisions by the constant, each a
 * multiplication. A 64-bit target divides as C does. */
#ifndef NM_UDIV_H
#define NM_UDIV_H

#include <stdint.h>

/* x / D, its remainder in *rem. (The quotient passes through an empty asm:
 * seeing x / D beside x % D, gcc -Os calls libgcc's __aeabi_uidivmod
 * instead of multiplying.) */
template <uint32_t D> inline uint32_t nm_udiv32(uint32_t x, uint32_t *rem)
{
    uint32_t q = x / D;
    __asm__("" : "+r"(q));
    *rem = x - q * D;
    return q;
}

/* n / D and n % D in 32-bit steps: the high half, then the low half 16
 * bits at a time, each step's remainder (below D, so 16 bits) carried. */
template <uint32_t D> inline uint64_t nm_udiv_halves(uint64_t n, uint32_t *rem)
{
    static_assert(D > 0 && D <= 0xffff, "nm_udiv: a divisor of 16 bits at most (a remainder and 16 bits fit in 32)");
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, r;
    uint32_t top = nm_udiv32<D>(hi, &r);
    uint32_t mid = nm_udiv32<D>(r << 16 | lo >> 16, &r);
    uint32_t low = nm_udiv32<D>(r << 16 | (lo & 0xffff), rem);
    return (uint64_t)top << 32 | (uint64_t)mid << 16 | low;
}

template <uint32_t D> inline uint64_t nm_udiv(uint64_t n, uint32_t *rem)
{
#if UINTPTR_MAX > 0xffffffffu
    *rem = (uint32_t)(n % D);
    return n / D;
#else
    return nm_udiv_halves<D>(n, rem);
#endif
}

#endif
