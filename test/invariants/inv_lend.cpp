/* Models that lend a connection away from its loop while its request is
 * answered (a worker pool, the sync layer, the pipeline's stages, a stealing
 * worker, a task thread): a stop that comes once the request was read
 * leaves the lent connection to its borrower. The answer still goes out,
 * and the server then ends cleanly; under the thread sanitizer, the loop
 * looking at its connections as it stops never races with the borrower
 * answering. */
#include "inv_proc.h"
#include <signal.h>
#include <string.h>

static void stop_while_lent(const char *model)
{
    tc_server s;
    REQUIRE(inv_start(&s, model, (const char *)0) == 0);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    /* closing after it: the borrower writes the connection's flags as it answers */
    REQUIRE(!tc_send_str(&c, "GET /sleep/400 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    long deadline = tc_now_ms() + 5000;
    long unread;
    while ((unread = inv_unread_by_server(s.port, &c)) != 0 && tc_now_ms() < deadline) tc_sleep_ms(5);
    CHECK_EQ(unread, 0);   /* the loop has it, whole: lent at once */
    kill(s.pid, SIGTERM);
    tc_response r;
    char body[16];
    CHECK(!tc_read_response(&c, &r, body, sizeof(body)) && r.status == 200);
    CHECK(r.body_len == 4 && !memcmp(body, "400\n", 4));
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(lend_stop_while_a_handler_runs_answers_it)
{
    static const char *const models[] = {
        "reactor_worker_pool", "multi_reactor_worker_pool", "reactor_thread_per_task", "hybrid",
        "half_sync_half_async", "pipeline", "work_stealing",
    };
    int ran = 0;
    for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (inv_has_model(models[i]) <= 0) continue;
        printf("  %s\n", models[i]);
        fflush(stdout);
        stop_while_lent(models[i]);
        ran++;
    }
    if (!ran && !nm_test_failures) SKIP("%s has none of the models that lend a handler to a worker", inv_nmserve);
}
