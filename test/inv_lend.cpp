/* Models that lend a connection away from its loop while its request is
 * answered (a worker pool, the sync layer, the pipeline's stages, a stealing
 * worker, a task thread): a stop that comes while a handler runs leaves the
 * lent connection to its borrower. The answer still goes out, and the
 * server then ends cleanly; under the thread sanitizer, the loop looking at
 * its connections as it stops never races with the borrower answering. */
#include "inv_proc.h"
#include <signal.h>
#include <string.h>

/* The threads that run a model's handlers, by name. */
static const char *borrower;
static int sleeping(pid_t pid) { return inv_sleeping_threads(pid, borrower); }

static void stop_while_lent(const char *model, const char *thread_name)
{
    borrower = thread_name;
    tc_server s;
    REQUIRE(inv_start(&s, model, (const char *)0) == 0);
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    /* closing after it: the borrower writes the connection's flags as it answers */
    REQUIRE(!tc_send_str(&c, "GET /sleep/400 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    REQUIRE(inv_wait_value(sleeping, s.pid, 1, 5000) == 1);   /* the handler runs */
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
    static const char *const models[][2] = {
        { "reactor_worker_pool", "nm-worker*" }, { "multi_reactor_worker_pool", "nm-worker*" },
        { "reactor_thread_per_task", "nm-task" }, { "half_sync_half_async", "nm-sync" },
        { "pipeline", "nm-handle" }, { "work_stealing", "nm-steal" },
    };
    /* (hybrid lends as multi_reactor_worker_pool does, in child processes
     * this test does not look into) */
    for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (!inv_has_model(models[i][0])) continue;
        printf("  %s\n", models[i][0]);
        fflush(stdout);
        stop_while_lent(models[i][0], models[i][1]);
    }
}
