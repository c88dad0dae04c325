/* The blocking models under more clients than workers: a burst of
 * keep-alive clients, each sending one request at once, is answered in full
 * (none refused, reset or timed out) well within the idle timeout, because
 * a worker whose connection goes idle while others wait gives it up, and
 * time spent waiting for a worker does not count against the client. */
#include "inv_proc.h"
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CLIENTS = 200, WITHIN_MS = 20000 };   /* the idle timeout is 30 s */

/* Wait for every fd's first 12 bytes until the deadline; count the 200s. */
static int answered_ok(const int *fds, int n, long deadline)
{
    static char head[CLIENTS][13];
    static int got[CLIENTS];
    memset(got, 0, sizeof(got));
    int done = 0;
    while (done < n && tc_now_ms() < deadline) {
        struct pollfd p[CLIENTS];
        int k = 0, idx[CLIENTS];
        for (int i = 0; i < n; i++)
            if (got[i] < 12) p[k].fd = fds[i], p[k].events = POLLIN, p[k].revents = 0, idx[k++] = i;
        if (poll(p, (nfds_t)k, 100) <= 0) continue;
        for (int j = 0; j < k; j++) {
            if (!p[j].revents) continue;
            int i = idx[j];
            ssize_t r = recv(fds[i], head[i] + got[i], (size_t)(12 - got[i]), MSG_DONTWAIT);
            if (r > 0) got[i] += (int)r;
            else got[i] = 12 + 1;   /* closed or reset before a whole status line */
            if (got[i] >= 12) done++;
        }
    }
    int ok = 0;
    for (int i = 0; i < n; i++) ok += got[i] == 12 && !memcmp(head[i], "HTTP/1.1 200", 12);
    return ok;
}

/* The burst against `model` with 4 workers (and --yield-slice `slice`, NULL:
 * the default), every client answered within `within` ms. */
static void burst_within(const char *model, const char *count_option, const char *slice, int within)
{
    INV_NEED_MODEL(model);
    tc_server s;
    REQUIRE(inv_start(&s, model, count_option, "4", slice ? "--yield-slice" : (const char *)0, slice, (const char *)0) == 0);
    static int fds[CLIENTS];
    REQUIRE(inv_burst_open(s.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", fds, CLIENTS) == 0);
    int ok = answered_ok(fds, CLIENTS, tc_now_ms() + within);
    for (int i = 0; i < CLIENTS; i++) close(fds[i]);
    if (ok != CLIENTS) fprintf(stderr, "  %s: %d of %d answered 200 within %d ms\n", model, ok, CLIENTS, within);
    CHECK_EQ(ok, CLIENTS);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(st.timeouts, 0);
    CHECK_EQ(st.refused, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

static void burst(const char *model, const char *count_option) { burst_within(model, count_option, 0, WITHIN_MS); }

TEST(burst_thread_pool_keep_alive_clients_all_answered) { burst("thread_pool", "--threads"); }
TEST(burst_thread_per_conn_at_its_cap_all_answered) { burst("thread_per_conn", "--threads"); }
TEST(burst_prefork_shared_accept_all_answered) { burst("prefork_shared_accept", "--workers"); }
TEST(burst_prefork_locked_accept_all_answered) { burst("prefork_locked_accept", "--workers"); }
TEST(burst_prefork_reuseport_all_answered) { burst("prefork_reuseport", "--workers"); }
TEST(burst_prefork_fd_passing_all_answered) { burst("prefork_fd_passing", "--workers"); }

/* A worker keeps a connection that was answered within its slice, then
 * gives it up idle as the slice ends, not a stop-poll step (200 ms) later:
 * 50 clients a worker, 10 ms each, take well under 5 s (scaled under a
 * sanitizer: tc_scaled_ms). */
TEST(burst_idle_clients_give_way_at_the_slice) { burst_within("thread_pool", "--threads", "10", tc_scaled_ms(5000)); }
TEST(burst_prefork_fd_passing_gives_way_at_the_slice) { burst_within("prefork_fd_passing", "--workers", "10", tc_scaled_ms(5000)); }

/* A request that waited in thread_pool's queue longer than the header
 * timeout, its bytes sent at once, is answered: the deadline runs from when
 * a worker takes the connection, not from its accept. */
TEST(burst_queue_time_is_not_the_clients)
{
    INV_NEED_MODEL("thread_pool");
    tc_server s;
    REQUIRE(inv_start(&s, "thread_pool", "--threads", "1", "--header-timeout", "500", (const char *)0) == 0);
    tc_conn hold, late;
    REQUIRE(!tc_connect(&hold, s.port));
    REQUIRE(!tc_send_str(&hold, "GET /sleep/1500 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    tc_sleep_ms(200);   /* the one worker is in the slow handler */
    REQUIRE(!tc_connect(&late, s.port));
    REQUIRE(!tc_send_str(&late, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));   /* queued for 1.3 s */
    tc_response r;
    char body[32];
    CHECK(tc_read_response(&late, &r, body, sizeof(body)) == 0);
    CHECK_EQ(r.status, 200);
    tc_close(&late);
    tc_close(&hold);
    tc_stats st;
    CHECK(tc_wait_idle(s.port, 5000, &st) == 0);
    CHECK_EQ(st.timeouts, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
