/* The io_uring engine's batched waits, driven directly over pipes (each a
 * poll in the ring, as the loop's port is): after a round of several
 * completions one wait gathers as many, and a lone completion is not held
 * past the batch's time, nor at all once that time has gone by: with the
 * kernel's batch wait (6.12) where it has one, and with the engine's own
 * short timeout that stands in for it elsewhere. The batch's time is made
 * long here (100 ms and more, not the default's 100 us) so that a busy
 * machine's delays do not decide the result. */
#include "../check.h"
#include "../../lib/completion/proactor.h"
#include "../../lib/loop/conn.h"
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { PIPES = 4 };

struct rig {
    nm_uring r;
    int fds[PIPES][2];
    unsigned done;             /* completions reaped */
    int first_at, rest_at;     /* ms after the start: the first pipe written, then the others (-1: never) */
    long written_us;           /* when the first pipe was written */
};

static long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

static void counted(nm_proactor *p, nm_conn *c, int op, int result)
{
    (void)c, (void)op, (void)result;
    ((rig *)(void *)p)->done++;   /* (the engine hands p over untouched) */
}

static void reap(rig *g) { nm_uring_reap(&g->r, (nm_proactor *)(void *)g, counted); }

/* Empty every pipe and poll each again. */
static int arm(rig *g)
{
    char b[16];
    for (int i = 0; i < PIPES; i++) {
        while (read(g->fds[i][0], b, sizeof(b)) > 0) {}
        if (nm_uring_poll_port(&g->r, g->fds[i][0])) return -1;
    }
    return 0;
}

static void *writer(void *arg)
{
    rig *g = (rig *)arg;
    usleep((useconds_t)g->first_at * 1000);
    g->written_us = now_us();
    (void)!write(g->fds[0][1], "x", 1);
    if (g->rest_at < 0) return 0;
    usleep((useconds_t)(g->rest_at - g->first_at) * 1000);
    for (int i = 1; i < PIPES; i++) (void)!write(g->fds[i][1], "x", 1);
    return 0;
}

/* Wait (timeout ms a wait) until `want` completions are reaped, or `ms`
 * have passed; the waits it took. */
static unsigned long wait_for(rig *g, unsigned want, int timeout, long ms)
{
    unsigned long waits = g->r.waits;
    long end = now_us() + ms * 1000;
    while (g->done < want && now_us() < end) {
        if (nm_uring_wait(&g->r, timeout) < 0) break;
        reap(g);
    }
    return g->r.waits - waits;
}

static int rig_open(rig *g)
{
    memset(g, 0, sizeof(*g));
    if (nm_uring_open(&g->r)) return -1;
    for (int i = 0; i < PIPES; i++)
        if (pipe2(g->fds[i], O_NONBLOCK)) return -1;
    return 0;
}

static void rig_close(rig *g)
{
    for (int i = 0; i < PIPES; i++) close(g->fds[i][0]), close(g->fds[i][1]);
    nm_uring_close(&g->r);
}

/* The ring, or why not (a skip). */
static const char *no_ring(rig *g)
{
    if (nm_uring_open(&g->r)) return "the kernel refused io_uring";
    int timed = g->r.timed_enter;
    nm_uring_close(&g->r);
    return timed ? 0 : "the kernel has no timed wait (5.11)";
}

/* A round that found all four makes the next wait ask for four. */
static void round_of_four(rig *g)
{
    for (int i = 0; i < PIPES; i++) (void)!write(g->fds[i][1], "x", 1);
    wait_for(g, PIPES, 1000, 5000);
    CHECK_EQ(g->done, PIPES);
    g->done = 0;
}

/* One pipe now, the other three 20 ms later: one wait has all four
 * (own: the kernel's batch wait where it has one; else the engine's). */
static void gathers(int own)
{
    rig g;
    REQUIRE(rig_open(&g) == 0);
    g.r.min_wait &= own;
    REQUIRE(arm(&g) == 0);
    round_of_four(&g);
    REQUIRE(arm(&g) == 0);
    g.r.batch_us = 1000000;
    g.first_at = 0;
    g.rest_at = 20;
    pthread_t t;
    REQUIRE(pthread_create(&t, 0, writer, &g) == 0);
    unsigned long waits = wait_for(&g, PIPES, 2000, 5000);
    pthread_join(t, 0);
    CHECK_EQ(g.done, PIPES);
    CHECK_EQ(waits, 1);
    CHECK_EQ(g.r.round, PIPES);
    rig_close(&g);
}

TEST(uring_wait_gathers_a_batch)
{
    rig g;
    if (const char *why = no_ring(&g)) SKIP_FEATURE("io_uring", "%s", why);
    gathers(1);
    gathers(0);
}

/* After a round of four, a lone completion written `at` ms later; the
 * microseconds from the start to its reaping (after = 1: from its write). */
static long lone(int own, int at, int after)
{
    rig g;
    if (rig_open(&g) || arm(&g)) return -1;
    g.r.min_wait &= own;
    round_of_four(&g);
    g.r.batch_us = 100000;
    if (arm(&g)) return -1;
    g.first_at = at;
    g.rest_at = -1;
    long start = now_us();
    pthread_t t;
    if (pthread_create(&t, 0, writer, &g)) return -1;
    wait_for(&g, 1, 2000, 5000);
    long end = now_us();
    pthread_join(t, 0);
    CHECK_EQ(g.done, 1);
    rig_close(&g);
    return end - (after ? g.written_us : start);
}

/* A lone completion in the batch's time (100 ms) waits at most to its
 * end; one after it is reaped at once; neither waits for the loop's
 * timeout (2 s here). With the kernel's batch wait and without. */
TEST(uring_wait_holds_a_lone_completion_no_longer_than_the_batch)
{
    rig g;
    if (const char *why = no_ring(&g)) SKIP_FEATURE("io_uring", "%s", why);
    for (int own = 1; own >= 0; own--) {
        long inside = lone(own, 10, 0), after = lone(own, 300, 1);
        CHECK(inside >= 0 && inside < 1000000);
        CHECK(after >= 0 && after < 50000);
    }
}

/* ---- a receive into several buffers of the ring at once (bundles) ---- */

struct armed {
    nm_uring r;
    unsigned completions;
    int widest, failed, eof;   /* the largest result; a result below 0; one of 0 */
};

static void received(nm_proactor *p, nm_conn *c, int op, int result)
{
    (void)c, (void)op;
    armed *a = (armed *)(void *)p;
    a->completions++;
    if (result > a->widest) a->widest = result;
    if (result < 0) a->failed = result;
    if (result == 0) a->eof = 1;
}

/* Buffers the kernel has in the buffer ring (its tail less its head, as
 * the kernel reports it, 6.8), -1 when it does not say. */
static int ring_holds(const nm_uring *r)
{
    struct {
        uint32_t buf_group, head, resv[8];
    } st;
    memset(&st, 0, sizeof(st));
    if (syscall(__NR_io_uring_register, r->fd, 26 /* IORING_REGISTER_PBUF_STATUS */, &st, 1) < 0) return -1;
    uint16_t tail = ((const uint16_t *)r->pbuf_map)[7];   /* (entry 0's resv) */
    return (uint16_t)(tail - st.head);
}

static unsigned char wire_byte(size_t i) { return (unsigned char)(i * 131 + (i >> 9)); }

/* Take every queued byte of c off its queue, checking each against the
 * wire from byte `at` on; how many there were. */
static size_t take_all(nm_conn *c, size_t at)
{
    size_t n = 0;
    unsigned off, len;
    for (nm_buf *b; (b = nm_proactor_rx_first(c, &off, &len)) != 0;) {
        size_t wrong = 0;
        for (unsigned i = 0; i < len; i++) wrong += (unsigned char)b->data[off + i] != wire_byte(at + n + i);
        CHECK_EQ(wrong, 0);
        n += len;
        nm_proactor_rx_take(c, len);
    }
    return n;
}

/* Write n bytes of the wire from `at` on, then reap until they are queued. */
static size_t send_and_take(armed *a, nm_conn *c, int peer, size_t at, size_t n)
{
    static unsigned char bytes[8 * NM_BUF_SIZE];
    for (size_t i = 0; i < n; i++) bytes[i] = wire_byte(at + i);
    if (write(peer, bytes, n) != (ssize_t)n) return 0;
    size_t got = 0;
    long end = now_us() + 5000000;
    while (got < n && now_us() < end) {
        if (nm_uring_wait(&a->r, 100) < 0) break;
        nm_uring_reap(&a->r, (nm_proactor *)(void *)a, received);
        got += take_all(c, at + got);
    }
    return got;
}

/* One armed receive over a socket: bytes written by the peer at once,
 * more than a buffer, come as completions of several buffers each (up to
 * NM_BODY_READ_BUFS), every byte queued in order across the buffers' edges,
 * the last buffer partly filled; a second write ending mid-buffer follows
 * on; every buffer goes back to the pool. */
TEST(uring_bundle_receive_fills_several_buffers)
{
    static armed a;
    static nm_server s;
    memset(&a, 0, sizeof(a));
    if (nm_uring_open(&a.r)) SKIP_FEATURE("io_uring", "the kernel refused io_uring");
    int timed = a.r.timed_enter, multishot = a.r.multishot, bundle = a.r.bundle;
    nm_uring_close(&a.r);
    if (!timed) SKIP_FEATURE("io_uring", "the kernel has no timed wait (5.11)");
    if (!multishot) SKIP_FEATURE("multishot", "no provided buffer ring with multishot receives (6.0) in this build or kernel");
    if (NM_BODY_READ_BUFS < 2 || NM_PROACTOR_BUFS < 4) SKIP("NM_BODY_READ_BUFS 1, or a ring of 2 buffers: a receive fills one buffer");
    if (!bundle) SKIP_FEATURE("bundle", "the kernel has no bundle receive (6.10)");
    memset(&s, 0, sizeof(s));
    nm_config_init(&s.cfg);
    s.counters = &s.own_counters;
    s.listen_fd = -1;
    unsigned free_before = nm_buf_free();
    REQUIRE(nm_uring_open(&a.r) == 0);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    nm_conn *c = nm_conn_open(&s, sv[0]);
    REQUIRE(c != 0);
    nm_uring_file(&a.r, &c->fd, 1);   /* (in the registered files, as the model does) */
    CHECK_EQ(nm_uring_submit(&a.r, c, NM_OP_WAIT, -1), 1);   /* armed */
    size_t first = 3 * NM_BUF_SIZE + 123, second = NM_BUF_SIZE + 77;
    CHECK_EQ(send_and_take(&a, c, sv[1], 0, first), first);
    CHECK_EQ(send_and_take(&a, c, sv[1], first, second), second);
    CHECK_EQ(a.failed, 0);
    CHECK(a.widest > NM_BUF_SIZE);   /* one completion covered several buffers */
    CHECK(a.widest <= (int)a.r.bundle * NM_BUF_SIZE);   /* the cap: NM_BODY_READ_BUFS, half the ring at most */
    CHECK(a.r.bundles >= 1);
    CHECK(a.completions < 6);   /* fewer than the buffers (6): one each without bundles */
    CHECK_EQ(nm_proactor_rx_count(c), 0);
    /* the end of the stream: a completion of nothing, which took no buffer
     * of a bundle; the ring holds every buffer lent, none twice */
    shutdown(sv[1], SHUT_WR);
    for (long end = now_us() + 5000000; !a.eof && now_us() < end;) {
        if (nm_uring_wait(&a.r, 100) < 0) break;
        nm_uring_reap(&a.r, (nm_proactor *)(void *)&a, received);
    }
    CHECK(a.eof);
    int holds = ring_holds(&a.r);
    if (holds >= 0) CHECK_EQ((unsigned)holds, a.r.pbuf_entries - a.r.owed);
    CHECK(a.r.bundle >= 2 && a.r.bundle <= NM_BODY_READ_BUFS && a.r.bundle <= a.r.pbuf_entries / 2);
    nm_uring_close(&a.r);
    nm_proactor_rx_drop(c);
    nm_conn_close(c);
    close(sv[1]);
    CHECK_EQ(nm_buf_free(), free_before);
}
