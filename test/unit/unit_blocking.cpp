/* The machinery of the blocking models, piece by piece: descriptors passed
 * over a socketpair, a timed push into a full queue, waiting for room, the
 * thread crew, and the process table (children reaped, counters shared). */
#include "../check.h"
#include "../lib/loop/blocking.h"
#include "../lib/handoff/crew.h"
#include "../lib/procs/procs.h"
#include "../lib/base/queue.h"
#include "../lib/base/timer.h"
#include "proto/protocol.h"
#include "../lib/session/session.h"
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

TEST(fd_passing_gives_the_same_open_file)
{
    int pair[2], pipe_fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    REQUIRE(pipe(pipe_fds) == 0);
    CHECK_EQ(nm_fd_send(pair[0], pipe_fds[1]), 0);
    int got = nm_fd_recv(pair[1]);
    CHECK(got >= 0 && got != pipe_fds[1]);
    struct stat a, b;
    CHECK(fstat(got, &a) == 0 && fstat(pipe_fds[1], &b) == 0 && a.st_ino == b.st_ino);
    CHECK_EQ(write(got, "x", 1), 1);   /* it writes into the same pipe */
    char c = 0;
    CHECK(read(pipe_fds[0], &c, 1) == 1 && c == 'x');
    close(pair[0]);
    CHECK_EQ(nm_fd_recv(pair[1]), -1);   /* the other end closed */
    close(got);
    close(pair[1]);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

TEST(queue_push_until_gives_up_when_full_and_takes_room)
{
    static nm_queue q;
    nm_queue_init(&q, 2);
    int a, b, c;
    CHECK_EQ(nm_queue_push_until(&q, &a, nm_now_ms() + 1000), 0);
    CHECK_EQ(nm_queue_push_until(&q, &b, nm_now_ms() + 1000), 0);
    uint64_t t0 = nm_now_ms();
    CHECK_EQ(nm_queue_push_until(&q, &c, t0 + 60), -1);   /* full: waits, then gives up */
    CHECK(nm_now_ms() >= t0 + 60);
    CHECK(nm_queue_pop(&q) == &a);
    CHECK_EQ(nm_queue_push_until(&q, &c, nm_now_ms()), 0);   /* room: no wait needed */
    CHECK(nm_queue_pop(&q) == &b && nm_queue_pop(&q) == &c);
    nm_queue_destroy(&q);
}

/* nm_room_wait's found: room once *arg is set, else wait until until */
static int room_when_set(void *arg, uint64_t until)
{
    while (!*(int *)arg && nm_now_ms() < until) {
        struct timespec t = { 0, 1000000 };
        nanosleep(&t, 0);
    }
    return *(int *)arg;
}

TEST(room_waits_up_to_the_queue_wait_then_refuses_at_once_until_found)
{
    static nm_server s;
    s.cfg.queue_wait_ms = 150;
    nm_room r = { 0 };
    int room = 0;
    uint64_t t0 = nm_now_ms();
    CHECK_EQ(nm_room_wait(&r, &s, room_when_set, &room), 0);   /* a wait of the server's bound */
    uint64_t waited = nm_now_ms() - t0;
    CHECK(waited >= 150 && waited < 1500);
    t0 = nm_now_ms();
    CHECK_EQ(nm_room_wait(&r, &s, room_when_set, &room), 0);   /* still full: refused at once */
    CHECK(nm_now_ms() - t0 < 50);
    room = 1;
    CHECK_EQ(nm_room_wait(&r, &s, room_when_set, &room), 1);   /* room again */
    room = 0;
    t0 = nm_now_ms();
    CHECK_EQ(nm_room_wait(&r, &s, room_when_set, &room), 0);   /* and a fresh wait */
    CHECK(nm_now_ms() - t0 >= 150);
}

/* found that keeps the until of each ask and finds room at the second */
static uint64_t asked_until[4];
static int asks;
static int room_at_second_ask(void *, uint64_t until)
{
    if (asks < 4) asked_until[asks] = until;
    return ++asks >= 2;
}

TEST(room_wait_asks_first_without_a_wait)
{
    static nm_server s;
    s.cfg.queue_wait_ms = 1000;
    nm_room r = { 0 };
    asks = 0;
    uint64_t t0 = nm_now_ms();
    CHECK_EQ(nm_room_wait(&r, &s, room_at_second_ask, 0), 1);
    CHECK_EQ(asks, 2);
    CHECK_EQ(asked_until[0], 0u);   /* the first ask may not wait */
    CHECK(asked_until[1] >= t0 && asked_until[1] <= nm_now_ms() + NM_STOP_POLL_MS);   /* then a step */
    CHECK_EQ(r.full_since, 0u);   /* room found: the next burst starts its own bound */
}

TEST(room_wait_pushes_into_a_queue_that_frees_a_place)
{
    static nm_server s;
    s.cfg.queue_wait_ms = 2000;
    nm_queue q;
    nm_queue_init(&q, 1);
    int a, b;
    nm_room r = { 0 };
    nm_room_push p1 = { &q, &a }, p2 = { &q, &b };
    CHECK_EQ(nm_room_wait(&r, &s, nm_room_pushed, &p1), 1);
    s.cfg.queue_wait_ms = 0;
    CHECK_EQ(nm_room_wait(&r, &s, nm_room_pushed, &p2), 0);   /* full, no wait allowed */
    CHECK(nm_queue_pop(&q) == &a);
    CHECK_EQ(nm_room_wait(&r, &s, nm_room_pushed, &p2), 1);
    CHECK(nm_queue_pop(&q) == &b);
    nm_queue_destroy(&q);
}

static volatile int release_crew;

static void *crew_member(void *arg)
{
    while (!__atomic_load_n(&release_crew, __ATOMIC_ACQUIRE)) {
        struct timespec t = { 0, 1000000 };
        nanosleep(&t, 0);
    }
    __atomic_fetch_add((int *)arg, 1, __ATOMIC_SEQ_CST);
    return 0;
}

TEST(crew_counts_and_joins_its_threads_and_returns_their_stacks)
{
    unsigned stacks = nm_stack_free();
    nm_crew *k = nm_crew_open();
    REQUIRE(k != 0);
    int done = 0;
    release_crew = 0;
    CHECK_EQ(nm_crew_start(k, "nm-test", crew_member, &done), 0);
    CHECK_EQ(nm_crew_start(k, "nm-test", crew_member, &done), 0);
    CHECK_EQ(nm_crew_running(k), 2);
    CHECK_EQ(nm_stack_free(), stacks - 2);
    CHECK_EQ(nm_crew_wait_below(k, 2, nm_now_ms() + 50), 0);   /* none ended: the deadline */
    __atomic_store_n(&release_crew, 1, __ATOMIC_RELEASE);
    CHECK_EQ(nm_crew_wait_below(k, 1, nm_now_ms() + 5000), 1);
    nm_crew_close(k, 0);
    CHECK_EQ(done, 2);
    CHECK_EQ(nm_stack_free(), stacks);
}

static int child_counts(nm_server *s, void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) nm_count(s, NM_C_REQUESTS);
    return 0;
}

TEST(procs_reap_every_child_and_share_the_counters)
{
    static nm_server s;
    memset(&s, 0, sizeof(s));
    s.counters = &s.own_counters;
    nm_procs *g = nm_procs_open(&s);
    REQUIRE(g != 0);
    CHECK(s.counters != &s.own_counters);
    int each = 5;
    for (int i = 0; i < 3; i++) CHECK(nm_procs_spawn(g, child_counts, &each) >= 0);
    CHECK_EQ(g->count, 3);
    uint64_t deadline = nm_now_ms() + 5000;
    while (nm_procs_reap(g) >= 0 && g->count && nm_now_ms() < deadline) {
        struct timespec t = { 0, 1000000 };
        nanosleep(&t, 0);
    }
    CHECK_EQ(g->count, 0);
    nm_procs_close(g);
    CHECK(s.counters == &s.own_counters);
    CHECK_EQ(s.own_counters.requests, 15);   /* what the children added, kept */
}

static void *serve_blocking(void *arg)
{
    nm_blocking_run((nm_conn *)arg);
    return 0;
}

/* s: a server of the session over HTTP, with the default configuration,
 * for connections served here without a model. */
static void http_server(nm_server *s)
{
    memset(s, 0, sizeof(*s));
    nm_config_init(&s->cfg);
    nm_session_bind(s, &nm_proto_http);
    s->counters = &s->own_counters;
}

/* A stop raised with no signal at all (the thread serving has every signal
 * blocked) still ends a blocking read well before the idle timeout. */
TEST(blocking_session_sees_a_stop_without_a_signal)
{
    static nm_server s;
    http_server(&s);
    s.cfg.idle_timeout_ms = 60000;
    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    nm_conn *c = nm_conn_open(&s, pair[0]);
    REQUIRE(c != 0);
    nm_crew *k = nm_crew_open();
    REQUIRE(k != 0);
    CHECK_EQ(nm_crew_start(k, "nm-test", serve_blocking, c), 0);
    CHECK_EQ(nm_crew_wait_below(k, 1, nm_now_ms() + 300), 0);   /* an idle client: it waits */
    nm_server_stop(&s);
    CHECK_EQ(nm_crew_wait_below(k, 1, nm_now_ms() + 5000), 1);
    nm_crew_close(k, 0);
    nm_conn_close(c);
    close(pair[1]);
}

/* s->clients_wait for the test below: others always wait; the first time
 * it is asked once the slice is spent (the idle rule's question), the
 * client's next request goes out, as if it came just as the worker's wait
 * ran out. */
static int next_request_fd = -1;
static uint64_t slice_ends;
static int others_wait_and_client_sends(const nm_server *)
{
    if (next_request_fd >= 0 && nm_now_ms() >= slice_ends) {
        static const char req[] = "GET /b HTTP/1.1\r\nHost: t\r\n\r\n";
        if (write(next_request_fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) return 1;
        next_request_fd = -1;
    }
    return 1;
}

static void *serve_and_close(void *arg)
{
    nm_blocking_serve((nm_conn *)arg);
    return 0;
}

static int answer_ok(const nm_request *, nm_response *res, void *)
{
    return nm_resp_body(res, "ok", 2);
}

/* A worker about to give an idle connection up (its slice spent, others
 * waiting) looks at the socket last: a request that came meanwhile is
 * answered (that answer says close), not reset by the close. */
TEST(blocking_session_serves_a_request_that_came_as_its_slice_ended)
{
    static nm_server s;
    http_server(&s);
    s.cfg.yield_slice_ms = 200;
    s.clients_wait = others_wait_and_client_sends;
    s.handler.fn = answer_ok;
    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    static const char first[] = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
    REQUIRE(write(pair[1], first, sizeof(first) - 1) == (ssize_t)(sizeof(first) - 1));
    slice_ends = nm_now_ms() + 200;
    next_request_fd = pair[1];
    nm_conn *c = nm_conn_open(&s, pair[0]);
    REQUIRE(c != 0);
    nm_crew *k = nm_crew_open();
    REQUIRE(k != 0);
    CHECK_EQ(nm_crew_start(k, "nm-test", serve_and_close, c), 0);
    char got[2048];
    size_t len = 0;
    struct timeval tv = { 10, 0 };
    setsockopt(pair[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (;;) {   /* everything until the server's close */
        ssize_t n = recv(pair[1], got + len, sizeof(got) - 1 - len, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    got[len] = 0;
    CHECK_EQ(nm_crew_wait_below(k, 1, nm_now_ms() + 5000), 1);
    nm_crew_close(k, 0);
    close(pair[1]);
    int answers = 0;
    for (const char *p = got; (p = strstr(p, "HTTP/1.1 ")) != 0; p++) answers++;
    CHECK_EQ(next_request_fd, -1);   /* the second request went out */
    CHECK_EQ(answers, 2);
    CHECK(strstr(got, "Connection: close") != 0);   /* the second answer, past the slice */
}
