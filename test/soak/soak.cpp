/* soak - hostile and good clients at once against one model.
 *
 *   soak NMSERVE MODEL [nmserve options...]      (NM_SOAK_SECONDS, default 2)
 *
 * For the soak time, good clients check every byte of every answer (hello,
 * echo of random bodies, the 1 MiB body) while others trickle a header or a
 * body a byte at a time, send malformed and smuggling requests, reset in the
 * middle of an answer, half-close, never read a large answer, and flood the
 * server past its connection cap (--max-conns FLOOD_CAP, or the slots of a
 * smaller build, read from /stats of a server started without a cap).
 * Passes when every good request got its exact answer, each hostile client
 * was answered with a refusal or cut by a timeout, and afterwards /stats
 * shows no connection open and the pools as full as before. A second test runs the server out of descriptors and checks
 * that it does not spin and serves again once they are back. */
#include "../check.h"
#include "../client.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#define BIG_SIZE (1024 * 1024)
#define TIMEOUT_MS 500          /* header, body and write timeouts of the server under test */
#define FLOOD_CAP 40            /* --max-conns of the server under test, or its build's slots when fewer */
#define FLOOD_EXTRA 16
#define NM_GARBAGE_MAX 3000       /* random bytes sent at most, below one buffer */

static const char *nmserve, *model;
static const char *extra_args[24];
static int extra_n;
static int soak_ms = 2000;
static int serial;              /* the model serves one connection at a time */
static int flood_cap;           /* the cap the flood meets: FLOOD_CAP, or fewer (probe_cap) */

/* cap: --max-conns, or 0 for none (the build's slots are the cap). */
static int start_capped(tc_server *s, const char *wrapper, int cap_n)
{
    static char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", TIMEOUT_MS);
    static char cap[16];
    snprintf(cap, sizeof(cap), "%d", cap_n);
    const char *args[48];
    int n = 0;
    if (wrapper) {   /* sh -c 'ulimit ...; exec "$0" "$@"' NMSERVE ... */
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = wrapper;
    }
    const char *base[] = { nmserve, "--model", model, "--port", "0", "--header-timeout", timeout,
                           "--body-timeout", timeout, "--write-timeout", timeout, "--idle-timeout", "3000",
                           "--max-conns", cap };
    unsigned n_base = sizeof(base) / sizeof(base[0]) - (cap_n > 0 ? 0 : 2);
    for (unsigned i = 0; i < n_base; i++) args[n++] = base[i];
    for (int i = 0; i < extra_n; i++) args[n++] = extra_args[i];
    args[n] = 0;
    return tc_server_start(s, args);
}

static int start(tc_server *s, const char *wrapper) { return start_capped(s, wrapper, flood_cap); }

/* The slots of the build under test, as /stats counts them free at rest: a
 * build with fewer than FLOOD_CAP (NM_MAX_CONNS of a small board) is
 * flooded past its own cap. 0, or -1 when the server does not say. */
static int probe_cap(void)
{
    tc_server s;
    tc_stats st;
    if (start_capped(&s, 0, 0)) return -1;
    int rc = tc_wait_idle(s.port, 5000, &st);
    if (tc_server_stop(&s, 10000) || rc || st.free_slots <= 0) return -1;
    flood_cap = st.free_slots < FLOOD_CAP ? (int)st.free_slots : FLOOD_CAP;
    printf("  --max-conns %d (free slots at rest: %ld)\n", flood_cap, st.free_slots);
    return 0;
}

static int raw_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the actors ---------------------------------------------------------- */

struct actor {
    pthread_t th;
    int port;
    long deadline;
    unsigned seed;
    long done, bad, admission_refused;   /* bad: a wrong answer or behaviour */
    long given_up;                       /* a kept connection closed idle by a blocking worker */
    char why[160];
    tc_conn conn;
    char body[BIG_SIZE + 1];
};

static void fault(actor *a, const char *what, long detail)
{
    if (!a->bad++) snprintf(a->why, sizeof(a->why), "%s (%ld)", what, detail);
}

static unsigned next_rand(actor *a)
{
    a->seed = a->seed * 1103515245u + 12345u;
    return (a->seed >> 16) & 0x7fff;
}

/* Has the server closed fd (its FIN, or a reset, is waiting)? */
static int peer_closed(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char b;
    return poll(&p, 1, 0) > 0 && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* A kept connection that a blocking worker others wait for gave up as
 * its slice ended (yield_slice_ms): closed, with no byte of an answer to
 * what was sent on it (`sent`: a request went out). An HTTP client sees
 * the close before it reuses the connection, or, if its request crossed
 * the close, gets no byte back and sends it again on a new connection; so
 * do these clients, and count it. Never for a model that serves many
 * connections at once, nor on a connection's first request. */
static int given_up(const tc_conn *c, int first, int sent)
{
    return serial && !first && (!sent || c->len == 0) && peer_closed(c->fd);
}

/* One request of a random kind on c; 1 answered exactly, 2 answered with
 * Connection: close when more were to come (a blocking worker giving its
 * connection up to clients that wait: the client reconnects, as HTTP
 * clients do), 3 the kept connection was given up (given_up: the client
 * connects again), 0 refused at admission (a 503 before anything was
 * answered), -1 wrong. */
static int good_request(actor *a, tc_conn *c, int first, int last)
{
    char req[2048 + 256], sent[2048];
    unsigned kind = next_rand(a) % 10;
    const char *conn_hdr = last ? "Connection: close\r\n" : "";
    size_t len = 0, sent_n = 0;
    if (kind < 5) {
        len = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: g\r\n%s\r\n", conn_hdr);
    } else if (kind < 9) {
        sent_n = 1 + next_rand(a) % 1500;
        for (size_t i = 0; i < sent_n; i++) sent[i] = (char)(' ' + next_rand(a) % 95);
        len = (size_t)snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: %zu\r\n%s\r\n",
                               sent_n, conn_hdr);
        memcpy(req + len, sent, sent_n);
        len += sent_n;
    } else {
        len = (size_t)snprintf(req, sizeof(req), "GET /big HTTP/1.1\r\nHost: g\r\n%s\r\n", conn_hdr);
    }
    tc_response r;
    if (given_up(c, first, 0)) return 3;
    if (tc_send(c, req, len) || tc_read_response(c, &r, a->body, BIG_SIZE)) {
        if (given_up(c, first, 1)) return 3;
        fault(a, "no answer to a good request, kind", (long)kind);
        return -1;
    }
    if (first && r.status == 503 && r.closes) return 0;
    if (r.status != 200) {
        fault(a, "status of a good request", r.status);
        return -1;
    }
    int ok;
    if (kind < 5) ok = r.body_len == 13 && !memcmp(a->body, "Hello, World!", 13);
    else if (kind < 9) ok = r.body_len == sent_n && !memcmp(a->body, sent, sent_n);
    else {
        ok = r.body_len == BIG_SIZE;
        for (long i = 0; ok && i < BIG_SIZE; i++) ok = a->body[i] == (char)('a' + i % 26);
    }
    if (!ok) fault(a, "body of a good request differs, kind", (long)kind);
    if ((last || r.closes) && !tc_wait_eof(c, 5000)) fault(a, "no close after Connection: close", 0);
    return ok ? (r.closes && !last ? 2 : 1) : -1;
}

static void *good_client(void *arg)
{
    actor *a = (actor *)arg;
    while (tc_now_ms() < a->deadline) {
        if (tc_connect(&a->conn, a->port)) {
            fault(a, "connect", errno);
            tc_sleep_ms(50);
            continue;
        }
        for (int k = 0; k < 5; k++) {
            int r = good_request(a, &a->conn, k == 0, k == 4);
            if (r == 0) {
                a->admission_refused++;
                tc_sleep_ms(20);
            }
            if (r <= 0) break;
            if (r == 3) {   /* closed idle by its blocking worker: a new connection */
                a->given_up++;
                break;
            }
            a->done++;
            if (r == 2) break;   /* told to close: a new connection for the rest */
        }
        tc_close(&a->conn);
    }
    return 0;
}

/* Sends a request a byte every 100 ms (its head, or its body after a whole
 * head) until the server cuts it; no answer but a refusal is acceptable. */
static void trickle(actor *a, int in_body)
{
    int fd = raw_connect(a->port, 0);
    if (fd < 0) {
        fault(a, "connect", errno);
        return;
    }
    const char *head = in_body ? "POST /echo HTTP/1.1\r\nHost: s\r\nContent-Length: 900\r\n\r\n"
                               : "GET / HTTP/1.1\r\nHost: s\r\n";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    /* Bounded far above the server's timeout, so only a deadline that moves
     * with each byte keeps it open this long. */
    long limit = tc_now_ms() + 20 * TIMEOUT_MS + 8000;
    int cut = 0;
    while (!cut && tc_now_ms() < limit) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 100) > 0) {
            char buf[256];
            ssize_t n = recv(fd, buf, sizeof(buf), 0);
            if (n > 0 && strncmp(buf, "HTTP/1.1 503", 12) && strncmp(buf, "HTTP/1.1 408", 12))
                fault(a, "a trickling client got an answer", in_body);
            if (n <= 0) cut = 1;
            continue;
        }
        if (send(fd, in_body ? "b" : "X", 1, MSG_NOSIGNAL) < 0) cut = 1;
    }
    if (!cut) fault(a, "a trickling client was never cut, in body", in_body);
    close(fd);
}

static void *slowloris(void *arg)
{
    actor *a = (actor *)arg;
    for (int i = 0; tc_now_ms() < a->deadline; i++, a->done++) trickle(a, i % 2);
    return 0;
}

static const char *const malformed[] = {
    "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
    "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n",
    "GET / HTTP/1.1\nHost: t\n\n",
    "GET / HTTP/1.1\r\nHost : t\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01" "b\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 12a\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET\x7f / HTTP/1.1\r\nHost: t\r\n\r\n",
    "GET / HTTP/3.0\r\nHost: t\r\n\r\n",
};

/* Garbage and smuggling attempts: each gets a 4xx/5xx and a close (or a 503
 * at admission); the handler never answers 200 to one. */
static void *garbage(void *arg)
{
    actor *a = (actor *)arg;
    static char junk[NM_GARBAGE_MAX + 8];
    for (unsigned i = 0; tc_now_ms() < a->deadline; i++, a->done++) {
        tc_conn *c = &a->conn;
        if (tc_connect(c, a->port)) {
            fault(a, "connect", errno);
            continue;
        }
        unsigned n_mal = sizeof(malformed) / sizeof(malformed[0]);
        int rc;
        if (i % 4 == 3) {   /* random bytes: a request line cannot come of them */
            size_t n = 1 + next_rand(a) % NM_GARBAGE_MAX;
            for (size_t k = 0; k < n; k++) junk[k] = (char)(next_rand(a) & 0xff);
            junk[0] = '\x01';
            memcpy(junk + n, "\r\n\r\n", 4);
            rc = tc_send(c, junk, n + 4);
        } else if (i % 4 == 2) {   /* more headers than kept */
            char many[4096];
            size_t n = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\nHost: t\r\n");
            for (int h = 0; h < 40; h++) n += (size_t)snprintf(many + n, sizeof(many) - n, "X-%d: v\r\n", h);
            n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n");
            rc = tc_send(c, many, n);
        } else {
            rc = tc_send_str(c, malformed[(i / 4 * 2 + i % 4) % n_mal]);
        }
        tc_response r;
        char body[64];
        if (rc == 0 && tc_read_response(c, &r, body, sizeof(body)) == 0) {
            if (r.status < 400 || !r.closes) fault(a, "malformed input got status", r.status);
            else if (!tc_wait_eof(c, 5000)) fault(a, "no close after a refusal", r.status);
        }
        /* no answer at all: only when the peer was reset as the server closed early */
        tc_close(c);
    }
    return 0;
}

/* A connection with a small receive buffer that asked for the big body
 * `times` times; -1 (counted) when it could not connect. */
static int ask_big(actor *a, int times)
{
    int fd = raw_connect(a->port, 4096);
    if (fd < 0) {
        fault(a, "connect", errno);
        return -1;
    }
    const char *req = "GET /big HTTP/1.1\r\nHost: b\r\n\r\n";
    for (int i = 0; i < times; i++) send(fd, req, strlen(req), MSG_NOSIGNAL);
    return fd;
}

/* Asks for the big body, reads a little of it, and resets the connection. */
static void *resetter(void *arg)
{
    actor *a = (actor *)arg;
    while (tc_now_ms() < a->deadline) {
        int fd = ask_big(a, 1);
        if (fd < 0) continue;
        char buf[8192];
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 5000) > 0) (void)!recv(fd, buf, sizeof(buf), 0);
        struct linger lg = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
        a->done++;
    }
    return 0;
}

/* Sends a request and its end of stream at once: the answer must still come
 * whole, followed by the server's close. */
static void *half_closer(void *arg)
{
    actor *a = (actor *)arg;
    while (tc_now_ms() < a->deadline) {
        tc_conn *c = &a->conn;
        if (tc_connect(c, a->port)) {
            fault(a, "connect", errno);
            continue;
        }
        tc_send_str(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        shutdown(c->fd, SHUT_WR);
        tc_response r;
        char body[64];
        if (tc_read_response(c, &r, body, sizeof(body))) fault(a, "no answer after a half-close", 0);
        else if (r.status == 503) a->admission_refused++;
        else if (r.status != 200 || r.body_len != 13 || memcmp(body, "Hello, World!", 13))
            fault(a, "half-closed answer status", r.status);
        else if (!tc_wait_eof(c, 5000)) fault(a, "no close after a half-close", 0);
        else a->done++;
        tc_close(c);
    }
    return 0;
}

/* Asks for 8 MiB and reads none of it: the server's write stalls and the
 * write timeout must end the connection (it gets less than all, then EOF). */
static void *never_reader(void *arg)
{
    actor *a = (actor *)arg;
    while (tc_now_ms() < a->deadline) {
        int fd = ask_big(a, 8);
        if (fd < 0) continue;
        /* Wait until nothing more arrives for a while: the kernel takes a
         * trickle long after the reader stops, and a write deadline is moved
         * by any progress. Then the server's write has stalled. */
        int queued = -1, still_since = 0;
        long t_first = tc_now_ms();
        for (long until = tc_now_ms() + 20000; tc_now_ms() < until; tc_sleep_ms(50)) {
            int q = 0;
            ioctl(fd, FIONREAD, &q);
            if (q != queued || q == 0) {
                queued = q;
                still_since = 0;
            } else if ((still_since += 50) >= 3 * TIMEOUT_MS) {
                break;
            }
        }
        t_first = tc_now_ms() - t_first;
        /* now drain: a server still writing would send all 8 MiB and keep
         * the connection open; a cut one ends the stream early */
        long got = 0, limit = tc_now_ms() + 15000;
        static char sink[65536];
        int ended = 0;
        while (!ended && tc_now_ms() < limit) {
            struct pollfd p = { fd, POLLIN, 0 };
            if (poll(&p, 1, 2000) <= 0) break;
            ssize_t n = recv(fd, sink, sizeof(sink), 0);
            if (n <= 0) ended = 1;
            else got += n;
        }
        if (!ended || got >= 8L * BIG_SIZE) fault(a, "a peer that never reads was not cut, bytes", got);
        printf("  never-reader: stalled after %ld ms, %ld bytes, ended %d\n", t_first, got, ended);
        close(fd);
        a->done++;
    }
    return 0;
}

/* Opens more connections than the server's cap at once while a keep-alive
 * client that was there first goes on being served. */
static void *flooder(void *arg)
{
    actor *a = (actor *)arg;
    while (tc_now_ms() < a->deadline) {
        tc_conn *keep = &a->conn;
        int have_keep = !tc_connect(keep, a->port);
        if (have_keep) {   /* admitted and answered before the flood */
            tc_send_str(keep, "GET / HTTP/1.1\r\nHost: k\r\n\r\n");
            tc_response r;
            char body[64];
            if (tc_read_response(keep, &r, body, sizeof(body)) || r.status != 200) have_keep = 0;
            else if (r.closes) {   /* answered, and told to go (a blocking worker others wait for) */
                tc_close(keep);
                have_keep = 0;
            }
        }
        enum { N_MAX = FLOOD_CAP + FLOOD_EXTRA };
        int fds[N_MAX], N = flood_cap + FLOOD_EXTRA;
        for (int i = 0; i < N; i++) fds[i] = raw_connect(a->port, 0);
        for (int round = 0; have_keep && round < 5; round++) {
            tc_response r;
            char body[64];
            if (given_up(keep, 0, 0)) {
                a->given_up++;
                break;
            }
            int sent = !tc_send_str(keep, "GET / HTTP/1.1\r\nHost: k\r\n\r\n");
            int read = sent && !tc_read_response(keep, &r, body, sizeof(body));
            if (!read && given_up(keep, 0, sent)) {
                a->given_up++;
                break;
            }
            if (!read || r.status != 200 || memcmp(body, "Hello, World!", 13))
                fault(a, "an admitted client was disturbed by the flood, round", round);
            else if (r.closes)   /* answered, and told to go: its blocking worker is wanted by the flood */
                break;
            tc_sleep_ms(50);
        }
        if (have_keep) tc_close(keep);
        for (int i = 0; i < N; i++) {
            if (fds[i] < 0) continue;
            char buf[256];
            struct pollfd p = { fds[i], POLLIN, 0 };
            if (poll(&p, 1, 0) > 0) {
                ssize_t n = recv(fds[i], buf, sizeof(buf) - 1, 0);
                if (n > 0) {
                    buf[n] = 0;
                    if (!strncmp(buf, "HTTP/1.1 503", 12)) a->admission_refused++;
                    else fault(a, "a flooding client got something other than 503", 0);
                }
            }
            close(fds[i]);
        }
        a->done++;
        tc_sleep_ms(100);
    }
    return 0;
}

/* ---- the tests ----------------------------------------------------------- */

static actor actors[8];

/* Does the server answer a second client while a first one holds it? */
/* Blocking models (run.sh and soak.sh say so) hold a thread or process per
 * client and leave the rest waiting in the listen backlog: a flood is queued
 * rather than refused, and they do not accept past what they can serve. */
static int queues_in_backlog(void)
{
    const char *q = getenv("NM_SOAK_BLOCKING");
    return q && *q == '1';
}

static int serves_one_at_a_time(int port)
{
    tc_conn a, b;
    if (tc_connect(&a, port) || tc_connect(&b, port)) return 0;
    tc_send_str(&a, "GET / HTTP/1.1\r\n");
    tc_send_str(&b, "GET / HTTP/1.1\r\nHost: b\r\n\r\n");
    char got[32];
    int waits = tc_read_some(&b, got, sizeof(got), TIMEOUT_MS / 2) == 0;   /* a is not cut yet */
    tc_close(&a);
    tc_close(&b);
    return waits;
}

TEST(soak_mixed_clients)
{
    tc_server s;
    REQUIRE(start(&s, 0) == 0);
    tc_stats before, after;
    REQUIRE(tc_wait_idle(s.port, 5000, &before) == 0);
    serial = serves_one_at_a_time(s.port) || queues_in_backlog();
    REQUIRE(tc_wait_idle(s.port, 10000, &before) == 0);
    void *(*const roles[])(void *) = { good_client, good_client, slowloris, garbage,
                                       resetter,    half_closer, never_reader, flooder };
    const char *names[] = { "good", "good", "slowloris", "garbage", "resetter", "half-closer", "never-reader",
                            "flooder" };
    int n = (int)(sizeof(roles) / sizeof(roles[0]));
    long deadline = tc_now_ms() + soak_ms;
    for (int i = 0; i < n; i++) {
        actor *a = &actors[i];
        a->port = s.port;
        a->deadline = deadline;
        a->seed = 17u + (unsigned)i * 7919u;
        a->done = a->bad = a->admission_refused = a->given_up = 0;
        a->why[0] = 0;
        a->conn.fd = -1;
        REQUIRE(pthread_create(&a->th, 0, roles[i], a) == 0);
    }
    long refused_seen = 0, good_done = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(actors[i].th, 0);
        printf("  %-12s %5ld done %4ld refused %ld given up %ld bad %s\n", names[i], actors[i].done,
               actors[i].admission_refused, actors[i].given_up, actors[i].bad, actors[i].why);
        if (actors[i].bad) fprintf(stderr, "  %s: %s\n", names[i], actors[i].why);
        CHECK_EQ(actors[i].bad, 0);
        CHECK(actors[i].done > 0);
        refused_seen += actors[i].admission_refused;
        if (roles[i] == good_client) good_done += actors[i].done;
    }
    CHECK(good_done > 0);
    CHECK(tc_wait_idle(s.port, 15000, &after) == 0);
    printf("  stats: requests %ld refused %ld errors %ld timeouts %ld (one at a time: %d)\n", after.requests,
           after.refused, after.errors, after.timeouts, serial);
    CHECK_EQ(after.active, 0);
    /* Nothing leaked: at least as much free as before. (More is the
     * previous /stats connection of the idle wait, still closing then.) */
    CHECK(after.free_slots >= before.free_slots);
    CHECK(after.free_buffers >= before.free_buffers);
    CHECK(after.refused >= refused_seen);
    CHECK(after.errors > before.errors);          /* the malformed input */
    CHECK(after.timeouts > before.timeouts);      /* the trickling and the never-reading */
    if (!serial) CHECK(refused_seen > 0);         /* the flood met the cap */
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
}

TEST(out_of_descriptors_does_not_spin)
{
    tc_server s;
    /* Fewer descriptors than the connection cap: the flood below exhausts them. */
    REQUIRE(start(&s, "ulimit -n 24 && exec \"$0\" \"$@\"") == 0);
    tc_stats st;
    REQUIRE(tc_wait_idle(s.port, 5000, &st) == 0);
    serial = serves_one_at_a_time(s.port) || queues_in_backlog();
    enum { N = 96 };
    int fds[N];
    for (int i = 0; i < N; i++) fds[i] = raw_connect(s.port, 0);
    tc_sleep_ms(300);   /* let it meet EMFILE */
    long cpu0 = tc_cpu_ticks(s.pid), t0 = tc_now_ms();
    tc_sleep_ms(1000);
    long cpu1 = tc_cpu_ticks(s.pid), t1 = tc_now_ms();
    long ticks_per_s = sysconf(_SC_CLK_TCK);
    long used_ms = (cpu1 - cpu0) * 1000 / ticks_per_s;
    printf("  cpu %ld ms over %ld ms with %d clients held\n", used_ms, t1 - t0, N);
    REQUIRE(cpu0 >= 0 && cpu1 >= 0);
    /* A loop spinning on a readable listener burns all the CPU it gets;
     * an idle one almost none. */
    CHECK(used_ms * 4 < t1 - t0);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0) close(fds[i]);
    char body[64];
    long until = tc_now_ms() + 10000;
    int status = -1;
    while (status != 200 && tc_now_ms() < until) {
        status = tc_get(s.port, "/", body, sizeof(body));
        if (status != 200) tc_sleep_ms(50);
    }
    CHECK_EQ(status, 200);
    CHECK(tc_wait_idle(s.port, 10000, &st) == 0);
    if (!serial) CHECK(st.refused > 0);
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: soak NMSERVE MODEL [nmserve options...]\n");
        return 2;
    }
    nmserve = argv[1];
    model = argv[2];
    for (int i = 3; i < argc && extra_n < 20; i++) extra_args[extra_n++] = argv[i];
    const char *secs = getenv("NM_SOAK_SECONDS");
    if (secs && atoi(secs) > 0) soak_ms = atoi(secs) * 1000;
    if (probe_cap()) {
        fprintf(stderr, "soak: %s --model %s: no /stats to read its slots from\n", nmserve, model);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    const char *filter = getenv("NM_TEST_FILTER");
    char *args[2] = { argv[0], (char *)filter };
    return nm_test_main(filter ? 2 : 1, args);
}
