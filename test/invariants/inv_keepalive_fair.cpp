/* The blocking models under more keep-alive clients than workers: a worker
 * keeps its connection for its slice (--yield-slice 5 here, the default,
 * named so that the test does not move with it) before it gives way,
 * so a client sending requests in a loop makes many on one connection,
 * not one per connection. (That the clients that wait are still served in
 * time is inv_burst.cpp's.) */
#include "inv.h"
#include <pthread.h>
#include <stdio.h>

enum { CLIENTS = 8, RUN_MS = 1000, AT_LEAST = 4 };   /* requests a connection, on average */

struct looper {
    int port;
    long until;
    long requests, connections, retried, failed;
};

/* GET / in a loop until `until`, connecting again whenever an answer says
 * close. A connection that ends before any byte of the answer to a request
 * after its first was closed idle by the server as the request went out: the
 * request is sent again on a new one, as HTTP clients do (counted). */
static void *loop_requests(void *arg)
{
    looper *l = (looper *)arg;
    static __thread tc_conn c;
    int served = -1;   /* requests answered on the open connection; -1: none open */
    while (tc_now_ms() < l->until) {
        if (served < 0) {
            if (tc_connect(&c, l->port)) {
                l->failed++;
                tc_sleep_ms(10);
                continue;
            }
            served = 0;
            l->connections++;
        }
        tc_response r;
        char body[64];
        if (tc_send_str(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n") || tc_read_response(&c, &r, body, sizeof(body)) ||
            r.status != 200) {
            if (served > 0 && !c.len) l->retried++;
            else l->failed++;
            tc_close(&c);
            served = -1;
            continue;
        }
        l->requests++;
        served++;
        if (r.closes) {
            tc_close(&c);
            served = -1;
        }
    }
    if (served >= 0) tc_close(&c);
    return 0;
}

static void kept_under_load(const char *model, const char *count_option)
{
    INV_NEED_MODEL(model);
    tc_server s;
    REQUIRE(inv_start(&s, model, count_option, "2", "--yield-slice", "5", (const char *)0) == 0);
    looper l[CLIENTS];
    pthread_t t[CLIENTS];
    long until = tc_now_ms() + RUN_MS;
    for (int i = 0; i < CLIENTS; i++) {
        l[i].port = s.port;
        l[i].until = until;
        l[i].requests = l[i].connections = l[i].retried = l[i].failed = 0;
        REQUIRE(pthread_create(&t[i], 0, loop_requests, &l[i]) == 0);
    }
    long requests = 0, connections = 0, retried = 0, failed = 0, idle = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], 0);
        requests += l[i].requests;
        connections += l[i].connections;
        retried += l[i].retried;
        failed += l[i].failed;
        idle += l[i].requests == 0;
    }
    fprintf(stderr, "  %s: %ld requests on %ld connections, %ld sent again, %ld failed, %ld clients unserved\n", model,
            requests, connections, retried, failed, idle);
    CHECK(connections > 0 && requests >= AT_LEAST * connections);
    CHECK_EQ(idle, 0);   /* every client had its turn */
    CHECK_EQ(failed, 0);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(keepalive_thread_pool_kept_under_load) { kept_under_load("thread_pool", "--threads"); }
TEST(keepalive_prefork_shared_accept_kept_under_load) { kept_under_load("prefork_shared_accept", "--workers"); }
