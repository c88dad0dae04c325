/* Tricklers are cut at the minimum rate (nm_config.min_rate, 500 bytes a
 * second by default), in every model: a client sending its head (or its
 * body) a byte a second is closed within 3 s after its second of grace,
 * counted in "slow", and good clients sent meanwhile are answered within
 * 3 s, even where the trickler holds the only worker (iterative) or the
 * worker whose accept queue a good client landed in (prefork_reuseport).
 * A head or body that stalls, then arrives whole at once (a lost segment
 * retransmitted), is answered, never cut. Every model's server runs at
 * once, so that the whole check takes a few seconds. */
#include "inv_proc.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const all_models[] = {
    "iterative", "select", "poll", "epoll", "reactor", "event_loop", "reactor_worker_pool",
    "reactor_thread_per_task", "multi_reactor", "multi_reactor_worker_pool", "reactor_conn_thread",
    "process_pool_reactors", "hybrid", "fork_per_conn", "thread_per_conn", "prefork_shared_accept",
    "prefork_locked_accept", "prefork_reuseport", "prefork_fd_passing", "thread_pool", "leader_follower",
    "producer_consumer", "coroutine", "half_sync_half_async", "pipeline", "work_stealing", "actor",
    "fiber", "proactor", 0,
};
static const char *const some_models[] = { "epoll",  "thread_pool", "iterative", "prefork_reuseport", "fiber",
                                           "coroutine", "proactor", "actor", 0 };

enum { MODELS = 32, GOOD = 16, GRACE_MS = 1000, CUT_WITHIN_MS = 3000, ANSWER_WITHIN_MS = 3000 };

static const char head[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char good_req[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
static const char upload_head[] = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n";

/* A client that sends `text` a byte a second from `first`, until cut. */
struct trickler {
    int fd;
    const char *text;
    size_t sent;
    long first, cut;   /* ms; cut 0: still open */
};

static int trickle_start(trickler *t, int port, const char *prefix, const char *text)
{
    tc_conn c;
    if (tc_connect(&c, port)) return -1;
    t->fd = c.fd;
    t->text = text;
    t->sent = 0;
    t->cut = 0;
    if (prefix && send(t->fd, prefix, strlen(prefix), MSG_NOSIGNAL) != (ssize_t)strlen(prefix)) return -1;
    t->first = tc_now_ms();
    return send(t->fd, text, 1, MSG_NOSIGNAL) == 1 ? (int)(t->sent = 1, 0) : -1;
}

/* Its next byte when due; whether the server closed it. */
static void trickle_step(trickler *t, long now, short revents)
{
    if (t->cut) return;
    char junk[512];
    ssize_t r = revents ? recv(t->fd, junk, sizeof(junk), MSG_DONTWAIT) : 1;
    if (r == 0 || (r < 0 && errno != EAGAIN)) {   /* (an answer before the close is read on) */
        t->cut = now;
        return;
    }
    if (t->text[t->sent] && now >= t->first + 1000 * (long)t->sent &&
        send(t->fd, t->text + t->sent++, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
        t->cut = now;
}

struct good_clients {
    int fds[GOOD];
    long sent, answered[GOOD];   /* answered: the ms of its 200's first bytes, -1 not a 200 */
    char got[GOOD][13];
    int len[GOOD];
};

static void good_read(good_clients *g, int i, long now)
{
    ssize_t r = recv(g->fds[i], g->got[i] + g->len[i], (size_t)(12 - g->len[i]), MSG_DONTWAIT);
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) {
        g->answered[i] = -1;
        return;
    }
    g->len[i] += (int)r;
    if (g->len[i] == 12) g->answered[i] = memcmp(g->got[i], "HTTP/1.1 200", 12) ? -1 : now;
}

struct model_run {
    const char *model;
    tc_server s;
    trickler t;
    good_clients g;
};

static model_run runs[MODELS];

/* Start each model of `models` this nmserve has (runs[0, n)), with up to
 * four options (the first NULL ends them): n, or -1 when nmserve could not
 * be asked or a server did not start. */
static int start_models(const char *const *models, const char *const *opts = 0)
{
    static const char *const none[4] = { 0, 0, 0, 0 };
    if (!opts) opts = none;
    int n = 0;
    for (int m = 0; models[m]; m++) {
        int has = inv_has_model(models[m]);
        if (has < 0) return -1;
        if (!has) continue;
        runs[n].model = models[m];
        if (inv_start(&runs[n].s, models[m], opts[0], opts[1], opts[2], opts[3], (const char *)0)) {
            fprintf(stderr, "  %s did not start\n", models[m]);
            return -1;
        }
        n++;
    }
    return n;
}

TEST(slowloris_trickler_cut_good_clients_answered_every_model)
{
    int n = start_models(all_models);
    REQUIRE(n >= 0);
    for (int i = 0; i < n; i++) REQUIRE(trickle_start(&runs[i].t, runs[i].s.port, 0, head) == 0);
    tc_sleep_ms(300);   /* the tricklers have their workers */
    for (int i = 0; i < n; i++) {
        good_clients *g = &runs[i].g;
        g->sent = tc_now_ms();
        REQUIRE(inv_burst_open(runs[i].s.port, good_req, g->fds, GOOD) == 0);
        memset(g->answered, 0, sizeof(g->answered));
        memset(g->len, 0, sizeof(g->len));
    }
    long deadline = tc_now_ms() + GRACE_MS + CUT_WITHIN_MS + 2000;
    for (;;) {
        static struct pollfd p[MODELS * (GOOD + 1)];
        int k = 0, open = 0;
        for (int i = 0; i < n; i++) {
            model_run *r = &runs[i];
            if (!r->t.cut) p[k].fd = r->t.fd, p[k].events = POLLIN, p[k++].revents = 0, open++;
            for (int j = 0; j < GOOD; j++)
                if (!r->g.answered[j]) p[k].fd = r->g.fds[j], p[k].events = POLLIN, p[k++].revents = 0, open++;
        }
        if (!open || tc_now_ms() > deadline) break;
        poll(p, (nfds_t)k, 50);
        long now = tc_now_ms();
        k = 0;
        for (int i = 0; i < n; i++) {
            model_run *r = &runs[i];
            if (!r->t.cut) trickle_step(&r->t, now, p[k++].revents);
            for (int j = 0; j < GOOD; j++)
                if (!r->g.answered[j] && p[k++].revents) good_read(&r->g, j, now);
        }
    }
    for (int i = 0; i < n; i++) {
        model_run *r = &runs[i];
        long cut = r->t.cut ? r->t.cut - r->t.first : -1, slowest = 0;
        int answered = 0;
        for (int j = 0; j < GOOD; j++) {
            if (r->g.answered[j] > 0) answered++;
            if (r->g.answered[j] > 0 && r->g.answered[j] - r->g.sent > slowest) slowest = r->g.answered[j] - r->g.sent;
            close(r->g.fds[j]);
        }
        close(r->t.fd);
        tc_stats st;
        int stats = tc_stats_get(r->s.port, &st);
        int ok = cut >= GRACE_MS && cut <= GRACE_MS + CUT_WITHIN_MS && answered == GOOD &&
                 slowest <= ANSWER_WITHIN_MS && !stats && st.slow == 1;
        if (!ok || getenv("NM_TEST_VERBOSE"))
            fprintf(stderr, "  %s: trickler cut %ld ms after its first byte (-1: never), %d of %d good answered, "
                    "the slowest in %ld ms, slow %ld\n", r->model, cut, answered, GOOD, slowest, stats ? -1 : st.slow);
        CHECK(ok);
        CHECK_EQ(tc_server_stop(&r->s, 5000), 0);
    }
}

/* Each model of `models` with `opts`, a trickler each (after `prefix`, a
 * byte a second): cut between from_ms and to_ms after its first byte, and
 * counted `slow` times slow. */
static void trickler_cut(const char *const *models, const char *const *opts, const char *prefix, long from_ms,
                         long to_ms, long slow)
{
    int n = start_models(models, opts);
    REQUIRE(n >= 0);
    for (int i = 0; i < n; i++)
        REQUIRE(trickle_start(&runs[i].t, runs[i].s.port, prefix,
                              "a request that comes a byte a second, far below the rate") == 0);
    long deadline = tc_now_ms() + to_ms + 2000;
    for (int open = n; open && tc_now_ms() < deadline;) {
        struct pollfd p[MODELS];
        for (int i = 0; i < n; i++) p[i].fd = runs[i].t.cut ? -1 : runs[i].t.fd, p[i].events = POLLIN, p[i].revents = 0;
        poll(p, (nfds_t)n, 50);
        open = 0;
        for (int i = 0; i < n; i++) {
            trickle_step(&runs[i].t, tc_now_ms(), p[i].revents);
            open += !runs[i].t.cut;
        }
    }
    for (int i = 0; i < n; i++) {
        model_run *r = &runs[i];
        long cut = r->t.cut ? r->t.cut - r->t.first : -1;
        close(r->t.fd);
        tc_stats st;
        int stats = tc_stats_get(r->s.port, &st);
        int ok = cut >= from_ms && cut <= to_ms && !stats && st.slow == slow && st.timeouts == 1;
        if (!ok) fprintf(stderr, "  %s: trickler cut %ld ms after its first byte (-1: never), slow %ld, timeouts %ld\n",
                         r->model, cut, stats ? -1 : st.slow, stats ? -1 : st.timeouts);
        CHECK(ok);
        CHECK_EQ(tc_server_stop(&r->s, 5000), 0);
    }
}

/* A body sent a byte a second after a whole head is cut the same way. */
TEST(slowloris_body_trickler_cut)
{
    /* (the windows are a second whatever the build; a sanitized server
     * beside other work reads the trickle late: its bound gets the slack
     * tc_scaled_ms gives, the slow count still says which rule cut) */
    trickler_cut(some_models, 0, upload_head, GRACE_MS, GRACE_MS + CUT_WITHIN_MS + tc_scaled_ms(1000) - 1000, 1);
}

/* --min-rate 0: no minimum, the header timeout alone cuts (not slow). */
TEST(slowloris_min_rate_off_leaves_the_header_timeout)
{
    static const char *const models[] = { "epoll", "thread_pool", "fiber", "proactor", 0 };
    static const char *const opts[4] = { "--min-rate", "0", "--header-timeout", "3500" };
    trickler_cut(models, opts, 0, 3000, 3500 + 1000, 0);
}

/* Half a head, or a head and a tenth of the body, then nothing for 2.5 s,
 * then the rest at once: answered, nothing counted slow. */
TEST(slowloris_stall_then_burst_is_answered)
{
    static char upload[sizeof(upload_head) + 1000];
    size_t hl = strlen(upload_head);
    memcpy(upload, upload_head, hl);
    memset(upload + hl, 'x', 1000);
    const char *texts[2] = { head, upload };
    size_t lens[2] = { strlen(head), hl + 1000 }, firsts[2] = { strlen(head) / 2, hl + 100 };
    static tc_conn c[MODELS][2];
    int n = start_models(some_models);
    REQUIRE(n >= 0);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            REQUIRE(tc_connect(&c[i][k], runs[i].s.port) == 0);
            REQUIRE(tc_send(&c[i][k], texts[k], firsts[k]) == 0);
        }
    tc_sleep_ms(2500);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) REQUIRE(tc_send(&c[i][k], texts[k] + firsts[k], lens[k] - firsts[k]) == 0);
    for (int i = 0; i < n; i++) {
        tc_response res[2];
        char body[256];
        int got[2];
        for (int k = 0; k < 2; k++) {
            got[k] = tc_read_response(&c[i][k], &res[k], body, sizeof(body)) == 0 ? res[k].status : -1;
            tc_close(&c[i][k]);
        }
        tc_stats st;
        int stats = tc_stats_get(runs[i].s.port, &st);
        int ok = got[0] == 200 && got[1] == 200 && !stats && st.slow == 0 && st.timeouts == 0;
        if (!ok) fprintf(stderr, "  %s: the stalled head answered %d, the stalled body %d; slow %ld, timeouts %ld\n",
                         runs[i].model, got[0], got[1], stats ? -1 : st.slow, stats ? -1 : st.timeouts);
        CHECK(ok);
        CHECK_EQ(tc_server_stop(&runs[i].s, 5000), 0);
    }
}
