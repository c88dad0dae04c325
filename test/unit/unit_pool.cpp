/* Static pools: the generic nm_pool, the shared buffer and connection pools,
 * and the thread-stack pool. Every test gives back what it took, so the
 * shared pools end where they started. */
#include "../check.h"
#include "../lib/base/pool.h"
#include "../lib/loop/conn.h"
#include "../lib/loop/outq.h"
#include "../lib/base/thread.h"
#include "../lib/session/session.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct item {
    void *link;
    char payload[24];
};

static int untouched(const item *it, unsigned char pattern)
{
    const unsigned char *b = (const unsigned char *)it;
    for (size_t i = 0; i < sizeof(*it); i++)
        if (b[i] != pattern) return 0;
    return 1;
}

TEST(pool_hands_out_in_order_until_empty)
{
    static item items[4];
    nm_pool p = NM_POOL_INIT("test items", items);
    CHECK_EQ(nm_pool_free(&p), 4);
    for (unsigned i = 0; i < 4; i++) {
        item *it = (item *)nm_pool_get(&p);
        CHECK(it == &items[i]);
        CHECK_EQ(nm_pool_index(&p, it), i);
        CHECK_EQ(nm_pool_free(&p), 3 - i);
    }
    CHECK(nm_pool_get(&p) == 0);
    CHECK(nm_pool_get(&p) == 0);
    CHECK_EQ(nm_pool_free(&p), 0);
    CHECK_EQ(p.low_water, 0);
}

TEST(pool_reuses_the_last_returned_first)
{
    static item items[3];
    nm_pool p = NM_POOL_INIT("test items", items);
    item *a = (item *)nm_pool_get(&p), *b = (item *)nm_pool_get(&p);
    nm_pool_put(&p, a);
    CHECK_EQ(nm_pool_free(&p), 2);
    nm_pool_put(&p, b);
    CHECK_EQ(nm_pool_free(&p), 3);
    CHECK(nm_pool_get(&p) == b);
    CHECK(nm_pool_get(&p) == a);
    /* the free list is empty again: the third comes from the bump index */
    CHECK(nm_pool_get(&p) == &items[2]);
    CHECK(nm_pool_get(&p) == 0);
    CHECK_EQ(p.bump, 3);
    CHECK_EQ(p.low_water, 0);
}

TEST(pool_never_touches_elements_not_yet_handed_out)
{
    static item items[8];
    memset(items, 0xa5, sizeof(items));
    nm_pool p = NM_POOL_INIT("test items", items);
    item *a = (item *)nm_pool_get(&p), *b = (item *)nm_pool_get(&p);
    nm_pool_put(&p, b);
    nm_pool_put(&p, a);
    CHECK(nm_pool_get(&p) == a);
    CHECK(nm_pool_get(&p) == b);
    CHECK_EQ(p.bump, 2);
    CHECK_EQ(p.low_water, 6);
    int clean = 0;
    for (int i = 2; i < 8; i++) clean += untouched(&items[i], 0xa5);
    CHECK_EQ(clean, 6);
    /* only the link word of a returned element is written */
    CHECK(!memcmp(a->payload, items[7].payload, sizeof(a->payload)));
}

TEST(buffers_return_to_the_pool)
{
    unsigned start = nm_buf_free();
    REQUIRE(start >= 2);
    nm_buf *a = nm_buf_get(), *b = nm_buf_get();
    REQUIRE(a && b);
    CHECK(a != b);
    CHECK_EQ(nm_buf_free(), start - 2);
    nm_buf_put(a);
    CHECK_EQ(nm_buf_free(), start - 1);
    nm_buf_put(b);
    CHECK_EQ(nm_buf_free(), start);
}

TEST(buffer_pool_is_bounded)
{
    static nm_buf *taken[NM_BUF_COUNT + 1];
    unsigned start = nm_buf_free(), n = 0;
    while (n <= NM_BUF_COUNT && (taken[n] = nm_buf_get()) != 0) n++;
    CHECK_EQ(n, start);
    CHECK_EQ(nm_buf_free(), 0);
    CHECK(nm_buf_get() == 0);
    while (n) nm_buf_put(taken[--n]);
    CHECK_EQ(nm_buf_free(), start);
}

static int fd_closed(int fd) { return fcntl(fd, F_GETFD) < 0 && errno == EBADF; }

static void server_init(nm_server *s)
{
    memset(s, 0, sizeof(*s));
    nm_config_init(&s->cfg);
    nm_session_bind(s, &nm_proto_http);
    s->counters = &s->own_counters;
    s->listen_fd = -1;
}

TEST(connection_slots_return_with_their_buffers)
{
    static nm_server s;
    server_init(&s);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    unsigned conns = nm_conn_free(), bufs = nm_buf_free();
    nm_conn *c = nm_conn_open(&s, sv[0]);
    REQUIRE(c);
    CHECK_EQ(nm_conn_free(), conns - 1);
    CHECK(nm_conn_of_fd(sv[0]) == c);
    CHECK_EQ(s.own_counters.active, 1);
    CHECK(c->in == 0);
    CHECK_EQ(c->out_count, 0);

    /* a connection closed mid-answer gives back its input and output buffers */
    c->in = nm_buf_get();
    CHECK_EQ(nm_out_write(c, "abc", 3), 0);
    CHECK_EQ(nm_buf_free(), bufs - 2);
    nm_conn_close(c);
    CHECK_EQ(nm_buf_free(), bufs);
    CHECK_EQ(nm_conn_free(), conns);
    CHECK(nm_conn_of_fd(sv[0]) == 0);
    CHECK_EQ(s.own_counters.active, 0);
    CHECK(fd_closed(sv[0]));
    close(sv[1]);
}

/* An idle connection costs its slot: on a 64-bit target at most 200 bytes
 * (with the application's NM_CONN_USER_SIZE and the fd map's pointer, the
 * bench's idle column). A segment finds the buffer it owns from its bytes
 * and their offset there; a static one owns none. */
TEST(connection_slot_small_and_segments_own_their_buffers)
{
#if UINTPTR_MAX > 0xffffffffu
    CHECK(sizeof(nm_conn) <= 200);
    CHECK_EQ(sizeof(nm_seg), 16);
#endif
    static nm_server s;
    server_init(&s);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    unsigned bufs = nm_buf_free();
    nm_conn *c = nm_conn_open(&s, sv[0]);
    REQUIRE(c);
    nm_buf *b = nm_buf_get();
    REQUIRE(b);
    CHECK_EQ(nm_out_take(c, b, 100, 10), 0);
    CHECK_EQ(nm_out_static(c, "static", 6), 0);
    nm_seg *t = &c->out[c->out_first], *st = &c->out[(c->out_first + 1) % NM_OUT_SEGS];
    CHECK(nm_seg_owns(t) && nm_seg_buf(t) == b);
    CHECK_EQ(nm_seg_room(t), (uint32_t)NM_BUF_SIZE - 110);
    CHECK(!nm_seg_owns(st));
    CHECK_EQ(nm_out_write(c, "abc", 3), 0);   /* after a static one: a buffer of its own */
    CHECK_EQ(c->out_count, 3);
    CHECK_EQ(nm_buf_free(), bufs - 2);
    nm_conn_close(c);
    CHECK_EQ(nm_buf_free(), bufs);   /* both given back, the static bytes not */
    close(sv[1]);
}

TEST(connection_refused_for_fd_out_of_range)
{
    static nm_server s;
    server_init(&s);
    unsigned conns = nm_conn_free();
    CHECK(nm_conn_open(&s, -1) == 0);
    CHECK(nm_conn_open(&s, NM_MAX_FDS) == 0);
    CHECK(nm_conn_of_fd(NM_MAX_FDS) == 0);
    CHECK(nm_conn_of_fd(-1) == 0);
    CHECK_EQ(nm_conn_free(), conns);
    CHECK_EQ(s.own_counters.active, 0);
}

/* Threads park on a pipe until it is closed, so all of them are alive while
 * the pool runs dry. */
static int park_fd;

static void *park(void *arg)
{
    char ch;
    while (read(park_fd, &ch, 1) > 0) {}
    return arg;
}

TEST(thread_stacks_run_out_instead_of_growing)
{
    static nm_thread threads[NM_MAX_THREADS + 1];
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    park_fd = pipefd[0];
    unsigned start = nm_stack_free(), n = 0;
    int rc = 0;
    while (n <= NM_MAX_THREADS && (rc = nm_thread_start(&threads[n], park, 0)) == 0) n++;
    CHECK_EQ(n, start);
    CHECK_EQ(rc, EAGAIN);
    CHECK(threads[n].stack == 0);
    CHECK_EQ(nm_stack_free(), 0);
    close(pipefd[1]);
    if (n) {
        CHECK_EQ(nm_thread_join(&threads[n - 1]), 0);
        CHECK_EQ(nm_stack_free(), 1);
        /* a joined thread's stack serves the next one */
        CHECK_EQ(nm_thread_start(&threads[n - 1], park, 0), 0);
        CHECK_EQ(nm_stack_free(), 0);
    }
    while (n) CHECK_EQ(nm_thread_join(&threads[--n]), 0);
    CHECK_EQ(nm_stack_free(), start);
    CHECK_EQ(nm_thread_join(&threads[0]), EINVAL);   /* joined already: no stack */
    close(pipefd[0]);
}

static void *mark(void *arg)
{
    *(void **)arg = __builtin_frame_address(0);
    return 0;
}

TEST(thread_runs_on_a_pool_stack)
{
    nm_thread t;
    void *where = 0;
    REQUIRE(nm_thread_start(&t, mark, &where) == 0);
    char *stack = (char *)t.stack;
    CHECK_EQ(nm_thread_join(&t), 0);
    CHECK(t.finished);
    CHECK((char *)where >= stack && (char *)where < stack + NM_THREAD_STACK_SIZE);
}

/* A streaming body's or answer's state is an entry of its own pool, drawn
 * while one streams (and while bytes read past the body wait), one entry
 * per connection, and given back at the end: a connection that never
 * streams holds none. */
TEST(stream_entries_are_held_only_while_a_connection_streams)
{
    enum { N = NM_STREAM_BUFFERS < 4 ? NM_STREAM_BUFFERS : 4 };
    static nm_server s;
    server_init(&s);
    s.cfg.max_streams = N;
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    nm_conn *c[N + 1];
    for (int i = 0; i <= N; i++) {
        c[i] = nm_conn_open(&s, i ? dup(sv[0]) : sv[0]);
        REQUIRE(c[i]);
        CHECK_EQ(c[i]->stream, 0);
    }
    for (int i = 0; i < N; i++) {
        REQUIRE(nm_stream_begin(c[i]) == 0);
        REQUIRE(c[i]->stream != 0);
        CHECK(nm_stream_of(c[i])->taken);
        for (int j = 0; j < i; j++) CHECK(c[j]->stream != c[i]->stream);
    }
    CHECK_EQ(nm_stream_begin(c[N]), -1);   /* the cap: no entry drawn */
    CHECK_EQ(c[N]->stream, 0);
    CHECK_EQ(s.streams, (unsigned)N);
#if NM_BODY_READ_BUFS > 1
    /* bytes read past the body keep the entry after the body's end */
    nm_stream *st = nm_stream_of(c[0]);
    st->ahead[0] = nm_buf_get();
    REQUIRE(st->ahead[0]);
    st->ahead_len[0] = 1;
    st->ahead_count = 1;
    nm_stream_end(c[0]);
    CHECK(c[0]->stream != 0);
    CHECK_EQ(s.streams, (unsigned)N);
    nm_conn_drop_ahead(c[0]);
    CHECK_EQ(c[0]->stream, 0);
    CHECK(!st->taken);
#else
    nm_stream_end(c[0]);
    CHECK_EQ(c[0]->stream, 0);
#endif
    CHECK_EQ(s.streams, (unsigned)N - 1);
    REQUIRE(nm_stream_begin(c[N]) == 0);   /* its place and entry are free again */
    CHECK(c[N]->stream != 0);
    for (int i = 0; i <= N; i++) nm_conn_close(c[i]);   /* a close gives back what streams */
    CHECK_EQ(s.streams, 0);
    for (int i = 0; i < NM_STREAM_BUFFERS; i++) CHECK(!nm_streams[i].taken);
    close(sv[1]);
}
