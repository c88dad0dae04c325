/* Every port this build has, driven directly over socketpairs: readiness,
 * interest changes, removal, edge versus level reports, and the descriptors
 * a port cannot hold. */
#include "../check.h"
#include "../ports/port.h"
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef NM_HAVE_KQUEUE
#include <sys/event.h>
#endif

static nm_port port;
static nm_event events[16];
static int nevents;

static int port_open(const nm_port_ops *ops, int edge)
{
    memset(&port, 0, sizeof(port));
    port.ops = ops;
    port.fd = -1;
    port.edge = edge;
    return ops->create(&port);
}

static int pair_open(int sv[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv); }

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait once and merge what was reported for fd (kqueue reports each filter
 * as an event of its own). */
static int wait_mask(int fd, int timeout_ms)
{
    nevents = port.ops->wait(&port, events, 16, timeout_ms);
    int mask = 0;
    for (int i = 0; i < nevents; i++)
        if (events[i].fd == fd) mask |= events[i].mask;
    return mask;
}

static int put_byte(int fd) { return (int)write(fd, "x", 1); }

static void level_and_interest(const nm_port_ops *ops)
{
    int sv[2];
    REQUIRE(port_open(ops, 0) == 0);
    REQUIRE(pair_open(sv) == 0);
    CHECK_EQ(ops->set(&port, sv[0], 0, NM_READ), 0);

    long t = now_ms();
    CHECK_EQ(wait_mask(sv[0], 30), 0);
    CHECK_EQ(nevents, 0);
    CHECK(now_ms() - t >= 25);

    CHECK_EQ(put_byte(sv[1]), 1);
    CHECK_EQ(wait_mask(sv[0], 1000), NM_READ);
    CHECK_EQ(nevents, 1);
    CHECK_EQ(wait_mask(sv[0], 0), NM_READ);   /* level: still readable, told again */

    CHECK_EQ(ops->set(&port, sv[0], NM_READ, NM_READ | NM_WRITE), 0);
    CHECK_EQ(wait_mask(sv[0], 0), NM_READ | NM_WRITE);
    CHECK_EQ(ops->set(&port, sv[0], NM_READ | NM_WRITE, NM_WRITE), 0);
    CHECK_EQ(wait_mask(sv[0], 0), NM_WRITE);   /* input waits, but is not asked for */
    CHECK_EQ(ops->set(&port, sv[0], NM_WRITE, NM_READ), 0);
    CHECK_EQ(wait_mask(sv[0], 0), NM_READ);

    ops->del(&port, sv[0], NM_READ);
    CHECK_EQ(wait_mask(sv[0], 0), 0);
    CHECK_EQ(nevents, 0);

    CHECK_EQ(ops->set(&port, sv[1], 0, NM_WRITE), 0);
    CHECK_EQ(wait_mask(sv[1], 0), NM_WRITE);
    CHECK_EQ(nevents, 1);
    ops->del(&port, sv[1], NM_WRITE);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(&port);
}

static void only_the_ready_fd(const nm_port_ops *ops, int edge)
{
    int a[2], b[2];
    REQUIRE(port_open(ops, edge) == 0);
    REQUIRE(pair_open(a) == 0);
    REQUIRE(pair_open(b) == 0);
    CHECK_EQ(ops->set(&port, a[0], 0, NM_READ), 0);
    CHECK_EQ(ops->set(&port, b[0], 0, NM_READ), 0);
    CHECK_EQ(put_byte(b[1]), 1);
    CHECK_EQ(wait_mask(b[0], 1000), NM_READ);
    CHECK_EQ(nevents, 1);
    CHECK_EQ(events[0].fd, b[0]);
    CHECK_EQ(put_byte(a[1]), 1);
    CHECK_EQ(wait_mask(a[0], 1000), NM_READ);
    CHECK_EQ(nevents, edge ? 1 : 2);

    /* the peer gone: readable, and a hang-up where the port can tell */
    ops->del(&port, b[0], NM_READ);
    close(a[1]);
    int m = wait_mask(a[0], 1000);
    CHECK(m & NM_READ);
    if (ops != &nm_port_select) CHECK(m & NM_HUP);
    ops->del(&port, a[0], NM_READ);
    close(a[0]);
    close(b[0]);
    close(b[1]);
    ops->destroy(&port);
}

static void edge_reports_once(const nm_port_ops *ops)
{
    int sv[2];
    REQUIRE(port_open(ops, 1) == 0);
    REQUIRE(pair_open(sv) == 0);
    CHECK_EQ(ops->set(&port, sv[0], 0, NM_READ), 0);
    CHECK_EQ(put_byte(sv[1]), 1);
    CHECK_EQ(wait_mask(sv[0], 1000), NM_READ);
    CHECK_EQ(wait_mask(sv[0], 0), 0);    /* unread, but no new edge */
    CHECK_EQ(nevents, 0);
    CHECK_EQ(wait_mask(sv[0], 20), 0);
    CHECK_EQ(put_byte(sv[1]), 1);        /* new data: a new edge */
    CHECK_EQ(wait_mask(sv[0], 1000), NM_READ);
    CHECK_EQ(wait_mask(sv[0], 0), 0);

    /* a new interest is looked at once */
    CHECK_EQ(ops->set(&port, sv[0], NM_READ, NM_WRITE), 0);
    CHECK_EQ(wait_mask(sv[0], 1000), NM_WRITE);
    CHECK_EQ(wait_mask(sv[0], 0), 0);
    ops->del(&port, sv[0], NM_WRITE);
    CHECK_EQ(put_byte(sv[1]), 1);
    CHECK_EQ(wait_mask(sv[0], 0), 0);
    CHECK_EQ(nevents, 0);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(&port);
}

#ifdef __linux__
TEST(port_epoll_level)
{
    level_and_interest(&nm_port_epoll);
    only_the_ready_fd(&nm_port_epoll, 0);
}

TEST(port_epoll_edge)
{
    edge_reports_once(&nm_port_epoll);
    only_the_ready_fd(&nm_port_epoll, 1);
}
#endif

TEST(port_poll)
{
    level_and_interest(&nm_port_poll);
    only_the_ready_fd(&nm_port_poll, 0);
}

TEST(port_select)
{
    level_and_interest(&nm_port_select);
    only_the_ready_fd(&nm_port_select, 0);
}

#ifdef NM_HAVE_KQUEUE
TEST(port_kqueue_level)
{
    level_and_interest(&nm_port_kqueue);
    only_the_ready_fd(&nm_port_kqueue, 0);
}

TEST(port_kqueue_edge)
{
    edge_reports_once(&nm_port_kqueue);
    only_the_ready_fd(&nm_port_kqueue, 1);
}

TEST(kqueue_filters_are_separate)
{
    int kq = kqueue(), sv[2];
    REQUIRE(kq >= 0);
    REQUIRE(pair_open(sv) == 0);
    struct kevent ch[2], ev[4];
    EV_SET(&ch[0], sv[0], EVFILT_READ, EV_ADD, 0, 0, 0);
    EV_SET(&ch[1], sv[0], EVFILT_WRITE, EV_ADD, 0, 0, 0);
    CHECK_EQ(kevent(kq, ch, 2, 0, 0, 0), 0);
    CHECK_EQ(put_byte(sv[1]), 1);
    struct timespec zero = { 0, 0 };
    /* room for one: the other filter comes next time */
    CHECK_EQ(kevent(kq, 0, 0, ev, 1, &zero), 1);
    int first = ev[0].filter;
    CHECK_EQ(kevent(kq, 0, 0, ev, 1, &zero), 1);
    CHECK(ev[0].filter != first);
    CHECK_EQ((int)ev[0].ident, sv[0]);

    EV_SET(&ch[0], sv[0], EVFILT_WRITE, EV_DISABLE, 0, 0, 0);
    CHECK_EQ(kevent(kq, ch, 1, 0, 0, 0), 0);
    CHECK_EQ(kevent(kq, 0, 0, ev, 4, &zero), 1);
    CHECK_EQ(ev[0].filter, EVFILT_READ);
    EV_SET(&ch[0], sv[0], EVFILT_WRITE, EV_ENABLE, 0, 0, 0);
    CHECK_EQ(kevent(kq, ch, 1, 0, 0, 0), 0);
    CHECK_EQ(kevent(kq, 0, 0, ev, 4, &zero), 2);

    EV_SET(&ch[0], sv[0], EVFILT_READ, EV_DELETE, 0, 0, 0);
    EV_SET(&ch[1], sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, 0);
    CHECK_EQ(kevent(kq, ch, 2, 0, 0, 0), 0);
    errno = 0;
    CHECK_EQ(kevent(kq, ch, 1, 0, 0, 0), -1);   /* deleted already */
    CHECK_EQ(errno, ENOENT);
    struct timespec brief = { 0, 20 * 1000 * 1000 };
    long t = now_ms();
    CHECK_EQ(kevent(kq, 0, 0, ev, 4, &brief), 0);
    CHECK(now_ms() - t >= 19);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
#endif

TEST(poll_port_stays_dense_after_removal)
{
    int a[2], b[2], c[2];
    REQUIRE(port_open(&nm_port_poll, 0) == 0);
    REQUIRE(pair_open(a) == 0 && pair_open(b) == 0 && pair_open(c) == 0);
    nm_port_poll.set(&port, a[0], 0, NM_READ);
    nm_port_poll.set(&port, b[0], 0, NM_READ);
    nm_port_poll.set(&port, c[0], 0, NM_READ);
    CHECK_EQ(port.u.pl.count, 3);
    nm_port_poll.del(&port, a[0], NM_READ);   /* c moves into a's place */
    CHECK_EQ(port.u.pl.count, 2);
    CHECK_EQ(port.u.pl.slot_of[a[0]], -1);
    CHECK_EQ(port.u.pl.slot_of[c[0]], 0);
    CHECK_EQ(port.u.pl.fds[0].fd, c[0]);
    put_byte(a[1]);
    put_byte(c[1]);
    CHECK_EQ(wait_mask(c[0], 1000), NM_READ);
    CHECK_EQ(nevents, 1);
    nm_port_poll.del(&port, a[0], NM_READ);   /* twice is harmless */
    CHECK_EQ(port.u.pl.count, 2);
    nm_port_poll.set(&port, c[0], NM_READ, NM_WRITE);   /* a change keeps its slot */
    CHECK_EQ(port.u.pl.count, 2);
    CHECK_EQ(wait_mask(c[0], 0), NM_WRITE);
    int *pairs[] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
    nm_port_poll.destroy(&port);
}

TEST(select_port_lowers_its_highest_fd)
{
    int a[2], b[2];
    REQUIRE(port_open(&nm_port_select, 0) == 0);
    REQUIRE(pair_open(a) == 0 && pair_open(b) == 0);
    nm_port_select.set(&port, a[0], 0, NM_READ);
    nm_port_select.set(&port, b[1], 0, NM_WRITE);
    CHECK_EQ(port.u.sel.maxfd, b[1]);
    nm_port_select.del(&port, b[1], NM_WRITE);
    CHECK_EQ(port.u.sel.maxfd, a[0]);
    nm_port_select.del(&port, a[0], NM_READ);
    CHECK_EQ(port.u.sel.maxfd, -1);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* Move fd to number `at`, if the descriptor limit lets us. */
static int dup_high(int fd, int at)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl)) return -1;
    if (rl.rlim_cur <= (rlim_t)at) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)at) return -1;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl)) return -1;
    }
    return dup2(fd, at);
}

TEST(select_refuses_fds_past_fd_setsize)
{
    int sv[2];
    struct rlimit saved;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(pair_open(sv) == 0);
    int high = dup_high(sv[0], FD_SETSIZE + 10);
    if (high < 0) {
        close(sv[0]);
        close(sv[1]);
        SKIP_FEATURE("nofile", "cannot open fd %d (the descriptor limit is lower)", FD_SETSIZE + 10);
    }
    REQUIRE(port_open(&nm_port_select, 0) == 0);
    CHECK_EQ(nm_port_select.set(&port, sv[0], 0, NM_READ), 0);
    static nm_port before;
    memcpy(&before, &port, sizeof(port));
    errno = 0;
    CHECK_EQ(nm_port_select.set(&port, high, 0, NM_READ | NM_WRITE), -1);
    CHECK_EQ(errno, EBADF);
    nm_port_select.del(&port, high, NM_READ);
    CHECK(!memcmp(&before.u.sel, &port.u.sel, sizeof(port.u.sel)));   /* nothing written */
    CHECK_EQ(put_byte(sv[1]), 1);
    CHECK_EQ(wait_mask(sv[0], 1000), NM_READ);
    CHECK_EQ(nevents, 1);

    /* poll's table ends at NM_MAX_FDS */
    int past = dup_high(sv[0], NM_MAX_FDS + 10);
    if (past >= 0) {
        REQUIRE(port_open(&nm_port_poll, 0) == 0);
        errno = 0;
        CHECK_EQ(nm_port_poll.set(&port, past, 0, NM_READ), -1);
        CHECK_EQ(errno, EBADF);
        CHECK_EQ(port.u.pl.count, 0);
        close(past);
    }
    close(high);
    close(sv[0]);
    close(sv[1]);
    setrlimit(RLIMIT_NOFILE, &saved);
}

/* More ready descriptors than a wait takes: every one is reported within
 * ceil(ready / max) waits, not the first ones again and again (level-
 * triggered, nothing read, so all stay ready). */
static void every_ready_fd_within_bounded_waits(const nm_port_ops *ops)
{
    enum { READY = 12, MAX = 4 };
    int sv[READY][2], seen[READY] = { 0 };
    REQUIRE(port_open(ops, 0) == 0);
    for (int i = 0; i < READY; i++) {
        REQUIRE(pair_open(sv[i]) == 0);
        REQUIRE(put_byte(sv[i][1]) == 1);
        CHECK_EQ(ops->set(&port, sv[i][0], 0, NM_READ), 0);
    }
    for (int w = 0; w < (READY + MAX - 1) / MAX; w++) {
        int n = ops->wait(&port, events, MAX, 100);
        CHECK(n > 0 && n <= MAX);
        for (int e = 0; e < n; e++)
            for (int i = 0; i < READY; i++)
                if (events[e].fd == sv[i][0]) seen[i] = 1;
    }
    int all = 1;
    for (int i = 0; i < READY; i++) all &= seen[i];
    CHECK(all);
    for (int i = 0; i < READY; i++) {
        ops->del(&port, sv[i][0], NM_READ);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    ops->destroy(&port);
}

TEST(every_port_reports_every_ready_fd_within_bounded_waits)
{
    for (int i = 0; nm_port_at(i); i++) every_ready_fd_within_bounded_waits(nm_port_at(i));
}

TEST(ports_are_listed_best_first)
{
    const nm_port_ops *first = nm_port_at(0);
    REQUIRE(first);
#ifdef __linux__
    CHECK(first == &nm_port_epoll);
    CHECK(nm_port_epoll.edge_capable);
#endif
    CHECK(nm_port_find("poll") == &nm_port_poll);
    CHECK(nm_port_find("select") == &nm_port_select);
    CHECK(nm_port_find("nope") == 0);
    CHECK(nm_port_at(-1) == 0);
    int n = 0;
    while (nm_port_at(n)) n++;
    int native = 0;
#ifdef __linux__
    native++;
#endif
#ifdef NM_HAVE_KQUEUE
    native++;
#endif
    CHECK_EQ(n, 2 + native);
#ifdef NM_HAVE_KQUEUE
    CHECK(nm_port_find("kqueue") == &nm_port_kqueue);
#else
    CHECK(nm_port_find("kqueue") == 0);
#endif
    CHECK(!nm_port_poll.edge_capable && !nm_port_select.edge_capable);
}
