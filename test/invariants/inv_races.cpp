/* The cross-thread protocols where a change to the drivers breaks first,
 * each under stress: many at once, at moments no test picks, on every kind
 * of driver. Each passes or fails on what the clients get back and on the
 * server's exit status, and CI runs them under the thread sanitizer too
 * (make check SANITIZE=thread: a race it sees makes the server's exit
 * status 66), where one run catches a race only sometimes, so each repeats.
 *
 * - A resume racing its pause: POST /upload?pause=0 pauses the body after
 *   every piece and a thread of the server's resumes it at once, so the
 *   resume comes before, during or after the driver parks the connection
 *   (the pause word's ASKED, PARKED, POSTED; loop/pause.h).
 * - A return racing a stop: handlers lent to other threads (GET /sleep/MS)
 *   while the server is stopped at a random moment; the borrower's return
 *   and the loop's drain meet (the lent byte; handoff/lend.h).
 * - A close racing the completions of its armed receive: the completion
 *   engine closes connections whose multishot receive still brings bytes
 *   (cut by the header timeout while they trickle, reset by their clients
 *   while answers are sent), while other clients connect into the slots
 *   they leave; a slot is taken again only after the receive's last
 *   completion, so none of it reaches the next connection
 *   (completion/engine.cpp: closed at its last completion). */
#include "inv.h"
#include "inv_stat.h"
#include "../../demos/crc32.h"
#include "../../lib/nm_config.h"
#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* fn(model, seed) `rounds` times for each of models[0, n) that nmserve has
 * and NM_INV_MODELS lists, a seed of its own each time: how many models
 * ran (0 also when nmserve could not be asked: the test has failed). */
static int each_model(const char *const *models, unsigned n, unsigned rounds, unsigned seed_step,
                      void (*fn)(const char *, unsigned))
{
    int ran = 0;
    for (unsigned i = 0; i < n; i++) {
        int wanted = inv_model_wanted(models[i]);
        if (wanted < 0) return 0;
        if (!wanted) continue;
        printf("  %s\n", models[i]);
        fflush(stdout);
        for (unsigned round = 0; round < rounds; round++) fn(models[i], seed_step * (i + 1) + round);
        ran++;
    }
    return ran;
}

/* ---- resumes racing pauses ---------------------------------------------- */

enum { UPLOADERS = 4, UPLOADS_EACH = 6, UPLOAD_MAX = 4 * NM_BUF_SIZE };

struct uploader {
    pthread_t th;
    int port;
    unsigned seed;
    int answered;
    char why[160];
    tc_conn conn;
    char body[UPLOAD_MAX];
    char wire[UPLOAD_MAX + UPLOAD_MAX / 8 + 256];
};

/* UPLOADS_EACH bodies that stream (past a buffer), by length and chunked
 * in turn, on one kept connection: each answer's byte count and CRC-32. */
static void *upload_paused(void *arg)
{
    uploader *u = (uploader *)arg;
    if (tc_connect(&u->conn, u->port)) {
        snprintf(u->why, sizeof(u->why), "connect failed");
        return 0;
    }
    for (int i = 0; i < UPLOADS_EACH; i++) {
        size_t n = 2 * NM_BUF_SIZE + next_rand(&u->seed) % (UPLOAD_MAX - 2 * NM_BUF_SIZE);
        for (size_t k = 0; k < n; k++) u->body[k] = (char)next_rand(&u->seed);
        unsigned crc = crc32_add(0, u->body, n);
        size_t w;
        if (i % 2) {
            const size_t sizes[] = { 1 + next_rand(&u->seed) % 3000, 1 + next_rand(&u->seed) % 9000 };
            w = (size_t)snprintf(u->wire, 128, "POST /upload?pause=0 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            w += tc_chunked(u->wire + w, u->body, n, sizes, 2, -1);
            w += (size_t)snprintf(u->wire + w, 16, "0\r\n\r\n");
        } else {
            w = (size_t)snprintf(u->wire, 128, "POST /upload?pause=0 HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
            memcpy(u->wire + w, u->body, n);
            w += n;
        }
        tc_response r;
        char got[128] = { 0 }, want[64];
        if (tc_send(&u->conn, u->wire, w) || tc_read_response(&u->conn, &r, got, sizeof(got) - 1)) {
            snprintf(u->why, sizeof(u->why), "upload %d of %zu bytes: no answer", i, n);
            break;
        }
        snprintf(want, sizeof(want), "{\"bytes\":%zu,\"crc32\":\"%08x\"", n, crc);
        if (r.status != 200 || strncmp(got, want, strlen(want))) {
            snprintf(u->why, sizeof(u->why), "upload %d: status %d '%.60s', expected '%s...'", i, r.status, got, want);
            break;
        }
        u->answered++;
    }
    tc_close(&u->conn);
    return 0;
}

static void resumes_race_pauses(const char *model, unsigned seed)
{
    static uploader ups[UPLOADERS];
    tc_server s;
    REQUIRE(inv_start(&s, model, (const char *)0) == 0);
    tc_stats before, after;
    CHECK(tc_wait_idle(s.port, 5000, &before) == 0);
    for (int i = 0; i < UPLOADERS; i++) {
        ups[i].port = s.port;
        ups[i].seed = seed + 7919u * (unsigned)i;
        ups[i].answered = 0;
        ups[i].why[0] = 0;
        REQUIRE(pthread_create(&ups[i].th, 0, upload_paused, &ups[i]) == 0);
    }
    for (int i = 0; i < UPLOADERS; i++) {
        pthread_join(ups[i].th, 0);
        if (ups[i].why[0]) fprintf(stderr, "  %s, client %d: %s\n", model, i, ups[i].why);
        CHECK_EQ(ups[i].answered, UPLOADS_EACH);
    }
    CHECK(tc_wait_idle(s.port, 5000, &after) == 0);
    CHECK_EQ(after.resume_failed, 0);
    CHECK_EQ(after.free_buffers, before.free_buffers);
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
}

/* The drivers a paused body meets: a loop, several loops, processes of
 * loops, a blocking worker, a fiber, a coroutine, the completion engine,
 * loops that lend the handler to workers, a leader and its followers. */
static const char *const pausing_models[] = {
    "epoll", "multi_reactor", "process_pool_reactors", "thread_pool", "fiber", "coroutine",
    "proactor", "reactor_worker_pool", "half_sync_half_async", "leader_follower",
};

TEST(races_resumes_racing_pauses)
{
    crc32_init();
    int ran = each_model(pausing_models, sizeof(pausing_models) / sizeof(pausing_models[0]), 3, 101u,
                         resumes_race_pauses);
    if (!ran && !nm_test_failures) SKIP("none of the models a paused body is tried on here is in %s and NM_INV_MODELS", inv_nmserve);
}

/* ---- returns racing stops ----------------------------------------------- */

enum { SLEEPERS = 4 };

struct sleeper {
    pthread_t th;
    int port;
    unsigned seed;
    int answered, wrong;
    tc_conn conn;
};

/* GET /sleep/MS (0-2 ms) on a kept connection until the server goes: every
 * answer that comes whole is the right one. */
static void *sleep_until_stopped(void *arg)
{
    sleeper *k = (sleeper *)arg;
    if (tc_connect(&k->conn, k->port)) return 0;
    for (;;) {
        unsigned ms = next_rand(&k->seed) % 3;
        char req[96], got[32], want[16];
        snprintf(req, sizeof(req), "GET /sleep/%u HTTP/1.1\r\nHost: t\r\n\r\n", ms);
        tc_response r;
        if (tc_send_str(&k->conn, req) || tc_read_response(&k->conn, &r, got, sizeof(got) - 1)) break;
        got[r.body_len < sizeof(got) ? r.body_len : sizeof(got) - 1] = 0;
        snprintf(want, sizeof(want), "%u\n", ms);
        if (r.status != 200 || strcmp(got, want)) k->wrong++;
        else __atomic_fetch_add(&k->answered, 1, __ATOMIC_RELEASE);
        if (r.closes) break;
    }
    tc_close(&k->conn);
    return 0;
}

static void returns_race_a_stop(const char *model, unsigned seed)
{
    static sleeper ks[SLEEPERS];
    tc_server s;
    REQUIRE(inv_start(&s, model, (const char *)0) == 0);
    for (int i = 0; i < SLEEPERS; i++) {
        ks[i].port = s.port;
        ks[i].seed = seed + 31u * (unsigned)i;
        ks[i].answered = ks[i].wrong = 0;
        REQUIRE(pthread_create(&ks[i].th, 0, sleep_until_stopped, &ks[i]) == 0);
    }
    /* The stop comes once answers flow (however slow the build), at a
     * moment of its own: handlers are lent then, or about to be. */
    long until = tc_now_ms() + tc_scaled_ms(10000);
    int flowing = 0;
    while (!flowing && tc_now_ms() < until) {
        for (int i = 0; i < SLEEPERS; i++) flowing |= __atomic_load_n(&ks[i].answered, __ATOMIC_ACQUIRE) > 0;
        if (!flowing) tc_sleep_ms(2);
    }
    CHECK(flowing);
    tc_sleep_ms((int)(next_rand(&seed) % 40));
    CHECK_EQ(tc_server_stop(&s, 10000), 0);   /* a clean exit, whatever was lent */
    for (int i = 0; i < SLEEPERS; i++) {
        pthread_join(ks[i].th, 0);
        CHECK_EQ(ks[i].wrong, 0);
    }
}

/* Models that lend a connection's handler to another thread (and
 * producer_consumer, whose consumers answer and write; reactor_conn_thread,
 * which lends the I/O too). */
static const char *const lending_models[] = {
    "reactor_worker_pool", "multi_reactor_worker_pool", "reactor_thread_per_task", "hybrid",
    "half_sync_half_async", "pipeline", "work_stealing", "producer_consumer", "reactor_conn_thread",
};

TEST(races_returns_racing_stops)
{
    int ran = each_model(lending_models, sizeof(lending_models) / sizeof(lending_models[0]), 4, 37u,
                         returns_race_a_stop);
    if (!ran && !nm_test_failures) SKIP("none of the models that lend a handler to a worker is in %s and NM_INV_MODELS", inv_nmserve);
}

/* ---- closes racing their armed receive ---------------------------------- */

enum { CUTTERS = 6, ECHOERS = 4, CUT_MS = 1500 };

struct racer {
    pthread_t th;
    int port;
    unsigned seed;
    long until;
    int rounds, wrong;
    tc_conn conn;
};

/* Connections the server closes while bytes still come: one that trickles
 * its head until the header timeout cuts it, one that pipelines requests
 * for a large answer and resets the connection while it is sent. */
static void *cut_while_sending(void *arg)
{
    racer *k = (racer *)arg;
    static const char big[] = "GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /big HTTP/1.1\r\nHost: t\r\n\r\n";
    while (tc_now_ms() < k->until) {
        if (tc_connect(&k->conn, k->port)) continue;
        if (k->rounds++ % 2) {
            tc_send_str(&k->conn, "GET / HTTP/1.1\r\nHost: t\r\nX-Trickle: ");
            for (int i = 0; i < 200 && !tc_send(&k->conn, "a", 1); i++) {
                char b[64];
                if (recv(k->conn.fd, b, sizeof(b), MSG_DONTWAIT) >= 0) break;   /* (cut: the end, or a 408) */
                tc_sleep_ms(1 + (int)(next_rand(&k->seed) % 2));
            }
        } else {
            tc_send(&k->conn, big, sizeof(big) - 1);
            char pad[512];
            memset(pad, 'b', sizeof(pad));
            for (unsigned i = next_rand(&k->seed) % 8; i > 0; i--) send(k->conn.fd, pad, sizeof(pad), MSG_NOSIGNAL | MSG_DONTWAIT);
            struct linger hard = { 1, 0 };
            setsockopt(k->conn.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
        }
        tc_close(&k->conn);
    }
    return 0;
}

/* New connections into the slots the cut ones leave: two echoes each, each
 * of its own bytes only. */
static void *echo_on_new_conns(void *arg)
{
    racer *k = (racer *)arg;
    while (tc_now_ms() < k->until) {
        char id[48];
        if (tc_connect(&k->conn, k->port)) {
            k->wrong++;
            break;
        }
        for (int i = 0; i < 2; i++) {
            char req[160], got[64] = { 0 };
            snprintf(id, sizeof(id), "echo-%u-%d-%d", k->seed, k->rounds, i);
            snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s", strlen(id), id);
            tc_response r;
            r.status = 0;
            if (tc_send_str(&k->conn, req) || tc_read_response(&k->conn, &r, got, sizeof(got) - 1) || r.status != 200 ||
                strcmp(got, id)) {
                fprintf(stderr, "  echo %s: status %d '%.40s'\n", id, r.status, got);
                k->wrong++;
                break;
            }
        }
        k->rounds++;
        tc_close(&k->conn);
    }
    return 0;
}

static void closes_race_completions(const char *model, unsigned seed)
{
    static racer cut[CUTTERS], echo[ECHOERS];
    tc_server s;
    REQUIRE(inv_start(&s, model, "--header-timeout", "40", (const char *)0) == 0);
    tc_stats before, after;
    CHECK(tc_wait_idle(s.port, 5000, &before) == 0);
    long until = tc_now_ms() + CUT_MS;
    for (int i = 0; i < CUTTERS + ECHOERS; i++) {
        racer *k = i < CUTTERS ? &cut[i] : &echo[i - CUTTERS];
        k->port = s.port;
        k->seed = seed * 131u + (unsigned)i;
        k->until = until;
        k->rounds = k->wrong = 0;
        REQUIRE(pthread_create(&k->th, 0, i < CUTTERS ? cut_while_sending : echo_on_new_conns, k) == 0);
    }
    int echoes = 0, cuts = 0;
    for (int i = 0; i < CUTTERS + ECHOERS; i++) {
        racer *k = i < CUTTERS ? &cut[i] : &echo[i - CUTTERS];
        pthread_join(k->th, 0);
        CHECK_EQ(k->wrong, 0);
        *(i < CUTTERS ? &cuts : &echoes) += k->rounds;
    }
    CHECK(cuts > 0 && echoes > 0);
    CHECK(tc_wait_idle(s.port, 5000, &after) == 0);
    CHECK(after.timeouts > before.timeouts);   /* the trickling ones were cut */
    CHECK_EQ(after.free_buffers, before.free_buffers);
    CHECK_EQ(after.free_slots, before.free_slots);
    CHECK_EQ(tc_server_stop(&s, 10000), 0);
}

/* The completion engine: io_uring's multishot receive where the kernel has
 * it (else the test runs on what it has, and cannot fail on this). */
static const char *const completion_models[] = { "proactor" };

TEST(races_closes_racing_armed_receives)
{
    int ran = each_model(completion_models, 1, 2, 53u, closes_race_completions);
    if (!ran && !nm_test_failures) SKIP("the proactor is not in %s and NM_INV_MODELS", inv_nmserve);
}
