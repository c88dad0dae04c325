/* work_stealing: under a burst of connections landing on the workers at
 * once, idle workers steal queued requests (the "steals" counter rises),
 * and no request is lost or answered twice: every connection gets back
 * exactly its own body, and the server counts exactly the requests sent.
 * Wakeups to come and steal are rung per round, not per task. */
#include "inv.h"
#include "inv_stat.h"
#include <unistd.h>

TEST(work_stealing_steals_and_loses_nothing)
{
    INV_NEED_MODEL("work_stealing");
    tc_server s;
    REQUIRE(inv_start(&s, "work_stealing", "--threads", "2", (const char *)0) == 0);
    enum { CONNS = 40, MAX_ROUNDS = 40 };
    static tc_conn c[CONNS];
    long sent = 0, tasks = 0, steals = 0, stats_asked = 0;
    int wrong = 0;
    for (int round = 0; round < MAX_ROUNDS && (round < 3 || steals <= 0); round++) {
        int open = 0;
        for (int i = 0; i < CONNS; i++) open += tc_connect(&c[i], s.port) == 0;
        REQUIRE(open == CONNS);
        /* every request out before any answer is read: the burst is the
         * skew. Each task (both requests, one write) takes a millisecond or
         * more, so a backlog lasts long enough to be seen by a loaded peer. */
        char id[CONNS][32], req[160];
        for (int i = 0; i < CONNS; i++) {
            snprintf(id[i], sizeof(id[i]), "r%d-c%d", round, i);
            snprintf(req, sizeof(req),
                     "GET /sleep/1 HTTP/1.1\r\nHost: t\r\n\r\n"
                     "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(id[i]), id[i]);
            REQUIRE(!tc_send_str(&c[i], req));
            sent += 2;
            tasks++;
        }
        for (int i = 0; i < CONNS; i++) {
            tc_response r;
            char body[64];
            if (tc_read_response(&c[i], &r, body, sizeof(body) - 1) || r.status != 200 ||
                tc_read_response(&c[i], &r, body, sizeof(body) - 1) || r.status != 200) {
                wrong++;
                continue;
            }
            body[r.body_len] = 0;
            if (strcmp(body, id[i])) wrong++;
            CHECK_EQ(tc_read_some(&c[i], body, sizeof(body), 0), 0);   /* nothing twice */
        }
        for (int i = 0; i < CONNS; i++) tc_close(&c[i]);
        steals = inv_model_stat(s.port, "steals");
        stats_asked++;
    }
    CHECK_EQ(wrong, 0);
    CHECK(steals > 0);
    /* A peer is woken at most once per round of a worker, and only after a
     * round that queued two tasks or more: never one wakeup per task. */
    long wakes = inv_model_stat(s.port, "steal_wakes");
    stats_asked++;
    CHECK(wakes >= 0);
    CHECK(wakes <= (tasks + stats_asked) / 2);
    tc_stats st;
    REQUIRE(tc_stats_get(s.port, &st) == 0);
    CHECK_EQ(st.requests, sent + stats_asked);   /* each request answered once */
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* Without --threads: a worker per online CPU (at least two, one of them the
 * main thread), as more would only take turns on the CPUs. */
TEST(work_stealing_one_worker_per_cpu_by_default)
{
    INV_NEED_MODEL("work_stealing");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cpus < 2 ? 2 : cpus > 8 ? 8 : (int)cpus;   /* NM_MAX_LOOPS */
    tc_server s;
    REQUIRE(inv_start(&s, "work_stealing", (const char *)0) == 0);
    CHECK_EQ(inv_wait_threads_named(s.pid, "nm-steal", want - 1), want - 1);
    tc_conn c;
    REQUIRE(tc_connect(&c, s.port) == 0);
    CHECK(inv_echo_roundtrip(&c, "served") == 0);
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}
