#include "pause.h"
#include "loop.h"
#include <errno.h>
#include <time.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__linux__) && defined(SYS_futex)
/* linux/futex.h's operations, written here: a libc without the kernel's
 * headers (musl's toolchain) has the syscall but not that header. */
#define NM_FUTEX 1
enum { FUTEX_WAIT_PRIVATE_OP = 0 | 128, FUTEX_WAKE_PRIVATE_OP = 1 | 128 };
#endif

static uint32_t word(uint32_t gen, unsigned state) { return gen << 3 | state; }
static uint32_t gen_of(const nm_conn *c) { return nm_conn_gen(c) & 0x1fffffffu; }

static int move(nm_conn *c, uint32_t from, uint32_t to)
{
    return __atomic_compare_exchange_n(&c->pause, &from, to, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static const nm_pause_ops pause_ops = { nm_pause_ask, nm_pause_wait, nm_loop_park, nm_pause_drop };

/* (the same value from every thread of the server) */
void nm_pause_enable(nm_server *s) { __atomic_store_n(&s->pausing, &pause_ops, __ATOMIC_RELAXED); }

int nm_pause_ask(nm_conn *c)
{
    uint32_t g = gen_of(c);
    if (move(c, word(g, NM_PS_STREAM), word(g, NM_PS_ASKED))) return 1;
    move(c, word(g, NM_PS_WOKEN), word(g, NM_PS_STREAM));   /* resumed before it paused */
    return 0;
}

static void futex_wait(uint32_t *w, uint32_t expected, int ms)
{
#if defined(NM_FUTEX)
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE_OP, expected, &ts, 0, 0);
#else
    (void)w; (void)expected;
    struct timespec ts = { 0, 1000000L };   /* elsewhere: look every millisecond */
    (void)ms;
    nanosleep(&ts, 0);
#endif
}

static void futex_wake(uint32_t *w)
{
#if defined(NM_FUTEX)
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE_OP, 1, 0, 0, 0);
#else
    (void)w;
#endif
}

int nm_pause_wait(nm_conn *c)
{
    uint32_t g = gen_of(c), parked = word(g, NM_PS_PARKED_BLOCKING);
    c->flags &= (uint8_t)~NM_CF_HELD;   /* the session looks again when it goes on */
    if (!move(c, word(g, NM_PS_ASKED), parked)) return 0;   /* resumed already */
    while (__atomic_load_n(&c->pause, __ATOMIC_ACQUIRE) == parked) {
        if (nm_stop_requested(c->srv)) {   /* a stop ends it; a resume that won goes unused */
            move(c, parked, word(g, NM_PS_STREAM));
            return -1;
        }
        futex_wait(&c->pause, parked, NM_STOP_POLL_MS);
    }
    c->read_since = nm_now_ms();   /* the body deadline runs from the resume */
    nm_rate_reset(&c->rate);       /* and its rate (a pause's silence was ours) */
    return 0;
}

int nm_pause_park(nm_conn *c, nm_loop *loop)
{
    uint32_t g = gen_of(c);
    for (;;) {
        unsigned st = nm_pause_state_of(c);
        /* Parked already: an event the port reported before the park drove
         * it again (it read nothing, being paused); its resume is still to
         * come, or on its way. */
        if (st == NM_PS_PARKED || st == NM_PS_POSTED) return 1;
        nm_stream_of(c)->parked_in = loop;   /* published by the move: the resumer (or the post below) reads it after */
        if (st != NM_PS_ASKED) break;
        if (move(c, word(g, NM_PS_ASKED), word(g, NM_PS_PARKED))) return 1;
    }
    __atomic_store_n(&c->pause, word(g, NM_PS_POSTED), __ATOMIC_RELEASE);   /* resumed: the caller posts it */
    return 0;
}

int nm_pause_drop(nm_conn *c)
{
    uint32_t g = gen_of(c);
    unsigned st = nm_pause_state_of(c);
    if (st == NM_PS_POSTED) return 0;
    if (st == NM_PS_PARKED && !move(c, word(g, NM_PS_PARKED), word(g, NM_PS_STREAM))) return 0;   /* a resume won */
    return 1;
}

void nm_pause_arrived(nm_conn *c, uint64_t now)
{
    __atomic_store_n(&c->pause, word(gen_of(c), NM_PS_STREAM), __ATOMIC_RELEASE);
    c->read_since = now;
    nm_rate_reset(&c->rate);
    c->flags &= (uint8_t)~(NM_CF_DRAINED | NM_CF_HELD);   /* bytes came while it was not watched: read, not wait */
}

extern "C" int nm_body_resume(const nm_server *srv, nm_conn_id id)
{
    nm_conn *c = nm_conn_of_id(id);
    srv = nm_server_of(srv);
    if (!c || !srv) return -1;
    uint32_t g = (uint32_t)id & 0x1fffffffu;
    for (;;) {
        uint32_t w = __atomic_load_n(&c->pause, __ATOMIC_ACQUIRE);
        unsigned st = w & 7u;
        if (w >> 3 != g || st == NM_PS_NONE || c->srv != srv) return -1;   /* not this connection, or no body streams */
        if (st == NM_PS_WOKEN || st == NM_PS_POSTED) return 0;
        if (st == NM_PS_STREAM || st == NM_PS_ASKED) {
            if (move(c, w, word(g, st == NM_PS_STREAM ? NM_PS_WOKEN : NM_PS_STREAM))) return 0;
        } else if (st == NM_PS_PARKED_BLOCKING) {
            if (move(c, w, word(g, NM_PS_STREAM))) {
                futex_wake(&c->pause);
                return 0;
            }
        } else if (move(c, w, word(g, NM_PS_POSTED))) {   /* PARKED: its loop drives it again */
            nm_loop_unpark_post(nm_stream_of(c)->parked_in, c);
            return 0;
        }
    }
}
