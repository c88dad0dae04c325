/* The application's own work in the server's loop (nm_timer_start, nm_watch,
 * nm_post), on every model: nmserve --tick 20 runs a periodic timer that
 * writes into a pipe it watches, and SIGUSR1 posts a call from a signal
 * handler. Each must run (ticks, piped, posted in /stats) and none while
 * another runs (overlaps 0). Under an emulator (a cross target) one model
 * of each kind runs: an event model, a thread model, a process model,
 * fiber and the proactor.
 *
 * nm_send: a client that asked GET /subscribe gets "tick\n" pushed on each
 * tick from the server's main loop, on every model whose connections are
 * served by a loop of its own (README lists them); the others refuse it
 * (push_refused counts) and send nothing. */
#include "inv.h"
#include "inv_stat.h"
#include "netmodels.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int representative(const char *model)
{
    static const char *const set[] = { "epoll", "thread_pool", "prefork_shared_accept", "fiber", "proactor" };
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
        if (!strcmp(model, set[i])) return 1;
    return 0;
}

/* Poll /stats until `name` reaches at least `want` (or timeout_ms): its value. */
static long wait_for(int port, const char *name, long want, int timeout_ms)
{
    long v = -1, end = tc_now_ms() + timeout_ms;
    while ((v = inv_model_stat(port, name)) < want && tc_now_ms() < end) tc_sleep_ms(20);
    return v;
}

static int loop_work_runs(const char *model)
{
    tc_server s;
    if (inv_start(&s, model, "--tick", "20", (const char *)0)) return -1;
    /* A blocking model runs them between accepts: at most NM_STOP_POLL_MS late. */
    long ticks = wait_for(s.port, "ticks", 3, 5000);
    long piped = wait_for(s.port, "piped", 2, 3000);
    for (int i = 0; i < 3; i++) {   /* apart: one pending SIGUSR1 would swallow the next */
        kill(s.pid, SIGUSR1);
        wait_for(s.port, "posted", i + 1, 2000);
    }
    long posted = inv_model_stat(s.port, "posted"), overlaps = inv_model_stat(s.port, "overlaps");
    int stopped = tc_server_stop(&s, 5000);
    int ok = ticks >= 3 && piped >= 2 && posted == 3 && overlaps == 0 && stopped == 0;
    if (!ok)
        printf("  %s: ticks %ld, piped %ld, posted %ld (3), overlaps %ld, stop %d\n", model, ticks, piped, posted,
               overlaps, stopped);
    return ok ? 0 : -1;
}

/* The models that take bytes for a connection from outside its handler. */
static int takes_sends(const char *model)
{
    static const char *const set[] = { "select", "poll", "epoll", "kqueue", "event_loop", "reactor",
                                       "reactor_worker_pool", "reactor_thread_per_task", "multi_reactor",
                                       "multi_reactor_worker_pool", "half_sync_half_async", "pipeline",
                                       "work_stealing" };
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
        if (!strcmp(model, set[i])) return 1;
    return 0;
}

/* 0 when pushes arrive exactly where the model takes them, and are refused
 * (counted, nothing sent) where it does not. */
static int pushes(const char *model)
{
    tc_server s;
    if (inv_start(&s, model, "--tick", "20", (const char *)0)) return -1;
    static tc_conn c;
    tc_response r;
    char body[64], got[64];
    int ok = !tc_connect(&c, s.port) && !tc_send_str(&c, "GET /subscribe HTTP/1.1\r\nHost: t\r\n\r\n") &&
             !tc_read_response(&c, &r, body, sizeof(body)) && r.status == 200;
    int want = takes_sends(model);
    size_t n = 0;
    /* ticks come every 20 ms: 300 ms without one is a model that sends none */
    long deadline = tc_now_ms() + (want ? 3000 : 300);
    while (ok && tc_now_ms() < deadline && n < 10) n += tc_read_some(&c, got + n, 10 - n, 100);
    /* while subscribed (once it is gone, a push to it is refused), but for a
     * model that answers /stats only once it is gone (iterative) */
    long refused = want ? inv_model_stat(s.port, "push_refused") : 0;
    tc_close(&c);
    if (!want) refused = wait_for(s.port, "push_refused", 1, 3000);
    int stopped = tc_server_stop(&s, 5000);
    int right = ok && stopped == 0 &&
                (want ? n == 10 && !memcmp(got, "tick\ntick\n", 10) && refused == 0 : n == 0 && refused >= 1);
    if (!right)
        printf("  %s: pushed bytes %zu (%.*s), push_refused %ld, expected %s\n", model, n, (int)n, got, refused,
               want ? "ticks" : "refusals");
    return right ? 0 : -1;
}

TEST(user_send_reaches_a_connection_from_outside_its_handler)
{
    const char *prefix = getenv("NM_RUN_PREFIX");
    int emulated = prefix && *prefix, ran = 0;
    for (int i = 0; i < nm_model_count(); i++) {
        const char *model = nm_model_name(i);
        if (inv_has_model(model) <= 0 || (emulated && !representative(model))) continue;
        CHECK_EQ(pushes(model), 0);
        ran++;
    }
    CHECK(ran > 0);
}

TEST(user_timer_watch_and_post_run_in_every_models_loop)
{
    const char *prefix = getenv("NM_RUN_PREFIX");
    int emulated = prefix && *prefix, ran = 0;
    for (int i = 0; i < nm_model_count(); i++) {
        const char *model = nm_model_name(i);
        if (inv_has_model(model) <= 0 || (emulated && !representative(model))) continue;
        CHECK_EQ(loop_work_runs(model), 0);
        ran++;
    }
    CHECK(ran > 0);
}
