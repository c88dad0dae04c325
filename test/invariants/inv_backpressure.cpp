/* Backpressure instead of refusal: with more busy connections than buffers
 * (1,000 keep-alive clients, each sending its next request as soon as the
 * last is answered, against NM_BUF_COUNT buffers and worker queues of
 * NM_QUEUE_DEPTH), every event-driven model answers every request 200: a
 * request that finds no buffer or no place in a queue waits (its bytes in
 * the kernel) instead of being refused 503. A wait is bounded: past
 * --queue-wait it is answered 503 and counted. */
#include "inv_proc.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CONNS = 1000, ANSWER_MAX = 256 };

static const char GET_ROOT[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

struct tally {
    int ok, refused, other;   /* 200s, 503s, anything else (a close without an answer too) */
};

/* The length of the whole answer at the start of buf, or 0 if not whole yet. */
static int answer_len(const char *buf, int got)
{
    const char *end = (const char *)memmem(buf, (size_t)got, "\r\n\r\n", 4);
    if (!end) return 0;
    const char *cl = (const char *)memmem(buf, (size_t)(end - buf), "Content-Length: ", 16);
    int body = cl ? atoi(cl + 16) : 0;
    int len = (int)(end + 4 - buf) + body;
    return got >= len ? len : 0;
}

/* n keep-alive clients, each sending GET / `rounds` times, the next as soon
 * as the last is answered, until done or the deadline. */
static void busy(int port, int n, int rounds, long deadline, tally *t)
{
    static int fds[CONNS], left[CONNS], got[CONNS], idx[CONNS];
    static char buf[CONNS][ANSWER_MAX];
    static struct pollfd p[CONNS];
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < n; i++) {
        fds[i] = tc_dial(port, 0);
        got[i] = 0;
        left[i] = rounds;
        if (fds[i] < 0 || send(fds[i], GET_ROOT, sizeof(GET_ROOT) - 1, MSG_NOSIGNAL) <= 0) {
            t->other += rounds;
            left[i] = 0;
        }
    }
    for (;;) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (left[i]) p[k].fd = fds[i], p[k].events = POLLIN, p[k].revents = 0, idx[k++] = i;
        if (!k || tc_now_ms() > deadline) break;
        if (poll(p, (nfds_t)k, 200) <= 0) continue;
        for (int j = 0; j < k; j++) {
            if (!p[j].revents) continue;
            int i = idx[j];
            ssize_t r = recv(fds[i], buf[i] + got[i], (size_t)(ANSWER_MAX - got[i]), MSG_DONTWAIT);
            if (r <= 0) {   /* closed with requests unanswered */
                t->other += left[i];
                left[i] = 0;
                continue;
            }
            got[i] += (int)r;
            int len = answer_len(buf[i], got[i]);
            if (!len) continue;
            if (!memcmp(buf[i], "HTTP/1.1 200", 12)) t->ok++;
            else if (!memcmp(buf[i], "HTTP/1.1 503", 12)) t->refused++;
            else t->other++;
            memmove(buf[i], buf[i] + len, (size_t)(got[i] - len));
            got[i] -= len;
            if (--left[i] && send(fds[i], GET_ROOT, sizeof(GET_ROOT) - 1, MSG_NOSIGNAL) <= 0) {
                t->other += left[i];
                left[i] = 0;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        t->other += left[i];   /* unanswered by the deadline */
        if (fds[i] >= 0) close(fds[i]);
    }
}

static void enough_fds(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int emulated_or_sanitized(void) { return getenv("NM_RUN_PREFIX") || getenv("NM_SANITIZED"); }

/* MODELS.md's multiplexing, reactor and asynchronous groups: the models
 * that hold many connections at once. Under an emulator or a sanitizer, one
 * of each way a request can wait: a loop's session, a worker queue, a
 * process's loop, a fiber, a completion. */
static const char *const event_models[] = {
    "select", "poll", "epoll", "reactor", "event_loop", "reactor_worker_pool", "reactor_thread_per_task",
    "multi_reactor", "multi_reactor_worker_pool", "reactor_conn_thread", "process_pool_reactors", "hybrid",
    "coroutine", "half_sync_half_async", "pipeline", "work_stealing", "actor", "fiber", "proactor", 0
};
static const char *const few_models[] = { "epoll", "reactor_worker_pool", "process_pool_reactors", "fiber", "proactor", 0 };

TEST(backpressure_1000_busy_connections_every_request_answered_200)
{
    enough_fds();
    int rounds = emulated_or_sanitized() ? 2 : 4;
    const char *const *models = emulated_or_sanitized() ? few_models : event_models;
    int ran = 0;
    for (int m = 0; models[m]; m++) {
        if (inv_has_model(models[m]) <= 0) continue;
        tc_server s;
        REQUIRE(inv_start(&s, models[m], (const char *)0) == 0);
        tc_stats st;
        if (tc_stats_get(s.port, &st) == 0 && st.free_slots < CONNS + 1) {   /* a build of fewer slots */
            fprintf(stderr, "  %s: %ld slots, fewer than this test's clients\n", models[m], st.free_slots);
            CHECK_EQ(tc_server_stop(&s, 10000), 0);
            continue;
        }
        tally t;
        busy(s.port, CONNS, rounds, tc_now_ms() + 60000, &t);
        int stats = tc_wait_idle(s.port, 10000, &st);
        fprintf(stderr, "  %s: %d x 200, %d x 503, %d other; refused %ld, waited %ld\n", models[m], t.ok, t.refused,
                t.other, stats ? -1 : st.refused, stats ? -1 : st.waited);
        CHECK_EQ(t.ok, CONNS * rounds);
        CHECK_EQ(t.refused + t.other, 0);
        CHECK_EQ(stats, 0);
        CHECK_EQ(st.refused, 0);
        CHECK_EQ(st.errors, 0);
        CHECK_EQ(st.timeouts, 0);
        CHECK_EQ(tc_server_stop(&s, 10000), 0);
        ran++;
    }
    if (!ran && !nm_test_failures) SKIP("no model of %s has %d slots", inv_nmserve, CONNS + 1);
}

/* One worker held by a slow request, then a burst past the worker queue and
 * the buffers: with a wait bound longer than the slow request every client
 * is answered 200 (and the waits counted); with a short one those still
 * waiting at the bound are answered 503 and counted, none closed unanswered. */
TEST(backpressure_wait_is_bounded_by_queue_wait)
{
    enough_fds();
    INV_NEED_MODEL("reactor_worker_pool");
    enum { BURST = 400 };
    const char *bounds[2] = { "5000", "300" };
    for (int b = 0; b < 2; b++) {
        tc_server s;
        REQUIRE(inv_start(&s, "reactor_worker_pool", "--pool", "1", "--queue-wait", bounds[b], (const char *)0) == 0);
        tc_conn slow;
        REQUIRE(!tc_connect(&slow, s.port));
        REQUIRE(!tc_send_str(&slow, "GET /sleep/1500 HTTP/1.1\r\nHost: t\r\n\r\n"));
        tc_sleep_ms(100);   /* the one worker sleeps in it */
        tally t;
        busy(s.port, BURST, 1, tc_now_ms() + 20000, &t);
        tc_close(&slow);
        tc_stats st;
        CHECK_EQ(tc_wait_idle(s.port, 10000, &st), 0);
        fprintf(stderr, "  --queue-wait %s: %d x 200, %d x 503, %d other; refused %ld, waited %ld\n", bounds[b], t.ok,
                t.refused, t.other, st.refused, st.waited);
        CHECK_EQ(t.other, 0);
        CHECK(st.waited > 0);
        CHECK_EQ(st.refused, t.refused);
        if (b == 0) {
            CHECK_EQ(t.ok, BURST);
        } else {
            CHECK(t.refused > 0);
            CHECK(t.ok > 0);
        }
        CHECK_EQ(st.timeouts, 0);
        CHECK_EQ(tc_server_stop(&s, 10000), 0);
    }
}
