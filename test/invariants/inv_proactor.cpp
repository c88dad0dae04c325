/* proactor: the model says which engine runs - on its first line and in
 * /stats, the same answer - and the emulated engine can be forced. Both
 * engines serve keep-alive and pipelined requests (the conformance suite
 * runs on each), and hold, refuse and stop connections at capacity. */
#include "inv.h"
#include "inv_family.h"
#include "inv_stat.h"
#include "../../lib/nm_config.h"
#include "../../demos/crc32.h"
#include <poll.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The running kernel's version as major * 100 + minor, 0 when unknown. */
static int kernel_version(void)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2) return 0;
    return major * 100 + minor;
}

/* Why io_uring does not run: qemu-user has none (io_uring_setup is ENOSYS). */
static const char *no_uring(void)
{
    const char *prefix = getenv("NM_RUN_PREFIX");
    return prefix && *prefix ? "the emulator (NM_RUN_PREFIX) has no io_uring" : "the kernel refused io_uring";
}

static void engine_is(const char *mode, const char *expect)
{
    tc_server s;
    if (mode) REQUIRE(inv_start(&s, "proactor", "--proactor", mode, (const char *)0) == 0);
    else REQUIRE(inv_start(&s, "proactor", (const char *)0) == 0);
    const char *word = strstr(s.line, " proactor=");
    REQUIRE(word != 0);
    word += strlen(" proactor=");
    int uring = !strncmp(word, "io_uring", 8);
    CHECK(uring || !strncmp(word, "emulated", 8));
    if (expect) CHECK(!strncmp(word, expect, strlen(expect)));
    CHECK_EQ(inv_model_stat(s.port, "io_uring"), uring);   /* what runs is what was said */
    tc_stats st;
    REQUIRE(tc_stats_get(s.port, &st) == 0);
    /* the ring follows the slots: it never caps connections below them */
    if (uring) CHECK(inv_model_stat(s.port, "ring_conns") >= st.free_slots);
    /* Where the kernel can, a round is one system call (submit and wait with
     * a timeout, 5.11) and completions are made only when the loop asks for
     * them (6.1), not by interrupting it socket by socket. */
    int k = kernel_version();
    CHECK_EQ(inv_model_stat(s.port, "ring_timed_wait"), uring && k >= 511);
    CHECK_EQ(inv_model_stat(s.port, "ring_deferred"), uring && k >= 601);
    /* A provided buffer ring (a build with NM_PROACTOR_BUFS) only where
     * the kernel has them (5.19). */
    if (inv_model_stat(s.port, "ring_buffers") > 0) CHECK(uring && k >= 519);
    /* Registered files where the kernel has a sparse table (5.19). */
    CHECK_EQ(inv_model_stat(s.port, "ring_files") > 0, uring && k >= 519);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    CHECK(inv_echo_roundtrip(&c, "first") == 0);
    CHECK(inv_echo_roundtrip(&c, "second") == 0);
    /* The ring counts its waits and what they brought (two receives and
     * two sends at least); the emulation has neither. */
    long waits = inv_model_stat(s.port, "ring_waits"), done = inv_model_stat(s.port, "ring_completions");
    CHECK(uring && k >= 511 ? waits > 0 : waits == 0);
    CHECK(uring ? done >= 4 : done == 0);
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
    /* the emulated engine was checked, but io_uring's was not */
    if (!mode && !uring) SKIP_FEATURE("io_uring", "%s: the default engine is emulated", no_uring());
}

TEST(proactor_reports_its_engine)
{
    INV_NEED_MODEL("proactor");
    engine_is(0, 0);
}

TEST(proactor_emulated_engine_can_be_forced)
{
    INV_NEED_MODEL("proactor");
    engine_is("emulated", "emulated");
}

/* ---- at capacity: run by test/run.sh on BUILD/small/nmserve, a proactor
 * built with fewer slots, ring entries and buffers than the connections
 * below (see the Makefile), on each engine. On a build whose capacities are
 * larger than a quick test should open, they skip (test/run.sh leaves
 * them out there). */

enum { CAPACITY_TEST_MAX = 64 };

static tc_conn held[CAPACITY_TEST_MAX + 1];

/* What the server can carry, as /stats says before the asker took any:
 * slots, connections the io_uring ring carries, buffers; io_uring or not. */
struct capacity { long slots, ring, buffers, uring, conns, pbufs; };

/* Start the proactor on `engine` (with one more option) and read its
 * capacity on `probe`, which stays open (so no slot is in doubt).
 * 0; 1 when the test is skipped (io_uring not available here, or the
 * capacity is more than `most`); -1 on failure. */
static int start_at_capacity(tc_server *s, const char *engine, const char *opt, const char *val,
                             tc_conn *probe, capacity *k, const char *what, long most)
{
    char said[32];
    snprintf(said, sizeof(said), " proactor=%s", engine);
    /* a request that waits for a buffer is refused after 300 ms, not 3 s */
    if (inv_start(s, "proactor", "--proactor", engine, opt, val, "--queue-wait", "300", (const char *)0)) return -1;
    if (!strstr(s->line, said)) {   /* refused: the server says so and ends */
        tc_server_stop(s, 5000);
        if (strcmp(engine, "io_uring") || inv_start(s, "proactor", (const char *)0)) return -1;
        int emulated = strstr(s->line, " proactor=emulated") != 0;   /* auto says what the kernel allows */
        tc_server_stop(s, 5000);
        if (!emulated) return -1;
        nm_test_skip("io_uring", "%s: its engine is not tested", no_uring());
        return 1;
    }
    char body[1024];
    if (tc_connect(probe, s->port) || fam_get(probe, "/stats", body, sizeof(body)) != 200) return -1;
    k->slots = inv_stat_in(body, "free_slots");
    k->buffers = inv_stat_in(body, "free_buffers");
    k->uring = inv_stat_in(body, "io_uring");
    k->ring = inv_stat_in(body, "ring_conns");
    k->pbufs = inv_stat_in(body, "ring_buffers");
    k->conns = k->uring && k->ring < k->slots ? k->ring : k->slots;
    if (k->slots <= 0 || k->buffers <= 0 || k->uring != !strcmp(engine, "io_uring") || k->ring < 0) return -1;
    long n = !strcmp(what, "buffers") ? k->buffers : k->conns;
    if (n <= most) return 0;
    nm_test_skip(0, "%s: %ld %s is more than this test opens (test/run.sh runs it on BUILD/small)", engine, n, what);
    tc_close(probe);
    tc_server_stop(s, 5000);
    return 1;
}

/* Nothing but the close: a stop ends an idle connection without a word. */
static int closed_silently(tc_conn *c)
{
    char b[64];
    return tc_read_some(c, b, sizeof(b), 5000) == 0 && tc_wait_eof(c, 5000);
}

/* 1 when the server refuses a new connection (503 and close) before it says anything. */
static int refused_at_once(int port)
{
    static tc_conn c;
    if (tc_connect(&c, port)) return 0;
    tc_response r;
    char body[64];
    int ok = tc_read_response(&c, &r, body, sizeof(body)) == 0 && r.status == 503 && tc_wait_eof(&c, 5000);
    tc_close(&c);
    return ok;
}

/* Connections past what the engine carries (ring room on io_uring, slots
 * on both): each idle one is held after its answer without an input
 * buffer, the ones past it are refused, accepting never stops, and a stop
 * ends them all at once. */
static void idle_connections_at_capacity(const char *engine)
{
    tc_server s;
    capacity k;
    int started = start_at_capacity(&s, engine, "--idle-timeout", "60000", &held[0], &k, "connections",
                                    CAPACITY_TEST_MAX);
    REQUIRE(started >= 0);
    if (started) return;
    long cap = k.conns;
    char body[1024];
    for (long i = 1; i < cap; i++) {
        REQUIRE(tc_connect(&held[i], s.port) == 0);
        REQUIRE(fam_get(&held[i], "/", body, sizeof(body)) == 200);
    }
    CHECK(cap > k.buffers);   /* more idle connections than buffers: none holds one */
    for (int i = 0; i < 3; i++) CHECK(refused_at_once(s.port));
    /* room comes back as connections end: accepting went on all along */
    for (long i = cap - 3; i < cap; i++) tc_close(&held[i]);
    long others = -1;
    for (long deadline = tc_now_ms() + 5000; others != cap - 4 && tc_now_ms() < deadline; tc_sleep_ms(20))
        others = fam_get(&held[0], "/stats", body, sizeof(body)) == 200 ? inv_stat_in(body, "active") : -1;
    CHECK_EQ(others, cap - 4);
    for (long i = cap - 3; i < cap; i++) {
        REQUIRE(tc_connect(&held[i], s.port) == 0);
        CHECK_EQ(fam_get(&held[i], "/", body, sizeof(body)), 200);
    }
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
    for (long i = 0; i < cap; i++) {
        CHECK(closed_silently(&held[i]));
        tc_close(&held[i]);
    }
}

TEST(proactor_capacity_idle_connections_io_uring)
{
    INV_NEED_MODEL("proactor");
    idle_connections_at_capacity("io_uring");
}
TEST(proactor_capacity_idle_connections_emulated)
{
    INV_NEED_MODEL("proactor");
    idle_connections_at_capacity("emulated");
}

/* A flood of new requests takes input buffers down to the reserve and no
 * further (those past it wait, and are refused once they have waited
 * --queue-wait): the request that was being read when it came is still
 * answered. */
static void answers_keep_their_reserve(const char *engine)
{
    tc_server s;
    capacity k;
    tc_conn *probe = &held[0], *first = &held[1], *flood = &held[2];
    int started = start_at_capacity(&s, engine, "--header-timeout", "30000", probe, &k, "buffers",
                                    CAPACITY_TEST_MAX - 4);
    REQUIRE(started >= 0);
    if (started) return;
    /* BUILD/small lends io_uring a provided buffer ring (NM_PROACTOR_BUFS 2):
     * an idle connection's receive takes one of them as its bytes arrive,
     * and one that finds it empty takes a buffer from the pool, or waits. */
    if (k.uring) CHECK_EQ(k.pbufs > 0, kernel_version() >= 519);
    long n = k.buffers + 2;
    REQUIRE(n + 2 <= k.conns);
    REQUIRE(tc_connect(first, s.port) == 0);
    REQUIRE(tc_send_str(first, "GET / HTTP/1.1\r\n") == 0);   /* started: it holds an input buffer */
    char body[1024];
    long left = -1;
    for (long deadline = tc_now_ms() + 5000; left != k.buffers - 1 && tc_now_ms() < deadline; tc_sleep_ms(20))
        left = fam_get(probe, "/stats", body, sizeof(body)) == 200 ? inv_stat_in(body, "free_buffers") : -1;
    REQUIRE(left == k.buffers - 1);
    struct pollfd fds[CAPACITY_TEST_MAX];
    for (long i = 0; i < n; i++) {
        REQUIRE(tc_connect(&flood[i], s.port) == 0);
        REQUIRE(tc_send_str(&flood[i], "GET /flood HTTP/1.1\r\n") == 0);
        fds[i].fd = flood[i].fd;
        fds[i].events = POLLIN;
    }
    /* more new requests than buffers: some wait, then are refused; the pool is at its floor */
    long refused = 0;
    for (long deadline = tc_now_ms() + 5000; !refused && tc_now_ms() < deadline;) {
        if (poll(fds, (nfds_t)n, 100) <= 0) continue;
        for (long i = 0; i < n; i++) {
            tc_response r;
            if (!(fds[i].revents & POLLIN)) continue;
            fds[i].events = 0;
            refused += tc_read_response(&flood[i], &r, body, sizeof(body)) == 0 && r.status == 503;
        }
    }
    CHECK(refused > 0);
    REQUIRE(tc_send_str(first, "Host: first\r\n\r\n") == 0);
    tc_response r;
    CHECK(tc_read_response(first, &r, body, sizeof(body)) == 0 && r.status == 200);
    for (long i = 0; i < n + 2; i++) tc_close(&held[i]);
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
}

TEST(proactor_capacity_answers_keep_their_reserve_io_uring)
{
    INV_NEED_MODEL("proactor");
    answers_keep_their_reserve("io_uring");
}
TEST(proactor_capacity_answers_keep_their_reserve_emulated)
{
    INV_NEED_MODEL("proactor");
    answers_keep_their_reserve("emulated");
}

/* A connection the server closes really closes: with registered files its
 * socket leaves the ring's table before its descriptor is closed, or the
 * table would keep it open (no end of file for the client). */
TEST(proactor_closed_connections_end_for_their_clients)
{
    tc_server s;
    REQUIRE(inv_start(&s, "proactor", (const char *)0) == 0);
    for (int i = 0; i < 20; i++) {
        tc_conn c;
        REQUIRE(!tc_connect(&c, s.port));
        REQUIRE(!tc_send_str(&c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
        tc_response r;
        char body[64];
        CHECK(!tc_read_response(&c, &r, body, sizeof(body)) && r.status == 200);
        CHECK(tc_wait_eof(&c, 2000));
        tc_close(&c);
    }
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* With a provided buffer ring (a build with NM_PROACTOR_BUFS) on a kernel
 * with multishot receives (6.0), a connection's receive stays armed from
 * one request to the next: its waits for input take no submission
 * (ring_rx_armed counts them). Elsewhere no wait is counted. */
TEST(proactor_multishot_receive_stays_armed)
{
    INV_NEED_MODEL("proactor");
    tc_server s;
    REQUIRE(inv_start(&s, "proactor", (const char *)0) == 0);
    int k = kernel_version();
    long multishot = inv_model_stat(s.port, "ring_multishot");
    long uring = inv_model_stat(s.port, "io_uring"), pbufs = inv_model_stat(s.port, "ring_buffers");
    CHECK_EQ(multishot, pbufs > 0 && k >= 600);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    for (int i = 0; i < 20; i++) CHECK(inv_echo_roundtrip(&c, "armed") == 0);
    /* a request in three pieces, the last two while the first waits */
    REQUIRE(!tc_send_str(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-"));
    usleep(20000);
    REQUIRE(!tc_send_str(&c, "Length: 5\r\n\r\nab"));
    usleep(20000);
    REQUIRE(!tc_send_str(&c, "cde"));
    tc_response r;
    char body[64];
    REQUIRE(!tc_read_response(&c, &r, body, sizeof(body) - 1));
    body[r.body_len] = 0;
    CHECK(r.status == 200 && !strcmp(body, "abcde"));
    long armed = inv_model_stat(s.port, "ring_rx_armed");
    if (multishot) CHECK(armed >= 15);
    else CHECK_EQ(armed, 0);
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
    /* a build without the buffer ring (BUILD/noring) has no multishot to test */
    if (!uring) SKIP_FEATURE("io_uring", "%s: the multishot receive is not tested", no_uring());
    if (pbufs > 0 && !multishot)
        SKIP_FEATURE("multishot", "kernel %d.%d has no multishot receive: it is not tested", k / 100, k % 100);
}

/* A paused body whose bytes the armed receive queued is read on after its
 * resume. Two chunked uploads in one send, each paused at its first piece
 * (?hold): while the first waits, the second arrives whole into the
 * connection's receive queue; its pause comes as that queue fills its
 * input, with bytes still queued behind, and after its resume the client
 * sends nothing more. Both are answered, long before the body deadline.
 * On each engine (the emulated one, and a build without the buffer ring,
 * read from the kernel: no queue). */
static void paused_body_reads_its_queue(const char *engine)
{
    static char wire[2 * 160 + 4 * NM_BUF_SIZE];
    static const size_t sizes[2] = { 10, 3 * NM_BUF_SIZE };
    int hold = tc_scaled_ms(100);
    size_t w = 0;
    for (int i = 0; i < 2; i++) {
        w += (size_t)snprintf(wire + w, 160, "POST /upload?hold=%d HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
                              hold, sizes[i]);
        memset(wire + w, 'a' + i, sizes[i]);
        w += sizes[i];
        w += (size_t)snprintf(wire + w, 16, "\r\n0\r\n\r\n");
    }
    char deadline[16];
    snprintf(deadline, sizeof(deadline), "%d", tc_scaled_ms(3000));
    tc_server s;
    if (engine) REQUIRE(inv_start(&s, "proactor", "--proactor", engine, "--body-timeout", deadline, (const char *)0) == 0);
    else REQUIRE(inv_start(&s, "proactor", "--body-timeout", deadline, (const char *)0) == 0);
    for (int round = 0; round < 4; round++) {
        tc_conn c;
        REQUIRE(!tc_connect(&c, s.port));
        REQUIRE(!tc_send(&c, wire, w));
        for (int i = 0; i < 2; i++) {
            tc_response r;
            char body[128] = { 0 }, want[32];
            int got = !tc_read_response(&c, &r, body, sizeof(body) - 1);
            snprintf(want, sizeof(want), "{\"bytes\":%zu,", sizes[i]);
            if (!got || r.status != 200 || strncmp(body, want, strlen(want)))
                fprintf(stderr, "  round %d, upload %d: %s\n", round, i, got ? body : "no answer");
            CHECK(got && r.status == 200 && !strncmp(body, want, strlen(want)));
        }
        tc_close(&c);
    }
    tc_stats st;
    REQUIRE(tc_stats_get(s.port, &st) == 0);
    CHECK_EQ(st.timeouts, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(proactor_paused_body_reads_its_queue) { if (inv_has_model("proactor")) paused_body_reads_its_queue(0); }
TEST(proactor_paused_body_reads_its_queue_emulated) { if (inv_has_model("proactor")) paused_body_reads_its_queue("emulated"); }

/* A large upload arrives whole: 4 MiB and a part of a buffer, its CRC-32
 * answered, and a request pipelined right behind its last byte answered
 * too. Where the kernel has bundles (6.10) with a buffer ring of 4 or
 * more, the armed receive filled several buffers a completion
 * (ring_rx_bundles, ring_bundle the most); elsewhere it counts none. */
TEST(proactor_large_upload_arrives_whole)
{
    INV_NEED_MODEL("proactor");
    static char wire[4 * 1024 * 1024 + 1234 + 256];
    const size_t n = 4 * 1024 * 1024 + 1234;
    size_t w = (size_t)snprintf(wire, 128, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
    for (size_t i = 0; i < n; i++) wire[w + i] = (char)(i * 131 + (i >> 9));
    crc32_init();
    unsigned crc = crc32_add(0, wire + w, n);
    w += n;
    w += (size_t)snprintf(wire + w, 64, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    tc_server s;
    REQUIRE(inv_start(&s, "proactor", "--max-body", "8388608", (const char *)0) == 0);
    int k = kernel_version();
    long uring = inv_model_stat(s.port, "io_uring"), multishot = inv_model_stat(s.port, "ring_multishot");
    long bundle = inv_model_stat(s.port, "ring_bundle"), pbufs = inv_model_stat(s.port, "ring_buffers");
    /* a receive fills up to NM_BODY_READ_BUFS buffers, half the ring at most */
    long most = NM_BODY_READ_BUFS < pbufs / 2 ? NM_BODY_READ_BUFS : pbufs / 2;
    long expect = multishot && k >= 610 && most > 1 ? most : 0;
    CHECK(bundle == expect || !bundle);   /* (0: refused by the first receive, below) */
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    REQUIRE(!tc_send(&c, wire, w));
    tc_response r;
    char body[128] = { 0 }, want[64];
    REQUIRE(!tc_read_response(&c, &r, body, sizeof(body) - 1));
    snprintf(want, sizeof(want), "{\"bytes\":%zu,\"crc32\":\"%08x\"}\n", n, crc);
    if (strcmp(body, want)) fprintf(stderr, "  upload: '%s', expected '%s'\n", body, want);
    CHECK(r.status == 200 && !strcmp(body, want));
    memset(body, 0, sizeof(body));
    REQUIRE(!tc_read_response(&c, &r, body, sizeof(body) - 1));
    CHECK(r.status == 200 && !strcmp(body, "Hello, World!"));
    tc_close(&c);
    long bundles = inv_model_stat(s.port, "ring_rx_bundles");
    bundle = inv_model_stat(s.port, "ring_bundle");   /* (0 now: the kernel refused the first, EINVAL) */
    if (bundle) CHECK(bundles > 0);
    else CHECK_EQ(bundles, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
    /* a build without the buffer ring (BUILD/noring) has no bundle to test */
    if (!uring) SKIP_FEATURE("io_uring", "%s: the bundle receive is not tested", no_uring());
    if (expect && !bundle)
        SKIP_FEATURE("bundle", "kernel %d.%d has no bundle receive, or refused it: it is not tested", k / 100, k % 100);
}
