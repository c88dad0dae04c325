/* The session state machine, driven by hand over a non-blocking socketpair:
 * the test plays the client on one end and the event loop on the other. */
#include "../check.h"
#include "../client.h"
#include "../lib/session/session.h"
#include "../lib/session/transport.h"
#include "../lib/loop/server.h"
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <unistd.h>

enum { BIG = 1 << 20 };
/* With its head, an answer that needs all but one output segment. */
enum { WIDE = (NM_OUT_SEGS - 2) * NM_BUF_SIZE };

static nm_server srv;
static nm_conn *conn;
static int peer = -1;
static unsigned bufs_at_start, conns_at_start;
static char big[BIG];
static char got[BIG + 65536];
static size_t got_len;

/* What the handler saw of the API, for the tests to check. */
static int late_header_rc, late_status_rc, early_status_rc, split_rc, bad_name_rc, empty_name_rc;

static int is(nm_slice s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

static int r_echo(const nm_request *q, nm_response *r) { return nm_resp_body(r, q->body.p, q->body.n); }
static int r_hello(const nm_request *, nm_response *r) { return nm_resp_body(r, "Hello", 5); }
static int r_fail(const nm_request *, nm_response *) { return 1; }
static int r_big(const nm_request *, nm_response *r) { return nm_resp_body_static(r, big, BIG); }
static int r_wide(const nm_request *, nm_response *r) { return nm_resp_body(r, big, WIDE); }
static int r_nobody(const nm_request *, nm_response *r) { return nm_resp_status(r, 404); }
static int r_headonly(const nm_request *, nm_response *r) { return nm_resp_header(r, "X-A", "1"); }

static int r_half(const nm_request *, nm_response *r)
{
    nm_resp_header(r, "X-Half", "1");
    return 1;
}

static int r_huge(const nm_request *, nm_response *r)
{
    static char huge[NM_OUT_SEGS * NM_BUF_SIZE];
    nm_resp_body(r, huge, sizeof(huge));
    return 0;   /* the failed body alone must turn this into a 500 */
}

static int r_headers(const nm_request *, nm_response *r)
{
    nm_resp_status(r, 404);
    nm_resp_header(r, "X-A", "1");
    early_status_rc = nm_resp_status(r, 200);
    return nm_resp_body(r, "no", 2);
}

/* A field longer than the head writer assembles at once, and a short one after it. */
static char long_value[301];
static int r_longfield(const nm_request *, nm_response *r)
{
    memset(long_value, 'v', sizeof(long_value) - 1);
    return nm_resp_header(r, "X-Long", long_value) | nm_resp_header(r, "X-B", "2") | nm_resp_body(r, "ok", 2);
}

static int r_late(const nm_request *, nm_response *r)
{
    nm_resp_body(r, "ok", 2);
    late_header_rc = nm_resp_header(r, "X-Late", "1");
    late_status_rc = nm_resp_status(r, 201);
    return 0;
}

static int r_split(const nm_request *, nm_response *r)
{
    split_rc = nm_resp_header(r, "X-A", "a\r\nSet-Cookie: evil=1");
    nm_resp_body(r, "s", 1);
    return 0;
}

static int r_badname(const nm_request *, nm_response *r)
{
    bad_name_rc = nm_resp_header(r, "Bad Name", "v");
    return 0;
}

static int r_emptyname(const nm_request *, nm_response *r)
{
    empty_name_rc = nm_resp_header(r, "", "v");
    return 0;
}

/* Streamed answers: 10 bytes of 'x', made at most 3 at a time. */
static int stream_rc[4];
static unsigned long stream_made;
static long make_x(void *user, char *buf, size_t room)
{
    unsigned long *made = (unsigned long *)user;
    size_t n = 10 - *made < 3 ? 10 - *made : 3;
    if (n > room) n = room;
    memset(buf, 'x', n);
    *made += n;
    return (long)n;
}

static int r_stream(const nm_request *, nm_response *r)
{
    stream_made = 0;
    stream_rc[0] = nm_resp_stream(r, 10, 0, 0);                /* no producer */
    stream_rc[1] = nm_resp_stream(r, 10, make_x, &stream_made);
    stream_rc[2] = nm_resp_stream(r, 10, make_x, &stream_made);   /* one stream an answer */
    stream_rc[3] = nm_resp_body(r, "no", 2);                    /* the stream is the body */
    return 0;
}

static int r_stream_unknown(const nm_request *, nm_response *r)
{
    stream_made = 0;
    return nm_resp_stream(r, NM_LENGTH_UNKNOWN, make_x, &stream_made);
}

/* Bodies that pause (NM_BODY_PAUSE) after every piece: the pieces' sizes,
 * and the answer at the end says how many bytes came. /paused-fast's
 * callback resumes itself before it pauses, as a faster thread would. */
static size_t paused_bytes, paused_pieces;
static int paused_piece(const nm_request *req, const void *, size_t len, nm_response *res, void *fast)
{
    if (res) {
        char text[32];
        return nm_resp_body(res, text, (size_t)snprintf(text, sizeof(text), "got %zu", paused_bytes));
    }
    paused_bytes += len;
    paused_pieces++;
    if (fast) CHECK_EQ(nm_body_resume(req->server, req->conn), 0);
    return NM_BODY_PAUSE;
}

static int r_paused(const nm_request *req, nm_response *r)
{
    paused_bytes = paused_pieces = 0;
    return nm_body_take(r, paused_piece, is(req->target, "/paused-fast") ? r : 0);
}

/* Bodies taken whole: their length and a sum that weighs each byte by
 * its place, so that a byte lost, doubled or out of order shows. */
static unsigned long long taken_bytes, taken_sum;
static int taken_piece(const nm_request *, const void *data, size_t len, nm_response *res, void *)
{
    if (res) {
        char text[64];
        return nm_resp_body(res, text, (size_t)snprintf(text, sizeof(text), "got %llu %llx", taken_bytes, taken_sum));
    }
    for (size_t i = 0; i < len; i++) taken_sum += (taken_bytes + i + 1) * ((const unsigned char *)data)[i];
    taken_bytes += len;
    return 0;
}

static int r_taken(const nm_request *, nm_response *r)
{
    taken_bytes = taken_sum = 0;
    return nm_body_take(r, taken_piece, 0);
}

static const struct {
    const char *path;
    int (*fn)(const nm_request *, nm_response *);
} routes[] = {
    { "/echo", r_echo },         { "/hello", r_hello },       { "/fail", r_fail },
    { "/half", r_half },         { "/huge", r_huge },         { "/big", r_big },
    { "/wide", r_wide },         { "/headers", r_headers },   { "/longfield", r_longfield },   { "/nobody", r_nobody },
    { "/headonly", r_headonly }, { "/late", r_late },         { "/split", r_split },
    { "/badname", r_badname },   { "/emptyname", r_emptyname },
    { "/stream", r_stream },     { "/stream-unknown", r_stream_unknown },
    { "/paused", r_paused },     { "/paused-fast", r_paused },    { "/taken", r_taken },
};

/* Routes by target; any other target comes back as the body. */
static int handler(const nm_request *req, nm_response *res, void *user)
{
    (void)user;
    if (req->protocol == NM_PROTO_ECHO) return r_echo(req, res);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (is(req->target, routes[i].path)) return routes[i].fn(req, res);
    return nm_resp_body(res, req->target.p, req->target.n);
}

/* nm_server_stop(NULL) stays in force after the servers it stopped have
 * returned, until some nm_run starts; one that fails at once (a listen
 * address that is not one) lifts it, so that an earlier test stopping its
 * servers does not make these answers close. */
static void lift_stop_of_all(void)
{
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.host = "no address";
    nm_handler h = { handler, 0 };
    nm_run(nm_model_name(0), &cfg, &h);
}

static int setup(const nm_protocol *proto)
{
    memset(&srv, 0, sizeof(srv));
    if (nm_stop_requested(&srv)) lift_stop_of_all();
    nm_config_init(&srv.cfg);
    nm_session_bind(&srv, proto);
    srv.counters = &srv.own_counters;
    srv.handler.fn = handler;
    srv.listen_fd = -1;
    got_len = 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) return -1;
    bufs_at_start = nm_buf_free();
    conns_at_start = nm_conn_free();
    conn = nm_conn_open(&srv, sv[0]);
    peer = sv[1];
    return conn ? 0 : -1;
}

/* Close whatever is left and check that everything came back. */
static void teardown(void)
{
    if (conn) nm_conn_close(conn);
    conn = 0;
    close(peer);
    peer = -1;
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    CHECK_EQ(nm_conn_free(), conns_at_start);
    CHECK_EQ(srv.own_counters.active, 0);
}

static int send_str(const char *s) { return write(peer, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1; }

/* Everything the server end has sent so far, appended to got. */
static size_t drain_peer(void)
{
    for (;;) {
        ssize_t n = read(peer, got + got_len, sizeof(got) - got_len);
        if (n <= 0) return got_len;
        got_len += (size_t)n;
    }
}

/* The peer receives exactly `want`, nothing more. */
static int peer_gets(const char *want)
{
    got_len = 0;
    drain_peer();
    size_t n = strlen(want);
    if (got_len == n && !memcmp(got, want, n)) return 1;
    fprintf(stderr, "  peer got %zu bytes: [%.*s]\n  expected %zu: [%s]\n", got_len, (int)got_len, got, n, want);
    return 0;
}

/* The time left to the connection's deadline: the whole timeout of its
 * phase, less the few ms the test took since the phase began. */
static int left_about(unsigned want)
{
    unsigned left = nm_conn_timeout_ms(conn);
    return left <= want && left + 50 > want;
}

#define OK_HELLO "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello"
#define ERR_500 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 22\r\nConnection: close\r\n\r\nInternal Server Error\n"

TEST(session_answers_and_goes_idle_without_buffers)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets(OK_HELLO));
    CHECK(conn->in == 0);
    CHECK_EQ(conn->in_len, 0);
    CHECK_EQ(conn->out_count, 0);
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    CHECK_EQ(srv.own_counters.requests, 1);
    /* and again on the same connection */
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets(OK_HELLO));
    CHECK_EQ(srv.own_counters.requests, 2);
    CHECK_EQ(srv.own_counters.errors, 0);
    teardown();
}

/* Each event gets one action: what to wait for and until when, or close. */
TEST(session_on_answers_an_action_for_each_event)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    conn->flags |= NM_CF_LEVEL;
    nm_action a = nm_session_on(conn, NM_ON_START);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ);
    CHECK(a.deadline <= (unsigned)srv.cfg.header_timeout_ms && a.deadline + 50 > (unsigned)srv.cfg.header_timeout_ms);
    CHECK((conn->flags & NM_CF_LEVEL) != 0);   /* the plain socket keeps the short-read shortcut */
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    a = nm_session_on(conn, NM_ON_READY);
    CHECK(peer_gets(OK_HELLO));
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ);
    CHECK(a.deadline <= (unsigned)srv.cfg.idle_timeout_ms && a.deadline + 50 > (unsigned)srv.cfg.idle_timeout_ms);
    shutdown(peer, SHUT_WR);
    a = nm_session_on(conn, NM_ON_READY);
    CHECK_EQ(a.kind, NM_ACT_CLOSE);
    teardown();
}

/* A transport of its own: its hello owed from the start, plaintext it may
 * hold, a close message. `stuck`: its flush cannot send now. */
static int owed, stuck, closed_clean;
static int fake_pending(const nm_conn *) { return 0; }
static int fake_wants_write(const nm_conn *) { return owed; }
static int fake_flush(nm_conn *c)
{
    if (owed && !stuck && write(c->fd, "HI", 2) == 2) owed = 0;
    return !owed;
}
static int fake_start(nm_conn *)
{
    owed = 1;
    return 0;
}
static void fake_close(nm_conn *) { closed_clean++; }
static nm_transport fake = { "fake", 0, 0, 0, fake_pending, fake_wants_write, fake_flush, fake_start, fake_close };

/* A connection over the fake transport (the plain socket's receive and send). */
static int setup_fake(int stuck_at_first)
{
    if (setup(&nm_proto_http)) return -1;
    fake.recv = nm_transport_plain.recv;
    fake.sendv = nm_transport_plain.sendv;
    srv.transport = &fake;
    owed = closed_clean = 0;
    stuck = stuck_at_first;
    return 0;
}

TEST(session_on_honours_a_transport_that_holds_plaintext_and_writes_its_own)
{
    REQUIRE(setup_fake(0) == 0);
    conn->flags |= NM_CF_LEVEL;
    nm_action a = nm_session_on(conn, NM_ON_START);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ | NM_WRITE);   /* the hello, before the session reads anything */
    CHECK_EQ(conn->flags & NM_CF_LEVEL, 0);   /* a short read says nothing of the socket */
    a = nm_session_on(conn, NM_ON_READY);
    CHECK(peer_gets("HI"));
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    a = nm_session_on(conn, NM_ON_READY);
    CHECK(peer_gets(OK_HELLO));
    CHECK_EQ(a.io, NM_READ);
    /* finished, but the transport owes bytes: it waits to send them first */
    owed = stuck = 1;
    shutdown(peer, SHUT_WR);
    a = nm_session_on(conn, NM_ON_READY);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_WRITE);
    CHECK_EQ(closed_clean, 0);
    stuck = 0;
    a = nm_session_on(conn, NM_ON_READY);
    CHECK(peer_gets("HI"));
    CHECK_EQ(a.kind, NM_ACT_CLOSE);
    CHECK_EQ(closed_clean, 1);   /* its close message */
    teardown();
}

/* A deadline passed: counted, and the transport still says goodbye. */
TEST(session_on_a_timeout_closes_and_counts_it)
{
    REQUIRE(setup_fake(1) == 0);
    nm_session_on(conn, NM_ON_START);
    nm_action a = nm_session_on(conn, NM_ON_TIMEOUT);
    CHECK_EQ(a.kind, NM_ACT_CLOSE);   /* though the hello is owed still: a timeout ends it */
    CHECK_EQ(srv.own_counters.timeouts, 1);
    CHECK_EQ(closed_clean, 1);
    teardown();
}

/* On a level-triggered port, a read that took less than it asked for
 * emptied the socket: the next fill trusts the port and does not read (it
 * would only get EAGAIN), so bytes that arrive meanwhile wait for the fill
 * after it. Edge-triggered connections always read on. */
TEST(session_fill_after_a_short_read_waits_for_the_port)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hel") == 0);   /* edge-triggered: reads until EAGAIN */
    CHECK_EQ(nm_session_fill(conn), 1);
    CHECK_EQ(nm_session_fill(conn), 0);
    CHECK_EQ(conn->in_len, 8);
    conn->flags |= NM_CF_LEVEL;
    REQUIRE(send_str("lo HTTP/1.1\r\n") == 0);
    CHECK_EQ(nm_session_fill(conn), 1);
    CHECK_EQ(conn->in_len, 21);
    REQUIRE(send_str("Host: h\r\n") == 0);
    CHECK_EQ(nm_session_fill(conn), 0);   /* the port says when: no read */
    CHECK_EQ(conn->in_len, 21);
    CHECK(conn->in != 0);                 /* the partial request keeps its buffer */
    CHECK_EQ(nm_session_fill(conn), 1);   /* the port reported the bytes: read */
    CHECK_EQ(conn->in_len, 30);
    teardown();
}

TEST(session_holds_a_buffer_only_while_a_request_is_partial)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    srv.cfg.header_timeout_ms = 111;
    srv.cfg.idle_timeout_ms = 222;
    srv.cfg.write_timeout_ms = 333;
    CHECK(left_about(111));   /* a new connection owes its first head */
    CHECK_EQ(nm_session_drive(conn), NM_READ);   /* nothing there: no buffer kept */
    CHECK(conn->in == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHo") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(conn->in != 0);
    CHECK_EQ(conn->in_len, 23);
    CHECK_EQ(nm_buf_free(), bufs_at_start - 1);
    CHECK(left_about(111));
    CHECK(peer_gets(""));
    REQUIRE(send_str("st: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets(OK_HELLO));
    CHECK(conn->in == 0);
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    CHECK(left_about(222));
    teardown();
}

TEST(session_answers_pipelined_requests_in_order)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                     "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\ntwo"
                     "GET /three HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n/one"
                    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"
                    "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n/three"));
    CHECK_EQ(srv.own_counters.requests, 3);
    CHECK(conn->in == 0);
    teardown();
}

TEST(session_handler_failure_answers_500_and_closes)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /fail HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);   /* lingers: a request was left unread */
    CHECK(peer_gets(ERR_500));   /* and nothing for the request behind it */
    CHECK_EQ(srv.own_counters.errors, 1);
    CHECK_EQ(srv.own_counters.requests, 0);
    teardown();
}

TEST(session_failed_answer_leaves_the_one_before_it_intact)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /half HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(peer_gets(OK_HELLO ERR_500));
    teardown();
}

TEST(session_body_larger_than_the_output_queue_is_a_500)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /huge HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(peer_gets(ERR_500));
    CHECK_EQ(srv.own_counters.errors, 1);
    teardown();
}

TEST(session_response_api_order)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    late_header_rc = late_status_rc = early_status_rc = 0;
    REQUIRE(send_str("GET /headers HTTP/1.1\r\nHost: h\r\n\r\nGET /late HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nno"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    CHECK_EQ(early_status_rc, -1);
    CHECK_EQ(late_header_rc, -1);
    CHECK_EQ(late_status_rc, -1);
    teardown();
}

TEST(session_long_header_field)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /longfield HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    static char want[512];
    snprintf(want, sizeof(want), "HTTP/1.1 200 OK\r\nX-Long: %s\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nok", long_value);
    CHECK(peer_gets(want));
    teardown();
}

TEST(session_answer_without_a_body)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /nobody HTTP/1.1\r\nHost: h\r\n\r\nGET /headonly HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n"));
    CHECK_EQ(srv.own_counters.requests, 2);
    teardown();
}

TEST(session_no_response_splitting)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    split_rc = 0;
    REQUIRE(send_str("GET /split HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK_EQ(split_rc, -1);
    CHECK(peer_gets(ERR_500));
    teardown();

    REQUIRE(setup(&nm_proto_http) == 0);
    bad_name_rc = 0;
    REQUIRE(send_str("GET /badname HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK_EQ(bad_name_rc, -1);
    CHECK(peer_gets(ERR_500));
    teardown();
}

TEST(session_empty_header_name_is_refused)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    empty_name_rc = 0;
    REQUIRE(send_str("GET /emptyname HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    nm_session_drive(conn);
    CHECK_EQ(empty_name_rc, -1);
    CHECK(peer_gets(ERR_500));   /* not a ": v" line */
    teardown();
}

TEST(session_partial_writes_keep_order)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    for (size_t i = 0; i < BIG; i++) big[i] = (char)('a' + i % 26);
    int small = 4096;
    REQUIRE(setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
    srv.cfg.write_timeout_ms = 333;
    REQUIRE(send_str("GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    int want = nm_session_drive(conn);
    CHECK_EQ(want, NM_WRITE);
    CHECK(left_about(333));
    int rounds = 0;
    while (want == NM_WRITE && rounds < 100000) {
        drain_peer();
        want = nm_session_drive(conn);
        rounds++;
    }
    CHECK_EQ(want, NM_READ);
    CHECK(rounds > 1);   /* the socket really did push back */
    drain_peer();
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n";
    const size_t hn = sizeof(head) - 1, tail = sizeof(OK_HELLO) - 1;
    CHECK_EQ(got_len, hn + BIG + tail);
    REQUIRE(got_len == hn + BIG + tail);
    CHECK(!memcmp(got, head, hn));
    CHECK(!memcmp(got + hn, big, BIG));
    CHECK(!memcmp(got + hn + BIG, OK_HELLO, tail));
    CHECK(conn->in == 0);
    CHECK_EQ(conn->out_count, 0);
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    CHECK_EQ(srv.own_counters.requests, 2);
    teardown();
}

/* An answer behind a large one waits until the queue has drained to one
 * segment, so it finds the room any answer may count on. */
TEST(session_pipelined_answer_waits_for_queue_room)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    for (size_t i = 0; i < BIG; i++) big[i] = (char)('a' + i % 26);
    int small = 4096;
    REQUIRE(setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
    REQUIRE(send_str("GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /wide HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    int want = nm_session_drive(conn);
    CHECK_EQ(want, NM_WRITE);
    CHECK(conn->in != 0);   /* the second request waits in the input buffer */
    for (int rounds = 0; want == NM_WRITE && rounds < 100000; rounds++) {
        drain_peer();
        want = nm_session_drive(conn);
    }
    CHECK_EQ(want, NM_READ);
    drain_peer();
    char head[64];
    const size_t hn = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", WIDE);
    const size_t bn = sizeof("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n") - 1;
    CHECK_EQ(got_len, bn + BIG + hn + WIDE);
    REQUIRE(got_len == bn + BIG + hn + WIDE);
    CHECK(!memcmp(got + bn, big, BIG));
    CHECK(!memcmp(got + bn + BIG, head, hn));
    CHECK(!memcmp(got + bn + BIG + hn, big, WIDE));
    CHECK_EQ(srv.own_counters.errors, 0);
    teardown();
}

/* Blocking models answer through the steps and then block in a read, so
 * the buffer must already be back when the answer is queued. */
TEST(session_steps_return_the_input_buffer_with_the_answer)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_fill(conn), 1);
    CHECK_EQ(nm_buf_free(), bufs_at_start - 1);
    nm_request req;
    CHECK_EQ(nm_session_next(conn, &req), 1);
    CHECK_EQ(req.size, 32);
    nm_session_answer(conn, &req);
    CHECK(conn->in == 0);
    CHECK_EQ(conn->in_len, 0);
    CHECK_EQ(conn->out_count, 1);
    CHECK_EQ(nm_session_flush(conn), 1);
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    CHECK(peer_gets(OK_HELLO));
    CHECK_EQ(nm_session_fill(conn), 0);   /* nothing more: EAGAIN, no buffer kept */
    CHECK(conn->in == 0);
    teardown();
}

TEST(session_head_has_no_body)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
    teardown();
}

/* A streamed answer: its rules, the pieces as the producer makes them, a
 * length said first; without one, chunks on a connection that stays open
 * (the next request answered after), to the close for HTTP/1.0. */
TEST(session_streamed_answers)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nxxxxxxxxxx"));
    CHECK_EQ(stream_rc[0], -1);
    CHECK_EQ(stream_rc[1], 0);
    CHECK_EQ(stream_rc[2], -1);
    CHECK_EQ(stream_rc[3], -1);
    REQUIRE(send_str("GET /stream-unknown HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nxxx\r\n3\r\nxxx\r\n3\r\nxxx\r\n1\r\nx\r\n0\r\n\r\n" OK_HELLO));
    REQUIRE(send_str("GET /stream-unknown HTTP/1.0\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);   /* done: the close ends the body */
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nxxxxxxxxxx"));
    CHECK_EQ(srv.own_counters.requests, 4);
    teardown();
}

/* Bytes waiting in the kernel for the server's end to read. */
static int unread(void)
{
    int n = -1;
    ioctl(conn->fd, FIONREAD, &n);
    return n;
}

/* A body callback that pauses stops the reading: the connection asks to be
 * parked (NM_PARK: watched for nothing), the client's next bytes stay in the
 * kernel, and nm_body_resume lets the next piece in; a pause of the last
 * piece holds the end call (the answer) too. A resume that comes before the
 * pause it answers cancels it; one for no paused body, or a closed
 * connection's id, is refused. */
TEST(session_paused_body_reads_nothing_until_resumed)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    nm_conn_id id = nm_conn_id_of(conn);
    char head[128], rest[NM_BUF_SIZE];
    memset(rest, 'b', sizeof(rest));
    snprintf(head, sizeof(head), "POST /paused HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", NM_BUF_SIZE + 100);
    CHECK_EQ(nm_body_resume(&srv, id), -1);   /* no body streams yet */
    REQUIRE(send_str(head) == 0 && write(peer, rest, 100) == 100);
    CHECK_EQ(nm_session_drive(conn), NM_PARK);
    CHECK_EQ(paused_pieces, 1);
    CHECK_EQ(nm_session_next_io(conn), NM_IO_PARK);
    REQUIRE(write(peer, rest, NM_BUF_SIZE) == NM_BUF_SIZE);
    CHECK_EQ(nm_session_drive(conn), NM_PARK);   /* paused still: nothing read */
    CHECK_EQ(paused_pieces, 1);
    CHECK_EQ(unread(), NM_BUF_SIZE);
    CHECK_EQ(nm_body_resume(&srv, id + 1), -1);   /* another generation of the slot */
    CHECK_EQ(nm_body_resume(&srv, id), 0);
    CHECK_EQ(nm_session_drive(conn), NM_PARK);   /* the last piece, paused: its end waits */
    CHECK_EQ(paused_pieces, 2);
    CHECK_EQ(paused_bytes, NM_BUF_SIZE + 100);
    CHECK_EQ(unread(), 0);
    CHECK(peer_gets(""));
    CHECK_EQ(nm_body_resume(&srv, id), 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    char want[64];
    snprintf(want, sizeof(want), "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ngot %d", NM_BUF_SIZE + 100);
    CHECK(peer_gets(want));
    CHECK_EQ(nm_body_resume(&srv, id), -1);   /* the body is over */
    /* resumed before it paused: no pause at all */
    snprintf(head, sizeof(head), "POST /paused-fast HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", NM_BUF_SIZE + 100);
    REQUIRE(send_str(head) == 0 && write(peer, rest, 100) == 100);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    REQUIRE(write(peer, rest, NM_BUF_SIZE) == NM_BUF_SIZE);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK_EQ(paused_pieces, 2);
    CHECK(peer_gets(want));
    CHECK_EQ(srv.own_counters.requests, 2);
    teardown();
    CHECK_EQ(nm_body_resume(&srv, id), -1);   /* closed */
}

TEST(session_http10_connection_rules)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nHello"));
    REQUIRE(send_str("GET /hello HTTP/1.0\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nHello"));
    teardown();
}

TEST(session_refused_input_gets_status_and_close)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET / HTTP/1.1\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);   /* lingers, its input refused */
    CHECK(peer_gets("HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"));
    CHECK_EQ(srv.own_counters.errors, 1);
    CHECK_EQ(srv.own_counters.requests, 0);
    teardown();
}

/* An answer the library makes itself says why in its body. */
TEST(session_refusal_has_a_short_body)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);   /* lingers for the body */
    CHECK(peer_gets("HTTP/1.1 413 Content Too Large\r\nContent-Length: 18\r\nConnection: close\r\n\r\n"
                    "Content Too Large\n"));
    teardown();
}

#define TOO_LARGE "HTTP/1.1 413 Content Too Large\r\nContent-Length: 18\r\nConnection: close\r\n\r\nContent Too Large\n"

/* A body refused while the client still sends it: the close is a FIN, and
 * what comes after is read and dropped, so the client reads the whole
 * answer and the end, not a reset (a close with its bytes unread). Its
 * driver closes the connection once the session says 0. */
static void client_sends(size_t n)
{
    static char body[16384];
    memset(body, 'x', sizeof(body));
    CHECK_EQ(send(peer, body, n, MSG_NOSIGNAL | MSG_DONTWAIT), (ssize_t)n);
}

static int driven(void)
{
    int want = nm_session_drive(conn);
    if (!want) {
        nm_conn_close(conn);
        conn = 0;
    }
    return want;
}

TEST(session_refused_upload_gets_its_answer_and_a_fin_not_a_reset)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    srv.cfg.max_body = 1000;
    REQUIRE(send_str("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000000\r\n\r\n") == 0);
    client_sends(8192);
    CHECK_EQ(driven(), NM_READ);   /* answered, lingering */
    client_sends(16384);           /* still sending */
    if (conn) CHECK_EQ(driven(), NM_READ);
    got_len = 0;
    ssize_t n;
    while ((n = read(peer, got + got_len, sizeof(got) - got_len)) > 0) got_len += (size_t)n;
    if (n < 0) perror("  the client's read");
    CHECK_EQ(n, 0);   /* the server's FIN: no ECONNRESET */
    CHECK(got_len == strlen(TOO_LARGE) && !memcmp(got, TOO_LARGE, got_len));
    CHECK_EQ(srv.own_counters.lingered, 1);
    if (conn) CHECK(conn->in == 0);   /* a lingering connection holds no buffer */
    REQUIRE(shutdown(peer, SHUT_WR) == 0);   /* the client's end ends it */
    if (conn) CHECK_EQ(driven(), 0);
    CHECK(conn == 0);
    teardown();

    /* one that goes quiet: its step's deadline closes it, not counted a timeout */
    REQUIRE(setup(&nm_proto_http) == 0);
    srv.cfg.max_body = 1000;
    REQUIRE(send_str("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000000\r\n\r\n") == 0);
    client_sends(4096);
    nm_action a = nm_session_on(conn, NM_ON_READY);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ);
    CHECK(a.deadline <= NM_LINGER_MS / 4 && a.deadline + 50 > NM_LINGER_MS / 4);
    CHECK_EQ(nm_session_on(conn, NM_ON_TIMEOUT).kind, NM_ACT_CLOSE);
    CHECK_EQ(srv.own_counters.timeouts, 0);
    CHECK(peer_gets(TOO_LARGE));
    teardown();

    /* a request read whole with Connection: close closes at once */
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("POST /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK_EQ(srv.own_counters.lingered, 0);
    teardown();
}

TEST(session_stop_closes_after_the_answer)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    srv.stopping = 1;
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nHello"));
    teardown();
}

TEST(session_peer_eof_ends_it)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(shutdown(peer, SHUT_WR) == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(conn->flags & NM_CF_READ_EOF);
    teardown();

    /* a request then a half-close: still answered */
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    REQUIRE(shutdown(peer, SHUT_WR) == 0);
    CHECK_EQ(nm_session_drive(conn), 0);
    CHECK(peer_gets(OK_HELLO));
    teardown();
}

TEST(session_close_returns_the_slot)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    int fd = conn->fd;
    CHECK_EQ(srv.own_counters.active, 1);
    CHECK_EQ(nm_conn_free(), conns_at_start - 1);
    CHECK(nm_conn_of_fd(fd) == conn);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHo") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);   /* holds a buffer now */
    nm_conn_close(conn);
    conn = 0;
    CHECK_EQ(srv.own_counters.active, 0);
    CHECK(nm_conn_of_fd(fd) == 0);
    CHECK_EQ(nm_conn_free(), conns_at_start);
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    char ch;
    CHECK_EQ(read(peer, &ch, 1), 0);   /* the peer sees the close */
    teardown();
}

/* Out of buffers, a non-blocking connection is not refused: the session
 * says NM_QUEUE (its loop holds it) and reads nothing, so the request waits
 * in the kernel; once a buffer is free the same drive answers it. */
TEST(session_out_of_buffers_waits_with_its_bytes_in_the_kernel)
{
    static nm_buf *taken[NM_BUF_COUNT];
    REQUIRE(setup(&nm_proto_http) == 0);
    unsigned n = 0;
    while (n < NM_BUF_COUNT && (taken[n] = nm_buf_get()) != 0) n++;
    CHECK_EQ(nm_buf_free(), 0);
    const char *get = "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n";
    REQUIRE(send_str(get) == 0);
    CHECK_EQ(nm_session_drive(conn), NM_QUEUE);
    CHECK_EQ(conn->queued, NM_Q_WANT);
    CHECK_EQ(unread(), (int)strlen(get));
    CHECK(peer_gets(""));
    CHECK_EQ(srv.own_counters.refused, 0);
    while (n > NM_BUF_COUNT - NM_BUF_ANSWER_RESERVE) nm_buf_put(taken[--n]);
    CHECK_EQ(nm_session_drive(conn), NM_QUEUE);   /* the answers' reserve is not for new requests */
    nm_buf_put(taken[--n]);
    conn->queued = NM_Q_NONE;   /* (its loop's retry does this) */
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello"));
    CHECK_EQ(srv.own_counters.requests, 1);
    CHECK_EQ(srv.own_counters.refused, 0);
    while (n) nm_buf_put(taken[--n]);
    teardown();
}

/* A request read whole while no buffer is left for its answer (the pool
 * shared with others that hold theirs): it waits in its loop's queue, its
 * request in its buffer, and is answered once a buffer frees; neither
 * dropped unanswered nor refused. The same after a half-close. */
TEST(session_answer_waits_for_a_buffer)
{
    static nm_buf *taken[NM_BUF_COUNT];
    for (int half_closed = 0; half_closed < 2; half_closed++) {
        REQUIRE(setup(&nm_proto_http) == 0);
        REQUIRE(send_str("GET /hello HTTP/1.1\r\nHo") == 0);
        CHECK_EQ(nm_session_drive(conn), NM_READ);   /* holds its input buffer now */
        unsigned n = 0;
        while (n < NM_BUF_COUNT && (taken[n] = nm_buf_get()) != 0) n++;
        REQUIRE(send_str("st: h\r\n\r\n") == 0);
        if (half_closed) REQUIRE(shutdown(peer, SHUT_WR) == 0);
        CHECK_EQ(nm_session_drive(conn), NM_QUEUE);
        CHECK_EQ(conn->queued, NM_Q_WANT);
        CHECK(peer_gets(""));
        CHECK_EQ(nm_session_drive(conn), NM_QUEUE);   /* still none: waits on */
        nm_buf_put(taken[--n]);
        conn->queued = NM_Q_NONE;   /* (its loop's retry does this) */
        /* answered; then what comes next waits for a buffer, the reserve being the answers' */
        CHECK_EQ(nm_session_drive(conn), NM_QUEUE);
        CHECK(peer_gets(OK_HELLO));
        CHECK_EQ(srv.own_counters.requests, 1);
        CHECK_EQ(srv.own_counters.refused, 0);
        CHECK_EQ(srv.own_counters.errors, 0);
        while (n) nm_buf_put(taken[--n]);
        conn->queued = NM_Q_NONE;
        CHECK_EQ(nm_session_drive(conn), half_closed ? 0 : NM_READ);
        teardown();
    }
}

/* A server that hands its requests off: a whole request buffered is
 * NM_ACT_HANDOFF, with its answer's buffer taken; when no thread took it
 * (a full queue) it is asked again later: the same buffer serves, and no
 * empty answer is left to send. The thread it went to runs the handler
 * (the handle op); back home, NM_ON_RETURNED writes the answer and waits
 * to read. Without nm_session_handoff the same request is answered at once. */
TEST(session_hands_off_a_whole_request)
{
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    nm_session_handoff(&srv);
    CHECK_EQ(srv.drive->on(conn, NM_ON_READY).kind, NM_ACT_HANDOFF);
    CHECK_EQ(conn->out_count, 1);   /* its answer's buffer, empty */
    CHECK_EQ(nm_buf_free(), bufs_at_start - 2);
    CHECK_EQ(srv.drive->on(conn, NM_ON_READY).kind, NM_ACT_HANDOFF);   /* nobody took it: asked again */
    CHECK_EQ(nm_buf_free(), bufs_at_start - 2);
    CHECK_EQ(srv.own_counters.requests, 0);
    srv.drive->handle(conn);   /* the thread it was handed to */
    CHECK_EQ(srv.own_counters.requests, 1);
    nm_action a = srv.drive->on(conn, NM_ON_RETURNED);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(a.io, NM_READ);
    CHECK(peer_gets(OK_HELLO));
    CHECK_EQ(nm_buf_free(), bufs_at_start);
    /* a refusal is no hand-off: written, then the close lingers */
    REQUIRE(send_str("BAD\r\n\r\n") == 0);
    a = srv.drive->on(conn, NM_ON_READY);
    CHECK_EQ(a.kind, NM_ACT_WAIT);
    CHECK_EQ(conn->read_phase, NM_RP_LINGER);
    CHECK(peer_gets("HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"));
    teardown();
    REQUIRE(setup(&nm_proto_http) == 0);
    REQUIRE(send_str("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK_EQ(srv.drive->on(conn, NM_ON_READY).kind, NM_ACT_WAIT);
    CHECK(peer_gets(OK_HELLO));
    teardown();
}

/* A large body is received NM_BODY_READ_BUFS buffers a call (readv), the
 * buffers beyond the connection's own taken only while the pool has them
 * past the answers' reserve: a body sent whole by length, chunked with a
 * request pipelined behind it, and paused after every piece (the bytes
 * read ahead wait with it, nothing more is read). Each arrives whole and in
 * order, and every buffer comes back. */
static char upload[24 * NM_BUF_SIZE + 7];

/* The answer "got N SUM" to a body of upload[0, n). */
static void taken_answer(char *want, size_t size, size_t n)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++) sum += (i + 1) * (unsigned char)upload[i];
    char text[64];
    int k = snprintf(text, sizeof(text), "got %zu %llx", n, sum);
    snprintf(want, size, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", k, text);
}

/* Send the head and upload[0, n) by length, then drive it to its answer:
 * the receive calls the body took. */
static unsigned long body_by_length(size_t n)
{
    char head[128], want[160];
    snprintf(head, sizeof(head), "POST /taken HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", n);
    unsigned long before = srv.own_counters.body_reads;
    int sent = send_str(head) == 0 && write(peer, upload, n) == (ssize_t)n;   /* the whole body in the kernel */
    CHECK(sent);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    taken_answer(want, sizeof(want), n);
    CHECK(peer_gets(want));
    return srv.own_counters.body_reads - before;
}

TEST(session_large_body_takes_several_buffers_a_receive)
{
    for (size_t i = 0; i < sizeof(upload); i++) upload[i] = (char)(i * 7 + (i >> 11));
    REQUIRE(setup(&nm_proto_http) == 0);
    size_t n = sizeof(upload);
    /* The head's buffer holds the body's first bytes; the rest, n - NM_BUF_SIZE
     * and a little, comes NM_BODY_READ_BUFS buffers a call. */
    unsigned long most = (n - NM_BUF_SIZE) / (NM_BODY_READ_BUFS * NM_BUF_SIZE) + 2;
    unsigned long reads = body_by_length(n);
    if (reads > most) fprintf(stderr, "  %zu bytes in %lu receives, at most %lu expected\n", n, reads, most);
    CHECK(reads <= most);
    CHECK_EQ(nm_buf_free(), bufs_at_start);   /* between requests: no buffer held */

    /* Only the answers' reserve left beyond the connection's buffer: a buffer a call. */
    static nm_buf *taken[NM_BUF_COUNT];
    unsigned k = 0;
    while (nm_buf_free() > NM_BUF_ANSWER_RESERVE + 1) taken[k++] = nm_buf_get();
    reads = body_by_length(n);
    CHECK(reads >= (n - NM_BUF_SIZE) / NM_BUF_SIZE);
    CHECK_EQ(nm_buf_free(), NM_BUF_ANSWER_RESERVE + 1);
    while (k) nm_buf_put(taken[--k]);

    /* Chunked, chunks across the buffers' edges, a GET pipelined behind it. */
    static char wire[sizeof(upload) + 4096];
    size_t w = (size_t)snprintf(wire, 128, "POST /taken HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    const size_t sizes[] = { 1, 1000, 4093, 5000, 9000, 300 };
    w += tc_chunked(wire + w, upload, n, sizes, 6, 1);
    w += (size_t)snprintf(wire + w, 128, "0\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(write(peer, wire, w) == (ssize_t)w);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    char want[256];
    taken_answer(want, sizeof(want), n);
    strcat(want, OK_HELLO);
    CHECK(peer_gets(want));

    /* Paused after every piece: a buffer read ahead waits with the body. */
    char head[128];
    snprintf(head, sizeof(head), "POST /paused HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", n);
    REQUIRE(send_str(head) == 0 && write(peer, upload, n) == (ssize_t)n);
    nm_conn_id id = nm_conn_id_of(conn);
    int rc, rounds = 0;
    while ((rc = nm_session_drive(conn)) == NM_PARK && rounds++ < 100) {
        CHECK(nm_buf_free() + 1 + NM_BODY_READ_BUFS >= bufs_at_start);   /* its own and those read ahead */
        CHECK_EQ(nm_body_resume(&srv, id), 0);
    }
    CHECK_EQ(rc, NM_READ);
    CHECK_EQ(paused_bytes, n);
    char text[32];
    snprintf(want, sizeof(want), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s",
             snprintf(text, sizeof(text), "got %zu", n), text);
    CHECK(peer_gets(want));
    CHECK_EQ(srv.own_counters.requests, 5);
    teardown();
}

TEST(session_echo_protocol)
{
    REQUIRE(setup(&nm_proto_echo) == 0);
    REQUIRE(send_str("hello echo") == 0);
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("hello echo"));
    REQUIRE(send_str("GET / HTTP/1.1\r\n\r\n") == 0);   /* no framing: just bytes */
    CHECK_EQ(nm_session_drive(conn), NM_READ);
    CHECK(peer_gets("GET / HTTP/1.1\r\n\r\n"));
    CHECK(conn->in == 0);
    teardown();
}

/* Two servers through the public API, each on a thread of its own. */
struct running {
    pthread_t thread;
    nm_server *srv;   /* valid while `done` is 0; both shared: atomic */
    int done;
    int rc;
};

static void on_ready(const nm_server *s, int port, void *user)
{
    (void)port;
    __atomic_store_n(&((running *)user)->srv, (nm_server *)s, __ATOMIC_RELEASE);
}

static void *serve(void *arg)
{
    running *r = (running *)arg;
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = on_ready;
    cfg.user = r;
    nm_handler h = { handler, 0 };
    r->rc = nm_run("reactor", &cfg, &h);
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return 0;
}

static int start_server(running *r)
{
    memset(r, 0, sizeof(*r));
    if (pthread_create(&r->thread, 0, serve, r)) return -1;
    for (int i = 0; i < 300 && !__atomic_load_n(&r->srv, __ATOMIC_ACQUIRE) && !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    return __atomic_load_n(&r->srv, __ATOMIC_ACQUIRE) ? 0 : -1;
}

static void stop_server(running *r)
{
    if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && r->srv) nm_server_stop(r->srv);
    pthread_join(r->thread, 0);
}

TEST(stop_of_all_is_not_undone_by_a_server_starting)
{
    running a, b;
    REQUIRE(start_server(&a) == 0);
    nm_server_stop(0);
    if (start_server(&b)) {
        stop_server(&a);
        REQUIRE(0);
    }
    /* a's loop looks at the stop at least every 500 ms */
    for (int i = 0; i < 150 && !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE); i++) usleep(10000);
    CHECK(a.done);
    stop_server(&a);
    stop_server(&b);
    CHECK_EQ(a.rc, NM_OK);
    CHECK_EQ(b.rc, NM_OK);
}
