/* A request read whole while every buffer is held elsewhere waits in its
 * model for its answer's buffer and is answered once one frees, instead of
 * being closed unanswered. In process, so that the test itself can hold the
 * pool's buffers while a server of each kind of model runs. */
#include "../check.h"
#include "../client.h"
#include "../../lib/loop/conn.h"
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct served {
    pthread_t thread;
    const char *model;
    nm_server *srv;   /* set by on_ready; srv, port and done shared: atomic */
    int port, done, rc;
};

static int hello(const nm_request *req, nm_response *res, void *user)
{
    (void)req, (void)user;
    return nm_resp_body(res, "Hello", 5);
}

static void ready(const nm_server *s, int port, void *user)
{
    served *r = (served *)user;
    __atomic_store_n(&r->port, port, __ATOMIC_RELEASE);
    __atomic_store_n(&r->srv, (nm_server *)s, __ATOMIC_RELEASE);
}

static void *serve(void *arg)
{
    served *r = (served *)arg;
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.proactor = "emulated";   /* (io_uring's provided buffers would hand the pool one back as they are read) */
    cfg.on_ready = ready;
    cfg.user = r;
    nm_handler h = { hello, 0 };
    r->rc = nm_run(r->model, &cfg, &h);
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return 0;
}

/* What the client has, without waiting: 1 bytes or EOF, 0 nothing yet. */
static int readable(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, 0) > 0;
}

static void answer_waits_in(const char *model)
{
    static nm_buf *taken[NM_BUF_COUNT];
    served r;
    memset(&r, 0, sizeof(r));
    r.model = model;
    REQUIRE(pthread_create(&r.thread, 0, serve, &r) == 0);
    for (int i = 0; i < 300 && !__atomic_load_n(&r.srv, __ATOMIC_ACQUIRE) && !__atomic_load_n(&r.done, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    nm_server *srv = __atomic_load_n(&r.srv, __ATOMIC_ACQUIRE);
    if (!srv) {
        pthread_join(r.thread, 0);
        fprintf(stderr, "  %s did not start (%d)\n", model, r.rc);
        REQUIRE(srv);
    }
    tc_conn c;
    REQUIRE(tc_connect(&c, __atomic_load_n(&r.port, __ATOMIC_ACQUIRE)) == 0);
    CHECK(tc_send_str(&c, "GET / HTTP/1.1\r\nHo") == 0);
    usleep(200000);   /* read: its input buffer held */
    unsigned n = 0;
    while (n < NM_BUF_COUNT && (taken[n] = nm_buf_get()) != 0) n++;
    CHECK(tc_send_str(&c, "st: h\r\n\r\n") == 0);
    usleep(300000);   /* whole now, and no buffer for its answer */
    CHECK(!readable(c.fd));
    while (n) nm_buf_put(taken[--n]);
    tc_response res;
    char body[16];
    CHECK(tc_read_response(&c, &res, body, sizeof(body)) == 0 && res.status == 200 && res.body_len == 5 &&
          !memcmp(body, "Hello", 5));
    tc_close(&c);
    nm_server_stop(srv);
    pthread_join(r.thread, 0);
    CHECK_EQ(r.rc, NM_OK);
}

TEST(answer_waits_for_a_buffer_epoll) { answer_waits_in("epoll"); }
TEST(answer_waits_for_a_buffer_proactor) { answer_waits_in("proactor"); }
TEST(answer_waits_for_a_buffer_fiber) { answer_waits_in("fiber"); }
TEST(answer_waits_for_a_buffer_coroutine) { answer_waits_in("coroutine"); }
TEST(answer_waits_for_a_buffer_lent_to_workers) { answer_waits_in("reactor_worker_pool"); }
TEST(answer_waits_for_a_buffer_blocking) { answer_waits_in("thread_pool"); }
TEST(answer_waits_for_a_buffer_producer_consumer) { answer_waits_in("producer_consumer"); }
