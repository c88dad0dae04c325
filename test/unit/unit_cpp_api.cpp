/* The C++ face: a class with handle() served through nm::run, talked to over
 * loopback, then stopped. Also the header lookup helper. */
#include "../check.h"
#include "../client.h"
#include "netmodels.hpp"
#include <pthread.h>
#include <string.h>

namespace {

struct Greeter {
    int calls = 0;
    int handle(const nm_request &req, nm::Response &res)
    {
        calls++;
        nm_slice who = nm::header(req, "x-name");
        if (!nm::equals(req.target, "/hi")) {
            res.status(404);
            return res.body("no\n");
        }
        res.header("Content-Type", "text/plain");
        char text[64] = "hi ";
        memcpy(text + 3, who.p, who.n < 60 ? who.n : 60);
        return res.body(text, 3 + (who.n < 60 ? who.n : 60));
    }
};

Greeter greeter;
volatile int ready_port;
int run_rc = -1;

void on_ready(const nm_server *, int port, void *) { __atomic_store_n(&ready_port, port, __ATOMIC_RELEASE); }

/* nm::run(model, cfg, app) on a thread of its own. */
template <class App> struct serving {
    const char *model;
    App *app;
    void (*on_ready)(const nm_server *, int, void *);
    int *rc;
};

template <class App> void *serve_app(void *arg)
{
    serving<App> *w = static_cast<serving<App> *>(arg);
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = w->on_ready;
    *w->rc = nm::run(w->model, cfg, *w->app);
    return 0;
}

serving<Greeter> greeting = { "reactor", &greeter, on_ready, &run_rc };

} // namespace

TEST(cpp_api_serves_a_class_handler)
{
    pthread_t t;
    ready_port = 0;
    REQUIRE(pthread_create(&t, 0, serve_app<Greeter>, &greeting) == 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&ready_port, __ATOMIC_ACQUIRE); i++) tc_sleep_ms(10);
    REQUIRE(ready_port);
    tc_conn c;
    REQUIRE(!tc_connect(&c, ready_port));
    REQUIRE(!tc_send_str(&c, "GET /hi HTTP/1.1\r\nHost: t\r\nX-Name: board\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
    tc_response r;
    char body[64] = { 0 };
    CHECK(!tc_read_response(&c, &r, body, sizeof(body) - 1));
    CHECK_EQ(r.status, 200);
    CHECK(!strcmp(body, "hi board"));
    CHECK(!tc_read_response(&c, &r, body, sizeof(body) - 1));
    CHECK_EQ(r.status, 404);
    tc_close(&c);
    nm_server_stop(0);
    pthread_join(t, 0);
    CHECK_EQ(run_rc, NM_OK);
    CHECK_EQ(greeter.calls, 2);
}

namespace {

/* Member functions of one object, run by the server's loop. */
struct Board {
    int ticks = 0, posts = 0;
    const nm_server *srv = 0;
    void tick(const nm_server *) { __atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED); }
    void reload(const nm_server *) { __atomic_fetch_add(&posts, 1, __ATOMIC_RELAXED); }
    int handle(const nm_request &, nm::Response &res) { return res.body("ok"); }
};

Board board;
int board_rc = -1;

void board_ready(const nm_server *srv, int, void *)
{
    nm::every<Board, &Board::tick>(srv, 5, board);
    __atomic_store_n(&board.srv, srv, __ATOMIC_RELEASE);
}

serving<Board> boarding = { "epoll", &board, board_ready, &board_rc };

} // namespace

TEST(cpp_api_runs_member_functions_in_the_servers_loop)
{
    pthread_t t;
    REQUIRE(pthread_create(&t, 0, serve_app<Board>, &boarding) == 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&board.srv, __ATOMIC_ACQUIRE); i++) tc_sleep_ms(10);
    REQUIRE(board.srv);
    int posted = nm::post<Board, &Board::reload>(board.srv, board);   /* from this thread, not the server's */
    CHECK_EQ(posted, 0);
    for (int i = 0; i < 500 && (__atomic_load_n(&board.ticks, __ATOMIC_RELAXED) < 3 ||
                                !__atomic_load_n(&board.posts, __ATOMIC_RELAXED)); i++)
        tc_sleep_ms(10);
    CHECK(__atomic_load_n(&board.ticks, __ATOMIC_RELAXED) >= 3);
    CHECK_EQ(__atomic_load_n(&board.posts, __ATOMIC_RELAXED), 1);
    nm_server_stop(0);
    pthread_join(t, 0);
    CHECK_EQ(board_rc, NM_OK);
}
