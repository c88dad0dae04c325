/* config_check.cpp - the impossible configurations that need the library's
 * own types to be seen: a capacity past what the field counting it holds, a
 * model's threads past the stack pool. The rest are refused in nm_config.h.
 * And at run time, a program compiled with other tunables than the library
 * (nm_run hands over the program's values). */
#include "loop/conn.h"
#include "fiber/fiber.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The values, and the names one after the other in one string: a table
 * of pointers would cost a relocation each. The values are kept in 32 bits
 * when every one fits (the defaults do: half the table), else in 64. */
static constexpr bool fits_32_bits(long long v) { return v >= INT32_MIN && v <= INT32_MAX; }
#define NM_TUNABLE_FITS_(name) &&fits_32_bits((long long)(name))
template <bool narrow> struct built_value { typedef long long type; };
template <> struct built_value<true> { typedef int32_t type; };
typedef built_value<true NM_TUNABLES(NM_TUNABLE_FITS_)>::type built_t;
#define NM_BUILT_VALUE_(name) (built_t)(name),
#define NM_TUNABLE_NAME_(name) #name "\0"
static const built_t built_values[] = { NM_TUNABLES(NM_BUILT_VALUE_) };
static const char built_names[] = NM_TUNABLES(NM_TUNABLE_NAME_);

/* 0 when the program's tunables are this build's; else -1 and `why` names
 * the first that differs, with both values. */
int nm_config_differs(const long long *program, int count, char *why, size_t n)
{
    const int built = (int)(sizeof(built_values) / sizeof(built_values[0]));
    if (count != built) {
        snprintf(why, n, "the program's nm_config.h lists %d tunables, the library's %d", count, built);
        return -1;
    }
    const char *name = built_names;
    for (int i = 0; i < built; i++, name += strlen(name) + 1)
        if (program[i] != (long long)built_values[i]) {
            snprintf(why, n, "%s: the program was compiled with %lld, the library with %lld", name, program[i],
                     (long long)built_values[i]);
            return -1;
        }
    return 0;
}

/* The largest value an unsigned field of `bytes` bytes holds. */
#define NM_UMAX(bytes) ((1ull << (8 * (bytes) - 1)) * 2 - 1)

static_assert(NM_OUT_SEGS <= NM_UMAX(sizeof(nm_conn::out_count)) && NM_OUT_SEGS <= NM_UMAX(sizeof(nm_conn::out_first)),
              "NM_OUT_SEGS: more segments than nm_conn's out_first and out_count (uint8_t) count");
static_assert(NM_BUF_SIZE <= NM_UMAX(sizeof(nm_seg::len)) && NM_BUF_SIZE <= NM_UMAX(sizeof(nm_conn::in_len)),
              "NM_BUF_SIZE: more bytes than the uint32_t lengths of nm_conn and nm_seg hold");
static_assert(NM_BUF_SIZE >= sizeof("GET / HTTP/1.1\r\nHost: a\r\n\r\n") - 1,
              "NM_BUF_SIZE: smaller than the shortest HTTP/1.1 request head, which must fit in one buffer");
#ifdef NM_PORT_HAS_POLL
static_assert(NM_MAX_FDS - 1 <= NM_UMAX(sizeof(((nm_port *)0)->u.pl.slot_of[0])) / 2,
              "NM_MAX_FDS: more descriptors than the poll port's int16_t slot index reaches");
#endif
static_assert(NM_FIBER_STACK_SIZE > NM_FIBER_CANARY_BYTES,
              "NM_FIBER_STACK_SIZE: no room above the stack's canary");

/* Models' own minimums, for the models this build has. */
#ifndef NM_WITHOUT_pipeline
static_assert(NM_MAX_THREADS >= 2, "NM_MAX_THREADS: pipeline runs its handle and write stages on two threads");
#endif
#ifndef NM_WITHOUT_producer_consumer
static_assert(NM_MAX_THREADS >= NM_PRODUCERS,
              "NM_MAX_THREADS: producer_consumer needs NM_PRODUCERS - 1 producer threads and a consumer");
#endif
#ifndef NM_WITHOUT_actor
static_assert(NM_MAX_LOOPS >= 2, "NM_MAX_LOOPS: actor needs the acceptor's loop and a worker's");
#endif
#ifndef NM_WITHOUT_producer_consumer
static_assert(NM_MAX_LOOPS >= NM_PRODUCERS, "NM_MAX_LOOPS: producer_consumer runs a loop for each of NM_PRODUCERS");
#endif
