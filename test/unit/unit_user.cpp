/* The application's watches, timers and posts (netmodels.h), in-process:
 * each capacity refuses past its end at once, a timer's id stops only that
 * timer, and what was set before the server's loop opened runs once it does. */
#include "../check.h"
#include "../lib/loop/loop.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int calls;
static void count_call(const nm_server *, void *) { calls++; }
static void count_io(const nm_server *, int, int, void *) { calls++; }

static nm_server *server_here(void)
{
    static nm_server srv;
    memset(&srv, 0, sizeof(srv));
    nm_config_init(&srv.cfg);
    srv.port = &nm_port_poll;
    srv.counters = &srv.own_counters;
    srv.listen_fd = -1;
    nm_user_begin(&srv);   /* this thread is the server's */
    calls = 0;
    return &srv;
}

TEST(user_post_refuses_at_once_when_the_queue_is_full_and_runs_in_order)
{
    nm_server *s = server_here();
    for (int i = 0; i < NM_USER_POSTS; i++) CHECK_EQ(nm_post(s, count_call, 0), 0);
    CHECK_EQ(nm_post(s, count_call, 0), -1);   /* full: no wait */
    nm_loop *l = nm_loop_open(s, &nm_port_poll, 0);   /* the server's loop takes them over */
    REQUIRE(l != 0);
    CHECK_EQ(calls, 0);
    nm_loop_tick(l);
    CHECK_EQ(calls, NM_USER_POSTS);
    CHECK_EQ(nm_post(s, count_call, 0), 0);   /* room again */
    nm_loop_close(l);
    nm_user_end(s);
    CHECK_EQ(nm_post(s, count_call, 0), -1);   /* a server that ended runs nothing more */
    nm_clock_round(0);
}

TEST(user_watches_refuse_past_their_capacity_and_bad_fds)
{
    nm_server *s = server_here();
    int p[2];
    REQUIRE(pipe(p) == 0);
    int fds[NM_USER_WATCHES + 1];
    for (int i = 0; i <= NM_USER_WATCHES; i++) fds[i] = dup(p[0]);
    for (int i = 0; i < NM_USER_WATCHES; i++) CHECK_EQ(nm_watch(s, fds[i], NM_EV_READ, count_io, 0), 0);
    CHECK_EQ(nm_watch(s, fds[NM_USER_WATCHES], NM_EV_READ, count_io, 0), -1);
    CHECK_EQ(nm_watch(s, fds[0], NM_EV_READ, count_io, 0), 0);   /* the same fd again: changed, not added */
    CHECK_EQ(nm_watch(s, -1, NM_EV_READ, count_io, 0), -1);
    CHECK_EQ(nm_watch(s, fds[0], 0, 0, 0), 0);
    CHECK_EQ(nm_watch(s, fds[NM_USER_WATCHES], NM_EV_READ, count_io, 0), 0);   /* its place is free again */
    /* Set before the loop opened, watched once it does. */
    nm_loop *l = nm_loop_open(s, &nm_port_poll, 0);
    REQUIRE(l != 0);
    REQUIRE(write(p[1], "x", 1) == 1);
    nm_loop_dispatch(l, nm_loop_poll(l));
    CHECK_EQ(calls, NM_USER_WATCHES);   /* every watch but the one stopped, each a dup of the pipe */
    nm_loop_close(l);
    nm_user_end(s);
    for (int i = 0; i <= NM_USER_WATCHES; i++) close(fds[i]);
    close(p[0]);
    close(p[1]);
    nm_clock_round(0);
}

TEST(user_timer_ids_stop_only_their_own_timer)
{
    nm_server *s = server_here();
    int ids[NM_USER_TIMERS];
    for (int i = 0; i < NM_USER_TIMERS; i++) CHECK((ids[i] = nm_timer_start(s, 10, 0, count_call, 0)) >= 0);
    CHECK_EQ(nm_timer_start(s, 10, 0, count_call, 0), -1);   /* every timer in use */
    CHECK_EQ(nm_timer_stop(s, ids[0]), 0);
    CHECK_EQ(nm_timer_stop(s, ids[0]), -1);                  /* stopped already */
    int again = nm_timer_start(s, 10, 1, count_call, 0);     /* takes the freed place */
    CHECK(again >= 0 && again != ids[0]);
    CHECK_EQ(nm_timer_stop(s, ids[0]), -1);                  /* the old id does not stop the new timer */
    nm_loop *l = nm_loop_open(s, &nm_port_poll, 0);
    REQUIRE(l != 0);
    uint64_t end = nm_now_ms() + 2000;   /* a bound, not a measure */
    while (calls < NM_USER_TIMERS - 1 + 3 && nm_now_ms() < end) {
        nm_loop_dispatch(l, nm_loop_wait(l));
        nm_loop_tick(l);
    }
    CHECK(calls >= NM_USER_TIMERS - 1 + 3);   /* each one-shot once, the periodic one again and again */
    CHECK_EQ(nm_timer_stop(s, ids[1]), -1);    /* a one-shot that fired is gone */
    CHECK_EQ(nm_timer_stop(s, again), 0);
    nm_loop_close(l);
    nm_user_end(s);
    nm_clock_round(0);
}
