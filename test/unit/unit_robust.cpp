/* Hostile input at the session: deadlines that trickled bytes do not move,
 * the write deadline moved only by progress, the blocking models' header
 * deadline, the buffer reserve for answers, refused input never reaching the
 * handler, and peers that reset or half-close. Each test drives one
 * connection in-process over a socket pair (test/rig.h). */
#include "../check.h"
#include "rig.h"
#include "../lib/loop/accept.h"
#include "../lib/loop/blocking.h"
#include "../lib/loop/server.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void say(rig *r, const char *s) { (void)!send(r->peer, s, strlen(s), MSG_NOSIGNAL); }

/* What the peer can read within timeout_ms, up to cap - 1 bytes, NUL-ended. */
static size_t hear(rig *r, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    while (got + 1 < cap) {
        struct pollfd p = { r->peer, POLLIN, 0 };
        if (poll(&p, 1, timeout_ms) <= 0) break;
        ssize_t n = recv(r->peer, out + got, cap - 1 - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    out[got] = 0;
    return got;
}

/* Open a rig with these timeouts (header, body, idle, write), send it `req`
 * and drive it once; what the drive returned, or -1 without a rig. */
static int open_and_send(rig *r, const int timeouts[4], const char *req)
{
    if (rig_open(r, NM_PROTO_HTTP)) return -1;
    r->srv.cfg.header_timeout_ms = timeouts[0];
    r->srv.cfg.body_timeout_ms = timeouts[1];
    r->srv.cfg.idle_timeout_ms = timeouts[2];
    r->srv.cfg.write_timeout_ms = timeouts[3];
    say(r, req);
    return rig_drive(r);
}

TEST(header_deadline_is_not_moved_by_trickled_bytes)
{
    rig r;
    const int timeouts[4] = { 1000, 30000, 60000, 20000 };
    REQUIRE(open_and_send(&r, timeouts, "") == NM_READ);
    unsigned fresh = nm_conn_timeout_ms(r.c);
    CHECK(fresh > 500 && fresh <= 1000);   /* a new connection owes its first head */
    say(&r, "GET / HTTP/1.1\r\n");
    CHECK_EQ(rig_drive(&r), NM_READ);
    r.c->read_since -= 700;   /* as if 700 ms had passed since the first byte */
    for (const char *p = "Host: slow\r\nX-Pad: aaaaaaaa"; *p; p++) {
        REQUIRE(send(r.peer, p, 1, MSG_NOSIGNAL) == 1);
        REQUIRE(rig_drive(&r) == NM_READ);
        CHECK(nm_conn_timeout_ms(r.c) <= 300);
    }
    r.c->read_since -= 300;
    CHECK_EQ(nm_conn_timeout_ms(r.c), 0);   /* due now: the loop's timer drops it */
    CHECK_EQ(r.handled, 0);
    rig_close(&r);
}

TEST(body_and_idle_deadlines_follow_the_request)
{
    rig r;
    const int timeouts[4] = { 1000, 30000, 60000, 20000 };
    REQUIRE(open_and_send(&r, timeouts, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc") == NM_READ);
    unsigned t = nm_conn_timeout_ms(r.c);
    CHECK(t > 20000 && t <= 30000);   /* the head is in: the body deadline applies */
    r.c->read_since -= 29000;
    say(&r, "defg");
    CHECK_EQ(rig_drive(&r), NM_READ);
    CHECK(nm_conn_timeout_ms(r.c) <= 1000);   /* body bytes do not move it either */
    say(&r, "hij");
    CHECK_EQ(rig_drive(&r), NM_READ);
    char got[256];
    hear(&r, got, sizeof(got), 200);
    CHECK(strstr(got, "HTTP/1.1 200") == got && strstr(got, "\r\n\r\nabcdefghij"));
    t = nm_conn_timeout_ms(r.c);
    CHECK(t > 50000 && t <= 60000);   /* answered: idle until the next request */
    CHECK(r.c->in == 0);              /* and idle holds no buffer */
    rig_close(&r);
}

TEST(write_deadline_moves_only_with_progress)
{
    rig r;
    const int timeouts[4] = { 1000, 1000, 60000, 20000 };
    REQUIRE(open_and_send(&r, timeouts, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n") == NM_WRITE);   /* unread */
    unsigned t = nm_conn_timeout_ms(r.c);
    CHECK(t > 15000 && t <= 20000);
    r.c->write_since -= 15000;
    CHECK_EQ(rig_drive(&r), NM_WRITE);    /* writable again, but nothing moved */
    CHECK(nm_conn_timeout_ms(r.c) <= 5000);
    static char sink[sizeof(r.srv) + 300 * 1024];
    size_t got = 0;
    while (r.c && got < 256 * 1024) {
        ssize_t n = recv(r.peer, sink + got, sizeof(sink) - got, MSG_DONTWAIT);
        if (n > 0) got += (size_t)n;
        if (rig_drive(&r) == NM_WRITE) CHECK(nm_conn_timeout_ms(r.c) > 15000);   /* progress */
    }
    got += hear(&r, sink + got, sizeof(sink) - got, 200);
    char *body = strstr(sink, "\r\n\r\n");
    REQUIRE(body != 0);
    body += 4;
    CHECK_EQ(got - (size_t)(body - sink), 256 * 1024);
    int same = 1;
    for (size_t i = 0; i < 256 * 1024 && same; i++) same = body[i] == (char)('a' + i % 26);
    CHECK(same);
    rig_close(&r);
}

struct trickler {
    int fd, sent;
    volatile int stop;
};

static void *trickle(void *arg)
{
    trickler *t = (trickler *)arg;
    const char *head = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    (void)!send(t->fd, head, strlen(head), MSG_NOSIGNAL);
    for (; t->sent < 200 && !t->stop; t->sent++) {
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, 0);
        if (send(t->fd, "a", 1, MSG_NOSIGNAL) != 1) break;
    }
    return 0;
}

TEST(blocking_session_cuts_a_trickler_at_the_header_timeout)
{
    rig r;
    const int timeouts[4] = { 300, 300, 60000, 20000 };
    REQUIRE(open_and_send(&r, timeouts, "") == NM_READ);
    fcntl(r.c->fd, F_SETFL, fcntl(r.c->fd, F_GETFL) & ~O_NONBLOCK);
    trickler t = { r.peer, 0, 0 };
    pthread_t th;
    REQUIRE(pthread_create(&th, 0, trickle, &t) == 0);
    nm_blocking_serve(r.c);   /* returns once the connection is closed */
    r.c = 0;
    pthread_join(th, 0);
    /* a byte every 50 ms for 10 s: cut long before the last one */
    CHECK(t.sent < 200);
    CHECK_EQ(rig_counter(&r, NM_C_TIMEOUTS), 1);
    CHECK_EQ(r.handled, 0);
    rig_close(&r);
}

/* Out of buffers, a new request waits (NM_QUEUE, nothing read) while one
 * already started is answered from the reserve; freed buffers let it in. */
TEST(new_requests_wait_while_started_ones_are_answered)
{
    unsigned free_before = nm_buf_free();
    rig a, b;
    REQUIRE(rig_open(&a, NM_PROTO_HTTP) == 0);
    REQUIRE(rig_open(&b, NM_PROTO_HTTP) == 0);
    say(&a, "GET / HTTP/1.1\r\n");
    REQUIRE(rig_drive(&a) == NM_READ);   /* a holds its input buffer */
    static nm_buf *taken[NM_BUF_COUNT];
    unsigned n = 0;
    while (nm_buf_free() > NM_BUF_ANSWER_RESERVE) taken[n++] = nm_buf_get();
    say(&b, "GET / HTTP/1.1\r\nHost: b\r\n\r\n");
    CHECK_EQ(rig_drive(&b), NM_QUEUE);   /* waits, unread */
    CHECK_EQ(rig_counter(&b, NM_C_REFUSED), 0);
    CHECK_EQ(b.handled, 0);
    say(&a, "Host: a\r\n\r\n");
    CHECK_EQ(rig_drive(&a), NM_READ);
    char got[256];
    hear(&a, got, sizeof(got), 200);
    CHECK(strstr(got, "HTTP/1.1 200") == got && strstr(got, "Hello, World!"));
    while (n) nm_buf_put(taken[--n]);
    b.c->queued = NM_Q_NONE;
    CHECK_EQ(rig_drive(&b), NM_READ);
    hear(&b, got, sizeof(got), 200);
    CHECK(strstr(got, "HTTP/1.1 200") == got);
    rig_close(&a);
    rig_close(&b);
    CHECK_EQ(nm_buf_free(), free_before);
}

static const struct {
    const char *in;
    int status;
} refused[] = {
    { "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
    { "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400 },
    { "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: compress\r\n\r\n", 501 },
    { "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400 },
    { "GET / HTTP/1.1\nHost: t\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost: t\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost\t: t\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\n Host: t\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01" "b\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\nHost: t\r\nX: a\x7f" "b\r\n\r\n", 400 },
    { "GET /a\x01 HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12a\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +12\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551617\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4294967297\r\n\r\n", 400 },
    { "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n", 413 },
    { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
    { "GET / HTTP/1.1\r\n\r\n", 400 },
    { "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505 },
    { "GET / HTTP/1.x\r\nHost: t\r\n\r\n", 400 },
    { "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
    { "\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03\r\n\r\n", 400 },
};

static void too_many_headers(char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < NM_MAX_HEADERS + 1; i++) n += (size_t)snprintf(out + n, cap - n, "X-%d: v\r\n", i);
    snprintf(out + n, cap - n, "\r\n");
}

static void overlong_line(char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "GET /");
    while (n < NM_BUF_SIZE + 16 && n + 1 < cap) out[n++] = 'a';
    snprintf(out + n, cap - n, " HTTP/1.1\r\nHost: t\r\n\r\n");
}

/* The status a connection sent input `in` is answered with; -1 if none, or
 * if the handler saw it or the connection stayed open. */
static int refusal_of(const char *in, size_t len)
{
    rig r;
    if (rig_open(&r, NM_PROTO_HTTP)) return -1;
    size_t off = 0;
    int open = 1;
    for (int round = 0; open && round < 64; round++) {   /* the input may be larger than a buffer */
        if (off < len) {
            ssize_t w = send(r.peer, in + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) off += (size_t)w;
        }
        open = rig_drive(&r) != 0;
        /* all sent, answered: the client's end ends the close's lingering */
        if (open && off == len && r.c->read_phase == NM_RP_LINGER) shutdown(r.peer, SHUT_WR);
    }
    char got[512];
    hear(&r, got, sizeof(got), 1000);
    int status = -1;
    if (!open && !r.handled && !strncmp(got, "HTTP/1.1 ", 9) && strstr(got, "Connection: close\r\n"))
        status = (got[9] - '0') * 100 + (got[10] - '0') * 10 + (got[11] - '0');
    if (rig_counter(&r, NM_C_ERRORS) != 1) status = -1;
    rig_close(&r);
    return status;
}

TEST(refused_input_is_answered_and_closed_without_the_handler)
{
    unsigned bufs = nm_buf_free(), slots = nm_conn_free();
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int st = refusal_of(refused[i].in, strlen(refused[i].in));
        if (st != refused[i].status) fprintf(stderr, "  case %zu: got %d, want %d\n", i, st, refused[i].status);
        CHECK_EQ(st, refused[i].status);
    }
    static char big[NM_BUF_SIZE * 2];
    too_many_headers(big, sizeof(big));
    CHECK_EQ(refusal_of(big, strlen(big)), 431);
    overlong_line(big, sizeof(big));
    CHECK_EQ(refusal_of(big, strlen(big)), 431);
    CHECK_EQ(nm_buf_free(), bufs);
    CHECK_EQ(nm_conn_free(), slots);
}

TEST(a_peer_resetting_mid_answer_frees_its_slot_and_buffers)
{
    unsigned bufs = nm_buf_free(), slots = nm_conn_free();
    rig r;
    REQUIRE(rig_open(&r, NM_PROTO_HTTP) == 0);
    say(&r, "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(rig_drive(&r) == NM_WRITE);
    close(r.peer);   /* SIGPIPE is not ignored here: a send without MSG_NOSIGNAL kills the test */
    r.peer = -1;
    CHECK_EQ(rig_drive(&r), 0);
    CHECK(r.c == 0);
    CHECK_EQ(nm_buf_free(), bufs);
    CHECK_EQ(nm_conn_free(), slots);
    rig_close(&r);
}

TEST(a_half_closed_peer_gets_its_answers_then_a_close)
{
    rig r;
    REQUIRE(rig_open(&r, NM_PROTO_HTTP) == 0);
    say(&r, "GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
    shutdown(r.peer, SHUT_WR);
    CHECK_EQ(rig_drive(&r), 0);
    char got[512];
    size_t n = hear(&r, got, sizeof(got), 1000);
    CHECK(strstr(got, "Hello, World!") != 0);
    CHECK(n > 2 && !strcmp(got + n - 2, "ok"));
    CHECK_EQ(r.handled, 2);
    rig_close(&r);
}

/* Answers are small and must not wait for Nagle's delayed ACK: every
 * accepted connection has TCP_NODELAY, whether set on it or inherited from
 * the listener. */
TEST(accepted_connections_have_nodelay)
{
    rig r;
    REQUIRE(rig_open(&r, NM_PROTO_HTTP) == 0);
    rig_close(&r);
    r.srv.cfg.host = "127.0.0.1";
    r.srv.port_number = 0;
    r.srv.listen_fd = nm_listen_open(&r.srv, 1, 0);
    REQUIRE(r.srv.listen_fd >= 0);
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    REQUIRE(getsockname(r.srv.listen_fd, (struct sockaddr *)&a, &n) == 0);
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    CHECK(connect(client, (struct sockaddr *)&a, sizeof(a)) == 0);
    nm_conn *c = 0;
    int more = 0;
    for (int i = 0; i < 200 && !c; i++) {
        c = nm_accept(&r.srv, 1, &more);
        if (!c) usleep(5000);
    }
    REQUIRE(c != 0);
    int on = 0;
    n = sizeof(on);
    CHECK(getsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, &n) == 0);
    CHECK(on != 0);
    nm_conn_close(c);
    close(client);
    close(r.srv.listen_fd);
}
