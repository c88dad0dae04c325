/* conformance - the traffic every model must serve.
 *
 *   conformance NMSERVE MODEL [nmserve options...]
 *
 * Starts NMSERVE --model MODEL --port 0 (plus the options), and a second one
 * with --protocol echo, and checks: keep-alive, 16 pipelined requests, a
 * request sent a byte at a time, an answer larger than the socket buffers,
 * 200 concurrent clients, close mode, HEAD, refused input, the echo protocol,
 * bodies and answers larger than a buffer (streamed both ways, a stream cap
 * and a stalled reader cut, on a third server), the counters back to
 * active=0 with no descriptor left open, and a clean stop on SIGTERM. NM_SUITE=short trims the counts (for emulated targets). */
#include "../check.h"
#include "../client.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "../../lib/nm_config.h"
#include <unistd.h>

#define BIG_SIZE (1024 * 1024)
static const char *argv_base[40];
static int argc_base;
static tc_server srv;
/* A server of its own for streams (one at a time, a reader stalled for 1 s
 * cut) and paused bodies (the body timeout 1 s). */
static tc_server streams;
static int streams_started;
static int started, fds_before, short_suite;
static char big_body[BIG_SIZE + 1];
static tc_conn conn;

static const char GET_ROOT[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/* The address asked for: `--listen-fd ADDR` (the suite opens a listener
 * there and hands it in), --host, or nmserve's default. */
static const char *host_asked(void)
{
    for (int i = 0; i + 1 < argc_base; i++)
        if (!strcmp(argv_base[i], "--host") || !strcmp(argv_base[i], "--listen-fd")) return argv_base[i + 1];
    return "127.0.0.1";
}

/* The listener opened for a server started with --listen-fd ADDR, until
 * the server has its copy. */
static int handed_fd = -1;

/* A Unix socket asked for, its path; NULL for an IP address. */
static const char *unix_path(void)
{
    const char *a = host_asked();
    return strncmp(a, "unix:", 5) ? 0 : a + 5;
}

/* The address a server takes from the arguments: a Unix socket's path of its
 * own for a second server beside the first; --listen-fd ADDR becomes a
 * listener opened here on ADDR, its number given instead. */
static const char *address_arg(const tc_server *s, const char *option, const char *value)
{
    static char text[2][128];
    char *out = text[s != &srv];
    snprintf(out, sizeof(text[0]), "%s%s", value, s != &srv && !strncmp(value, "unix:", 5) ? ".2" : "");
    if (strcmp(option, "--listen-fd")) return out;
    handed_fd = tc_listen(out);
    snprintf(out, sizeof(text[0]), "%d", handed_fd);
    return out;
}

static int start(tc_server *s, const char *extra1, const char *extra2, const char *extra3 = 0, const char *extra4 = 0,
                 const char *extra5 = 0, const char *extra6 = 0)
{
    const char *args[48];
    int n = 0;
    for (int i = 0; i < argc_base; i++) args[n++] = argv_base[i];
    for (int i = 1; i < n; i++)
        if (!strcmp(args[i - 1], "--host") || !strcmp(args[i - 1], "--listen-fd")) args[i] = address_arg(s, args[i - 1], args[i]);
    args[n++] = "--port";
    args[n++] = "0";
    if (extra1) args[n++] = extra1;
    if (extra2) args[n++] = extra2;
    if (extra3) args[n++] = extra3;
    if (extra4) args[n++] = extra4;
    if (extra5) args[n++] = extra5;
    if (extra6) args[n++] = extra6;
    args[n] = 0;
    int rc = tc_server_start(s, args);
    if (handed_fd >= 0) close(handed_fd);   /* the server has its copy */
    handed_fd = -1;
    return rc;
}

static int hello_ok(tc_conn *c)
{
    tc_response r;
    char body[64];
    if (tc_read_response(c, &r, body, sizeof(body))) return 0;
    return r.status == 200 && r.body_len == 13 && !memcmp(body, "Hello, World!", 13);
}

TEST(starts_and_announces)
{
    REQUIRE(start(&srv, 0, 0) == 0);
    started = 1;
    char want[64];
    snprintf(want, sizeof(want), "model=%s poller=", argv_base[2]);
    /* the address asked for, as a client writes it */
    const char *host = host_asked();
    char said[160];
    if (!strncmp(host, "unix:", 5)) snprintf(said, sizeof(said), "listening on %s model=", host);
    else snprintf(said, sizeof(said), strchr(host, ':') ? "listening on [%s]:%d " : "listening on %s:%d ", host, srv.port);
    CHECK(strstr(srv.line, said) == srv.line);
    CHECK(strstr(srv.line, want) != 0);
    /* Listener, ports, wakeups, stdio: a model may open its own descriptors
     * after the listening line, so count once it has answered and the count
     * has settled. The answer is to a Connection: close request, whose socket
     * the server closes before its client sees the end: no client socket is
     * left in the count, however slow the server (an emulated one). */
    tc_conn probe;
    REQUIRE(!tc_connect(&probe, srv.port));
    REQUIRE(!tc_send_str(&probe, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    CHECK(hello_ok(&probe));
    CHECK(tc_wait_eof(&probe, 5000));
    tc_close(&probe);
    fds_before = tc_fd_count(srv.pid);
    long deadline = tc_now_ms() + 3000;
    for (int same = 0; same < 5 && tc_now_ms() < deadline;) {
        tc_sleep_ms(20);
        int now = tc_fd_count(srv.pid);
        same = now == fds_before ? same + 1 : 0;
        fds_before = now;
    }
    tc_stats st;
    CHECK(tc_stats_get(srv.port, &st) == 0);
}

TEST(keep_alive)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    int n = short_suite ? 20 : 200, ok = 0;
    for (int i = 0; i < n; i++)
        if (!tc_send_str(&conn, GET_ROOT) && hello_ok(&conn)) ok++;
    CHECK_EQ(ok, n);
    tc_close(&conn);
}

TEST(pipelined_16_in_order)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    char batch[4096];
    size_t len = 0;
    for (int i = 0; i < 16; i++) {
        if (i % 2 == 0) {
            len += (size_t)snprintf(batch + len, sizeof(batch) - len, "%s", GET_ROOT);
        } else {
            char body[32];
            int bn = snprintf(body, sizeof(body), "body-%02d", i);
            len += (size_t)snprintf(batch + len, sizeof(batch) - len,
                                    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", bn, body);
        }
    }
    REQUIRE(tc_send(&conn, batch, len) == 0);
    for (int i = 0; i < 16; i++) {
        tc_response r;
        char body[64] = { 0 };
        REQUIRE(tc_read_response(&conn, &r, body, sizeof(body) - 1) == 0);
        CHECK_EQ(r.status, 200);
        char want[32];
        snprintf(want, sizeof(want), "%s", i % 2 ? "" : "Hello, World!");
        if (i % 2) snprintf(want, sizeof(want), "body-%02d", i);
        CHECK(!strcmp(body, want));
    }
    tc_close(&conn);
}

TEST(byte_at_a_time)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: slow\r\n\r\n";
    for (const char *p = req; *p; p++) {
        REQUIRE(tc_send(&conn, p, 1) == 0);
        tc_sleep_ms(1);
    }
    CHECK(hello_ok(&conn));
    tc_close(&conn);
}

TEST(answer_larger_than_socket_buffers)
{
    conn.len = 0;
    REQUIRE(started);
    conn.fd = tc_dial(srv.port, 4096);
    REQUIRE(conn.fd >= 0);
    struct timeval tv = { 10, 0 };
    setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    REQUIRE(tc_send_str(&conn, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n" "GET / HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    tc_sleep_ms(300);   /* let the server fill the socket and meet EAGAIN */
    tc_response r;
    REQUIRE(tc_read_response(&conn, &r, big_body, BIG_SIZE) == 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, BIG_SIZE);
    int same = 1;
    for (long i = 0; i < BIG_SIZE && same; i++) same = big_body[i] == (char)('a' + i % 26);
    CHECK(same);
    CHECK(hello_ok(&conn));   /* the pipelined one behind it */
    tc_close(&conn);
}

TEST(concurrent_clients_200)
{
    REQUIRE(started);
    enum { N = 200 };
    int n = short_suite ? 50 : N;
    static int fds[N], got[N], done_n;
    static char bufs[N][256];
    done_n = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = tc_dial(srv.port, 0);
        got[i] = 0;
        REQUIRE(fds[i] >= 0);
    }
    for (int i = 0; i < n; i++) REQUIRE(send(fds[i], GET_ROOT, sizeof(GET_ROOT) - 1, MSG_NOSIGNAL) > 0);
    static struct pollfd pfd[N];
    long deadline = tc_now_ms() + 30000;
    int good = 0;
    while (done_n < n && tc_now_ms() < deadline) {
        int k = 0;
        int map[N];
        for (int i = 0; i < n; i++)
            if (fds[i] >= 0) {
                pfd[k].fd = fds[i];
                pfd[k].events = POLLIN;
                map[k++] = i;
            }
        if (poll(pfd, (nfds_t)k, 1000) <= 0) continue;
        for (int j = 0; j < k; j++) {
            if (!pfd[j].revents) continue;
            int i = map[j];
            ssize_t r = recv(fds[i], bufs[i] + got[i], sizeof(bufs[i]) - 1 - (size_t)got[i], 0);
            if (r > 0) got[i] += (int)r;
            bufs[i][got[i]] = 0;
            char *end = strstr(bufs[i], "\r\n\r\n");
            int complete = end && (size_t)(bufs[i] + got[i] - end) >= 4 + 13;
            if (complete || r <= 0) {
                if (complete && !strncmp(bufs[i], "HTTP/1.1 200", 12) && !strcmp(end + 4, "Hello, World!"))
                    good++;
                close(fds[i]);   /* a served client leaves, so a one-at-a-time server moves on */
                fds[i] = -1;
                done_n++;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
    CHECK_EQ(good, n);
}

TEST(close_mode)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    tc_response r;
    char body[64];
    REQUIRE(!tc_send_str(&conn, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    REQUIRE(!tc_read_response(&conn, &r, body, sizeof(body)));
    CHECK(r.status == 200 && r.closes);
    CHECK(tc_wait_eof(&conn, 3000));
    tc_close(&conn);

    REQUIRE(!tc_connect(&conn, srv.port));
    REQUIRE(!tc_send_str(&conn, "GET / HTTP/1.0\r\n\r\n"));
    REQUIRE(!tc_read_response(&conn, &r, body, sizeof(body)));
    CHECK(r.status == 200 && r.closes);
    CHECK(tc_wait_eof(&conn, 3000));
    tc_close(&conn);

    REQUIRE(!tc_connect(&conn, srv.port));
    REQUIRE(!tc_send_str(&conn, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    CHECK(hello_ok(&conn));
    REQUIRE(!tc_send_str(&conn, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    CHECK(hello_ok(&conn));
    tc_close(&conn);
}

TEST(head_has_no_body)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    REQUIRE(!tc_send_str(&conn, "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
    char head[512];
    size_t n = tc_read_some(&conn, head, sizeof(head) - 1, 500);
    head[n] = 0;
    CHECK(strstr(head, "Content-Length: 13\r\n") != 0);
    CHECK(n >= 4 && !strcmp(head + n - 4, "\r\n\r\n"));   /* nothing after the head */
    tc_close(&conn);
}

static int status_then_close(const char *req)
{
    tc_conn c;
    if (tc_connect(&c, srv.port) || tc_send_str(&c, req)) return -1;
    tc_response r;
    char body[64];
    int st = tc_read_response(&c, &r, body, sizeof(body)) ? -1 : r.status;
    if (st != 404 && !(r.closes && tc_wait_eof(&c, 3000))) st = -2;
    tc_close(&c);
    return st;
}

TEST(refused_input_gets_a_status_and_a_close)
{
    REQUIRE(started);
    CHECK_EQ(status_then_close("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"), 404);
    CHECK_EQ(status_then_close("GARBAGE\r\n\r\n"), 400);
    CHECK_EQ(status_then_close("GET / HTTP/1.1\nHost: t\r\n\r\n"), 400);
    CHECK_EQ(status_then_close("GET / HTTP/1.1\r\nHost : t\r\n\r\n"), 400);
    CHECK_EQ(status_then_close("GET / HTTP/2.0\r\nHost: t\r\n\r\n"), 505);
    CHECK_EQ(status_then_close("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    CHECK_EQ(status_then_close("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
                               "Content-Length: 2\r\n\r\nab"), 400);
    CHECK_EQ(status_then_close("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n"), 413);
}

TEST(echo_protocol)
{
    tc_server e;
    REQUIRE(start(&e, "--protocol", "echo") == 0);
    tc_conn *c = &conn;
    REQUIRE(!tc_connect(c, e.port));
    char got[8192];
    REQUIRE(!tc_send_str(c, "hello echo"));
    size_t n = tc_read_some(c, got, 10, 3000);
    CHECK(n == 10 && !memcmp(got, "hello echo", 10));
    const char *slow = "one byte at a time";
    for (const char *p = slow; *p; p++) REQUIRE(!tc_send(c, p, 1));
    n = tc_read_some(c, got, strlen(slow), 3000);
    CHECK(n == strlen(slow) && !memcmp(got, slow, n));
    static char blob[6000];
    for (size_t i = 0; i < sizeof(blob); i++) blob[i] = (char)(i * 7);
    REQUIRE(!tc_send(c, blob, sizeof(blob)));
    n = tc_read_some(c, got, sizeof(blob), 3000);
    CHECK(n == sizeof(blob) && !memcmp(got, blob, n));
    tc_close(c);
    CHECK_EQ(tc_server_stop(&e, 5000), 0);
    tc_target(&srv);   /* the first server again, for the tests after */
}

/* nm_request_peer: the handler reads this client's address (its port), or
 * on a Unix socket this process and its user. */
TEST(peer_address)
{
    REQUIRE(started && !tc_connect(&conn, srv.port));
    struct sockaddr_storage me;
    socklen_t len = sizeof(me);
    REQUIRE(getsockname(conn.fd, (struct sockaddr *)&me, &len) == 0);
    char want[128];
    if (me.ss_family == AF_UNIX)
        snprintf(want, sizeof(want), "unix pid=%d uid=%d gid=%d", (int)getpid(), (int)getuid(), (int)getgid());
    else if (me.ss_family == AF_INET6)
        snprintf(want, sizeof(want), "[::1]:%d", ntohs(((struct sockaddr_in6 *)&me)->sin6_port));
    else
        snprintf(want, sizeof(want), "127.0.0.1:%d", ntohs(((struct sockaddr_in *)&me)->sin_port));
    REQUIRE(!tc_send_str(&conn, "GET /peer HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_response r;
    char body[128] = { 0 };
    REQUIRE(!tc_read_response(&conn, &r, body, sizeof(body) - 1));
    CHECK_EQ(r.status, 200);
    if (strcmp(body, want)) fprintf(stderr, "  peer '%s', expected '%s'\n", body, want);
    CHECK(!strcmp(body, want));
    tc_close(&conn);
}

/* ---- bodies larger than a buffer (POST /upload: length and CRC-32) ---- */

static unsigned crc32_of(const unsigned char *p, size_t n)
{
    unsigned crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static unsigned char *upload_body(size_t n)
{
    static unsigned char *body;
    static size_t have;
    if (n > have) {
        body = (unsigned char *)realloc(body, n);
        for (size_t i = have; i < n; i++) body[i] = (unsigned char)(i * 131 + (i >> 9));
        have = n;
    }
    return body;
}

/* Where the upload helpers send: the first server's POST /upload, or what
 * a test sets for its own (a pausing body on the streams server). */
static int upload_port(void);
static const char *upload_path = "/upload";

/* The answer to an upload of `body[0, n)`: 200 and its length and CRC-32;
 * paused: followed by how many pieces paused it, at least `paused`. */
static void check_upload_answer(tc_conn *c, size_t n, unsigned paused = 0)
{
    tc_response r;
    char got[128] = { 0 }, want[128];
    if (tc_read_response(c, &r, got, sizeof(got) - 1)) {
        fprintf(stderr, "  upload of %zu: no answer read\n", n);
        CHECK(!"an answer to the upload");
        return;
    }
    CHECK_EQ(r.status, 200);
    int k = !strcmp(upload_path, "/upload?discard")   /* the body dropped: its length alone */
                ? snprintf(want, sizeof(want), "{\"bytes\":%zu}\n", n)
                : snprintf(want, sizeof(want), "{\"bytes\":%zu,\"crc32\":\"%08x\"%s", n, crc32_of(upload_body(n), n),
                           paused ? ",\"pauses\":" : "}\n");
    if (strncmp(got, want, (size_t)k)) fprintf(stderr, "  upload of %zu: '%s', expected '%s...'\n", n, got, want);
    CHECK(!strncmp(got, want, (size_t)k) && (paused ? strtoul(got + k, 0, 10) >= paused : !got[k]));
}

/* Send `data` in pieces of 1..max bytes (a fixed pseudo-random sequence). */
static int send_pieces(tc_conn *c, const void *data, size_t n, size_t max)
{
    const char *p = (const char *)data;
    unsigned seed = 12345;
    while (n) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 8) % max;
        if (k > n) k = n;
        if (tc_send(c, p, k)) return -1;
        p += k;
        n -= k;
    }
    return 0;
}

/* Content-Length: the head, then the body in pieces of up to max bytes. */
static void upload_length(size_t n, size_t max, unsigned paused = 0)
{
    tc_conn c;
    REQUIRE(tc_connect(&c, upload_port()) == 0);
    char head[160];
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", upload_path, n);
    CHECK(tc_send_str(&c, head) == 0);
    CHECK(send_pieces(&c, upload_body(n), n, max) == 0);
    check_upload_answer(&c, n, paused);
    CHECK(tc_send_str(&c, GET_ROOT) == 0 && hello_ok(&c));   /* the connection goes on */
    tc_close(&c);
}

/* Chunked: chunks of varied sizes (one with an extension), a trailer field,
 * then a GET pipelined behind it; all of it in pieces of up to max bytes. */
static void upload_chunked(size_t n, size_t max, unsigned paused = 0)
{
    static char wire[17 * 1024 * 1024 + 65536];
    const unsigned char *body = upload_body(n);
    size_t w = (size_t)snprintf(wire, 200, "POST %s HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", upload_path);
    const size_t sizes[] = { 1, 1000, 4096, 5000, 70000, 300 };
    w += tc_chunked(wire + w, body, n, sizes, 6, 2);
    w += (size_t)snprintf(wire + w, 200, "0\r\nX-Trailer: yes\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
    tc_conn c;
    REQUIRE(tc_connect(&c, upload_port()) == 0);
    CHECK(send_pieces(&c, wire, w, max) == 0);
    check_upload_answer(&c, n, paused);
    CHECK(hello_ok(&c));   /* the pipelined GET, answered after */
    tc_close(&c);
}

/* The server's RSS (its process tree) within 2 MiB of `before`, read once
 * it is idle: a process that served the last transfer may still be on its
 * way out (fork_per_conn's child), and its memory leaves with it; a leak
 * stays. */
static int rss_held(const tc_server *s, long before, const char *what)
{
    long grew = tc_rss_kb(s->pid) - before;
    for (int i = 0; i < 40 && grew > 2048; i++) {
        tc_sleep_ms(50);
        grew = tc_rss_kb(s->pid) - before;
    }
    if (grew > 2048) fprintf(stderr, "  the server grew %ld KiB over %s\n", grew, what);
    return grew <= 2048;
}

static int upload_port(void)
{
    return strcmp(upload_path, "/upload") && strcmp(upload_path, "/upload?discard") ? streams.port : srv.port;
}

/* Bodies larger than a buffer reach the handler in pieces, the connection
 * holding one buffer: Content-Length and chunked, sent whole, in random
 * pieces and a byte at a time; the full suite adds 2 MiB and 16 MiB and
 * holds the server's memory and its free buffers where they were. */
TEST(bodies_larger_than_a_buffer_stream)
{
    REQUIRE(started);
    tc_stats before, after;
    CHECK(tc_wait_idle(srv.port, 5000, &before) == 0);
    size_t small = 3 * NM_BUF_SIZE + 1;   /* three buffers and a byte */
    upload_length(small, small);
    upload_length(small, 700);
    upload_chunked(small, 1000);
    upload_length(short_suite ? NM_BUF_SIZE + 10 : 5000, 1);   /* a byte at a time */
    upload_chunked(short_suite ? NM_BUF_SIZE + 10 : 5000, 1);
    CHECK(tc_wait_idle(srv.port, 5000, &after) == 0);
    CHECK_EQ(after.free_buffers, before.free_buffers);   /* every buffer back in its pool */
    /* The sizes and the RSS: the plain build's (a sanitizer's own memory
     * grows with every thread a model starts: 57 MiB under reactor_thread_per_task) */
    if (short_suite || getenv("NM_SANITIZED")) return;
    long rss = tc_rss_kb(srv.pid);
    upload_length(2 * 1024 * 1024, 65536);
    upload_chunked(2 * 1024 * 1024, 65536);
    upload_length(16 * 1024 * 1024, 1 << 20);
    upload_chunked(16 * 1024 * 1024, 1 << 20);
    CHECK(tc_wait_idle(srv.port, 5000, &after) == 0);
    CHECK(rss_held(&srv, rss, "32 MiB of uploads"));
    CHECK_EQ(after.free_buffers, before.free_buffers);
}

/* POST /upload?discard takes the body and drops it, counted (what the
 * benchmark sets beside a server that discards): the length of a body
 * that fits a buffer, of one by Content-Length and of a chunked one in
 * pieces, the connection going on after each. */
TEST(a_discarded_body_is_counted)
{
    REQUIRE(started);
    tc_stats before, after;
    CHECK(tc_wait_idle(srv.port, 5000, &before) == 0);
    size_t small = 3 * NM_BUF_SIZE + 1;
    upload_path = "/upload?discard";
    upload_length(100, 100);
    upload_length(small, 700);
    upload_chunked(small, 1000);
    if (!short_suite) {
        upload_length(2 * 1024 * 1024, 65536);
        upload_chunked(2 * 1024 * 1024, 65536);
    }
    upload_path = "/upload";
    CHECK(tc_wait_idle(srv.port, 5000, &after) == 0);
    CHECK_EQ(after.free_buffers, before.free_buffers);
}

/* 100 Continue before the body when the client asks for it. */
TEST(expect_100_continue)
{
    REQUIRE(started);
    tc_conn c;
    REQUIRE(tc_connect(&c, srv.port) == 0);
    size_t n = 2 * NM_BUF_SIZE;
    char head[200];
    snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: %zu\r\n\r\n", n);
    CHECK(tc_send_str(&c, head) == 0);
    char got[32] = { 0 };
    const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    CHECK_EQ(tc_read_some(&c, got, sizeof(interim) - 1, 3000), sizeof(interim) - 1);
    CHECK(!strcmp(got, interim));
    CHECK(tc_send(&c, upload_body(n), n) == 0);
    check_upload_answer(&c, n);
    tc_close(&c);
}

/* The smuggling rules hold for bodies that stream: each is a status and a
 * close, the handler never called. */
TEST(bad_bodies_refused)
{
    REQUIRE(started);
    const char *cl_and_te = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    CHECK_EQ(status_then_close(cl_and_te), 400);
    CHECK_EQ(status_then_close("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
    CHECK_EQ(status_then_close("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
    CHECK_EQ(status_then_close("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdeXX"), 400);
    CHECK_EQ(status_then_close("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 99000000\r\n\r\n"), 413);
    static char ext[3000];   /* a chunk extension without end */
    snprintf(ext, sizeof(ext), "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;");
    size_t k = strlen(ext);
    memset(ext + k, 'e', sizeof(ext) - k - 1);
    CHECK_EQ(status_then_close(ext), 400);
    /* past max_body (17,000,000) in one chunk */
    CHECK_EQ(status_then_close("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2000000\r\n"), 413);
}

/* A connection's own bytes (req->state) live as long as it does, start at
 * zero, and on_open has run before its first request. */
/* ---- answers made as they are sent (nm_resp_stream): GET /stream/N ---- */


/* Models whose stream cap is each process's (a second stream may find a
 * process with room), and the one that serves one connection at a time. */
static int model_among(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv_base[2], names[i])) return 1;
    return 0;
}

static int multi_process(void)
{
    static const char *const names[] = { "fork_per_conn", "prefork_shared_accept", "prefork_locked_accept",
                                         "prefork_reuseport", "prefork_fd_passing", "process_pool_reactors", "hybrid" };
    return model_among(names, sizeof(names) / sizeof(names[0]));
}

/* n bytes of the pattern from `at` (byte i is i mod 251), read as they
 * come; a slow reader takes 4 KiB at a time and pauses: 0, or -1. */
static int read_pattern(tc_conn *c, unsigned long long at, unsigned long long n, int slow)
{
    static char piece[65536];
    for (int reads = 0; n; reads++) {
        size_t cap = slow ? 4096 : sizeof(piece);
        long k = tc_read_upto(c, piece, n < cap ? (size_t)n : cap);
        if (k <= 0) return -1;
        for (long i = 0; i < k; i++)
            if ((unsigned char)piece[i] != (at + (unsigned long long)i) % 251) return -1;
        at += (unsigned long long)k;
        n -= (unsigned long long)k;
        if (slow && reads % 4 == 0) tc_sleep_ms(1);
    }
    return 0;
}

/* A line through its CRLF, without it: 0, or -1. */
static int read_line(tc_conn *c, char *line, size_t cap)
{
    size_t n = 0;
    for (char ch; n + 1 < cap;) {
        if (tc_read_upto(c, &ch, 1) != 1) return -1;
        if (ch == '\n') {
            int crlf = n && line[n - 1] == '\r';
            line[crlf ? n - 1 : n] = 0;
            return crlf ? 0 : -1;
        }
        line[n++] = ch;
    }
    return -1;
}

/* GET /stream/N (?chunked: the length not said first) over HTTP/1.minor
 * on c: the head frames the body as it should and the body is the pattern. */
static int stream_get(tc_conn *c, unsigned long long n, int chunked, int minor, int slow)
{
    char req[128], head[1024], line[64];
    snprintf(req, sizeof(req), "GET /stream/%llu%s HTTP/1.%d\r\nHost: t\r\n\r\n", n, chunked ? "?chunked" : "", minor);
    if (tc_send_str(c, req) || tc_read_head(c, head, sizeof(head)) < 0 || strncmp(head, "HTTP/1.1 200 ", 13)) return -1;
    const char *cl = strcasestr(head, "\r\nContent-Length: ");
    int te = strcasestr(head, "\r\nTransfer-Encoding: chunked\r\n") != 0;
    if (!chunked) return cl && strtoull(cl + 18, 0, 10) == n && !te ? read_pattern(c, 0, n, slow) : -1;
    if (cl) return -1;
    if (minor == 0 || strcasestr(head, "\r\nConnection: close\r\n")) {   /* to the close */
        char more;
        return !te && !read_pattern(c, 0, n, slow) && tc_read_upto(c, &more, 1) == 0 ? 0 : -1;
    }
    if (!te) return -1;
    unsigned long long at = 0;
    for (;;) {   /* chunks: a size line, its bytes, a CRLF; the last is 0 and a blank line */
        if (read_line(c, line, sizeof(line))) return -1;
        char *end;
        unsigned long long k = strtoull(line, &end, 16);
        if (end == line || *end) return -1;
        if (!k) break;
        if (read_pattern(c, at, k, slow) || read_line(c, line, sizeof(line)) || line[0]) return -1;
        at += k;
    }
    return at == n && !read_line(c, line, sizeof(line)) && !line[0] ? 0 : -1;
}

/* Answers larger than the output queue, made as the reader takes them: a
 * length said first, chunked on a connection that stays open, to the close
 * for HTTP/1.0, a head only for HEAD; the full suite adds 64 MiB to a fast
 * reader and 4 MiB to a slow one, the server's memory held. */
TEST(answers_larger_than_the_queue_stream)
{
    REQUIRE(started);
    /* Deadlines of 1 s (3 under a sanitizer: tc_scaled_ms) */
    char deadline[16];
    snprintf(deadline, sizeof(deadline), "%d", tc_scaled_ms(1000));
    REQUIRE(start(&streams, "--write-timeout", deadline, "--max-streams", "1", "--body-timeout", deadline) == 0);
    streams_started = 1;
    tc_stats before, after;
    CHECK(tc_wait_idle(streams.port, 5000, &before) == 0);
    unsigned long long small = 5ull * NM_BUF_SIZE + 7;   /* five buffers and some */
    tc_conn *c = &conn;
    REQUIRE(!tc_connect(c, streams.port));
    CHECK(stream_get(c, small, 0, 1, 0) == 0);
    CHECK(stream_get(c, small, 1, 1, 0) == 0);   /* the same connection: it stays open */
    CHECK(stream_get(c, 1, 1, 1, 0) == 0);
    char head[1024];
    REQUIRE(!tc_send_str(c, "HEAD /stream/100000?chunked HTTP/1.1\r\nHost: t\r\n\r\n"));
    CHECK(tc_read_head(c, head, sizeof(head)) > 0 && strstr(head, "Transfer-Encoding: chunked\r\n"));
    REQUIRE(!tc_send_str(c, GET_ROOT));
    CHECK(hello_ok(c));   /* no body came after the HEAD's head */
    tc_close(c);
    REQUIRE(!tc_connect(c, streams.port));
    CHECK(stream_get(c, small, 1, 0, 0) == 0);   /* HTTP/1.0: the close ends it */
    tc_close(c);
    /* A producer that makes fewer bytes than it said, or gives up: what it
     * made is sent, then the close says it (the head is gone), counted. */
    const char *broken[] = { "short", "fail" };
    for (const char *how : broken) {
        REQUIRE(!tc_connect(c, streams.port));
        char req[128];
        snprintf(req, sizeof(req), "GET /stream/%llu?%s HTTP/1.1\r\nHost: t\r\n\r\n", small, how);
        REQUIRE(!tc_send_str(c, req));
        CHECK(tc_read_head(c, head, sizeof(head)) > 0 && !strncmp(head, "HTTP/1.1 200 ", 13));
        CHECK(read_pattern(c, 0, small / 2, 0) == 0);
        char more;
        CHECK_EQ(tc_read_upto(c, &more, 1), 0);   /* closed there */
        tc_close(c);
    }
    if (!short_suite && !getenv("NM_SANITIZED")) {
        long rss = tc_rss_kb(streams.pid);
        REQUIRE(!tc_connect(c, streams.port));
        CHECK(stream_get(c, 64ull << 20, 1, 1, 0) == 0);
        tc_close(c);
        c->fd = tc_dial(streams.port, 4096);   /* a small window: the server waits for the reader */
        c->len = 0;
        REQUIRE(c->fd >= 0);
        struct timeval tv = { 10, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        CHECK(stream_get(c, 4ull << 20, 0, 1, 1) == 0);
        tc_close(c);
        CHECK(tc_wait_idle(streams.port, 5000, &after) == 0);
        CHECK(rss_held(&streams, rss, "68 MiB of answers"));
    }
    CHECK(tc_wait_idle(streams.port, 5000, &after) == 0);
    CHECK_EQ(after.free_buffers, before.free_buffers);   /* every buffer back in its pool */
    CHECK(after.errors >= before.errors + 2);   /* the two broken producers */
}

/* The representative set (test/targets.mk's NM_SMOKE_MODELS): the short
 * suite (other pollers and listeners, emulated targets) runs the checks
 * that take a second only for these. */
static int representative(void)
{
    static const char *const names[] = { "epoll", "thread_pool", "process_pool_reactors", "prefork_locked_accept", "fiber" };
    return model_among(names, sizeof(names) / sizeof(names[0]));
}

/* A body callback that pauses (NM_BODY_PAUSE) is resumed by another thread
 * of the process that serves the connection (POST /upload?pause=MS: every
 * piece pauses, MS ms each): the body arrives whole and in order, the
 * connection goes on, and a resume that races its pause (0 ms) loses
 * nothing. The full suite holds an upload paused after its first piece
 * (?hold=MS) past the server's body timeout: meanwhile the client's sends
 * stop (the server reads nothing: its bytes wait in the kernel), and the
 * upload is not cut for the time the application took. */
TEST(a_paused_body_waits_for_its_resume)
{
    REQUIRE(streams_started);   /* the server whose body timeout is 1 s */
    tc_stats before, after;
    CHECK(tc_wait_idle(streams.port, 5000, &before) == 0);
    size_t small = 3 * NM_BUF_SIZE + 1;
    upload_path = "/upload?pause=1";
    upload_length(small, 700, 2);
    upload_path = "/upload?pause=0";
    upload_chunked(small, 1000, 2);
    upload_length(small, small, 2);
    upload_path = "/upload";
    if (!short_suite) {
        size_t n = 16000000, sent = 0;
        tc_conn c;
        REQUIRE(tc_connect(&c, streams.port) == 0);
        char head[160];
        int hold = tc_scaled_ms(1500);   /* past the body deadline, however scaled */
        snprintf(head, sizeof(head), "POST /upload?hold=%d HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", hold, n);
        CHECK(tc_send_str(&c, head) == 0);
        const char *body = (const char *)upload_body(n);
        long start_ms = tc_now_ms(), stuck_since = 0;
        while (sent < n && tc_now_ms() - start_ms < 1000) {   /* as much as goes, for a second */
            ssize_t w = send(c.fd, body + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) {
                sent += (size_t)w;
                stuck_since = 0;
            } else {
                if (!stuck_since) stuck_since = tc_now_ms();
                if (tc_now_ms() - stuck_since > 300) break;   /* the kernel's buffers are full */
                tc_sleep_ms(5);
            }
        }
        if (sent > n / 2) fprintf(stderr, "  %zu of %zu bytes went while the body was paused\n", sent, n);
        CHECK(sent <= n / 2);
        CHECK(tc_send(&c, body + sent, n - sent) == 0);   /* the rest, once resumed */
        check_upload_answer(&c, n, 1);
        CHECK(tc_send_str(&c, GET_ROOT) == 0 && hello_ok(&c));
        CHECK(tc_now_ms() - start_ms >= hold);
        tc_close(&c);
    }
    CHECK(tc_wait_idle(streams.port, 5000, &after) == 0);
    CHECK_EQ(after.timeouts, before.timeouts);
    CHECK_EQ(after.resume_failed, 0);
    CHECK_EQ(after.free_buffers, before.free_buffers);
}

/* A reader that stops holds its stream until the write timeout cuts it,
 * slot and buffer back; meanwhile a second stream past the cap is refused
 * with 503 and plain requests are answered. */
TEST(streams_capped_and_a_stalled_reader_cut)
{
    REQUIRE(streams_started);
    if (short_suite && !representative()) {   /* the full suite has run it for this model */
        CHECK_EQ(tc_server_stop(&streams, 5000), 0);
        streams_started = 0;
        tc_target(&srv);
        return;
    }
    tc_stats before, after;
    CHECK(tc_wait_idle(streams.port, 5000, &before) == 0);
    tc_conn a;
    a.fd = tc_dial(streams.port, 4096);
    a.len = 0;
    REQUIRE(a.fd >= 0);
    struct timeval tv = { 10, 0 };
    setsockopt(a.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    REQUIRE(!tc_send_str(&a, "GET /stream/1073741824 HTTP/1.1\r\nHost: t\r\n\r\n"));
    char head[1024];
    CHECK(tc_read_head(&a, head, sizeof(head)) > 0 && !strncmp(head, "HTTP/1.1 200 ", 13));
    if (strcmp(argv_base[2], "iterative")) {   /* which serves one connection at a time */
        tc_conn b;
        REQUIRE(!tc_connect(&b, streams.port));
        REQUIRE(!tc_send_str(&b, "GET /stream/100 HTTP/1.1\r\nHost: t\r\n\r\n"));
        tc_response r;
        char body[128];
        CHECK(tc_read_response(&b, &r, body, sizeof(body)) == 0);
        if (multi_process()) CHECK(r.status == 503 || r.status == 200);
        else CHECK_EQ(r.status, 503);
        tc_close(&b);
        REQUIRE(!tc_connect(&b, streams.port));
        REQUIRE(!tc_send_str(&b, GET_ROOT));
        CHECK(hello_ok(&b));
        tc_close(&b);
    }
    CHECK(tc_wait_idle(streams.port, 10000, &after) == 0);   /* a is cut after 1 s without progress */
    CHECK(after.timeouts > before.timeouts);
    if (strcmp(argv_base[2], "iterative") && !multi_process()) CHECK(after.refused > before.refused);
    CHECK_EQ(after.free_buffers, before.free_buffers);
    tc_close(&a);
    CHECK_EQ(tc_server_stop(&streams, 5000), 0);
    streams_started = 0;
    tc_target(&srv);   /* the first server again, for the tests after */
}

TEST(connection_state_and_hooks)
{
    REQUIRE(started);
    tc_conn a, b;
    REQUIRE(tc_connect(&a, srv.port) == 0);
    const char get[] = "GET /conn HTTP/1.1\r\nHost: t\r\n\r\n";
    const char *want[] = { "1\n", "2\n", "3\n" };
    for (int i = 0; i < 3; i++) {
        tc_response r;
        char body[32] = { 0 };
        CHECK(tc_send_str(&a, get) == 0);
        CHECK(tc_read_response(&a, &r, body, sizeof(body) - 1) == 0);
        CHECK_EQ(r.status, 200);
        CHECK(!strcmp(body, want[i]));
    }
    /* the next connection starts from zero, in a slot just freed or not
     * (after a's close: an iterative server serves one at a time) */
    tc_close(&a);
    REQUIRE(tc_connect(&b, srv.port) == 0);
    tc_response r;
    char body[32] = { 0 };
    CHECK(tc_send_str(&b, get) == 0);
    CHECK(tc_read_response(&b, &r, body, sizeof(body) - 1) == 0);
    CHECK(!strcmp(body, "1\n"));
    tc_close(&b);
}

TEST(counters_back_to_idle_and_no_fd_left)
{
    REQUIRE(started);
    tc_stats st;
    CHECK(tc_wait_idle(srv.port, 5000, &st) == 0);
    CHECK_EQ(st.active, 0);
    int load = short_suite ? 50 : 200;   /* what keep_alive and concurrent_clients sent */
    CHECK(st.requests > load);
    CHECK(st.accepted > load);
    /* on_open and on_close once per connection, in the serving process:
     * every other connection closed, the asker open */
    CHECK(st.opened > load);
    CHECK_EQ(st.opened, st.closed + 1);
    CHECK_EQ(st.unclean, 0);
    long deadline = tc_now_ms() + 3000;
    int now = tc_fd_count(srv.pid);
    while (now != fds_before && tc_now_ms() < deadline) {
        tc_sleep_ms(20);
        now = tc_fd_count(srv.pid);
    }
    CHECK_EQ(now, fds_before);
}

TEST(sigterm_stops_cleanly)
{
    REQUIRE(started);
    tc_conn idle;
    REQUIRE(!tc_connect(&idle, srv.port));
    REQUIRE(!tc_send_str(&idle, GET_ROOT));
    CHECK(hello_ok(&idle));
    CHECK_EQ(tc_server_stop(&srv, 5000), 0);
    CHECK(tc_wait_eof(&idle, 1000));
    tc_close(&idle);
    started = 0;
    /* A Unix socket's file goes with the server that bound it; one handed
     * in is its owner's, left where it was. */
    const char *path = unix_path();
    int handed = 0;
    for (int i = 0; i + 1 < argc_base; i++) handed |= !strcmp(argv_base[i], "--listen-fd");
    if (path) CHECK_EQ(access(path, F_OK) == 0, handed);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: conformance NMSERVE MODEL [nmserve options...]\n");
        return 2;
    }
    argv_base[argc_base++] = argv[1];
    argv_base[argc_base++] = "--model";
    argv_base[argc_base++] = argv[2];
    argv_base[argc_base++] = "--max-body";   /* the full suite uploads 16 MiB */
    argv_base[argc_base++] = "17000000";
    for (int i = 3; i < argc && argc_base < 36; i++) argv_base[argc_base++] = argv[i];
    const char *suite = getenv("NM_SUITE");
    short_suite = suite && !strcmp(suite, "short");
    const char *filter = getenv("NM_TEST_FILTER");
    char *args[2] = { argv[0], (char *)filter };
    int rc = nm_test_main(filter ? 2 : 1, args);
    if (started) tc_server_stop(&srv, 2000);
    if (streams_started) tc_server_stop(&streams, 2000);
    if (unix_path()) {   /* the files of sockets handed in, and of any server killed */
        char second[160];
        snprintf(second, sizeof(second), "%s.2", unix_path());
        unlink(unix_path());
        unlink(second);
    }
    return rc;
}
