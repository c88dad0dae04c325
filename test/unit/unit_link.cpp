/* A connection's link does one job at a time, and says which
 * (nm_conn.link_job): its deadline in the wheel, a posting on its way to a
 * loop with what it wants there, or a wait in a queue since a time. */
#include "../check.h"
#include "rig.h"
#include "../../lib/loop/loop.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static nm_conn *returned;
static int returned_want, returned_job;

static void on_return(nm_loop *l, nm_conn *c, int want)
{
    (void)l;
    returned = c;
    returned_want = want;
    returned_job = c->link_job;
}

static void never(nm_loop *, int, int, void *) {}

TEST(link_one_job_at_a_time)
{
    rig r;
    REQUIRE(rig_open(&r, NM_PROTO_HTTP) == 0);
    nm_conn *c = r.c;
    CHECK_EQ(c->link_job, NM_LJ_TIMER);
    CHECK(!nm_timer_armed(&c->timer));
    nm_loop *l = nm_loop_open(&r.srv, &nm_port_poll, 0);
    REQUIRE(l != 0);
    l->conn_fn = never;
    l->on_return = on_return;
    REQUIRE(nm_loop_adopt(l, c) == 0);
    CHECK_EQ(c->link_job, NM_LJ_TIMER);
    CHECK(nm_timer_armed(&c->timer));
    CHECK(c->timer.fn == nm_loop_conn_timeout);
    unsigned armed = l->wheel.armed;

    /* Away and back: its deadline stopped, a posting carries its want. */
    nm_loop_send_away(l, c);
    CHECK(!nm_timer_armed(&c->timer));
    CHECK_EQ(l->wheel.armed, armed - 1);
    nm_loop_return(c, NM_WRITE);
    CHECK_EQ(c->link_job, NM_LJ_POSTED);
    CHECK_EQ(c->post.want, NM_WRITE);
    CHECK_EQ(l->wheel.armed, armed - 1);   /* the posting is no timer of the wheel's */
    returned = 0;
    nm_loop_run_posted(l);
    CHECK(returned == c);
    CHECK_EQ(returned_want, NM_WRITE);
    CHECK_EQ(returned_job, NM_LJ_TIMER);   /* a stopped timer again when it arrives */
    CHECK(!nm_timer_armed(&c->timer));
    CHECK_EQ(nm_loop_rearm(l, c, NM_READ), 1);
    CHECK(nm_timer_armed(&c->timer));
    CHECK(c->timer.fn == nm_loop_conn_timeout);

    /* A wait: out of the wheel, in the queue since now; out of it, a stopped timer. */
    l->now += 7;
    nm_loop_queue(l, c);
    CHECK_EQ(c->link_job, NM_LJ_WAITING);
    CHECK_EQ(c->wait.since, l->now);
    CHECK_EQ(l->wheel.armed, armed - 1);
    CHECK(l->queue.next == &c->wait.link);
    nm_loop_queue(l, c);   /* queued already: its place and its time kept */
    CHECK_EQ(c->wait.since, l->now);
    CHECK(l->queue.next == &c->wait.link && l->queue.prev == &c->wait.link);
    nm_loop_unqueue(c);
    CHECK_EQ(c->link_job, NM_LJ_TIMER);
    CHECK(!nm_timer_armed(&c->timer));
    CHECK(nm_link_empty(&l->queue));

    nm_loop_drop(l, c);
    r.c = 0;
    CHECK_EQ(l->live, 0);
    nm_loop_close(l);
    rig_close(&r);
    nm_clock_round(0);
}

#ifdef NM_CHECKS
/* A link taken for a job it is not doing stops the program, naming it. */
TEST(link_wrong_job_is_caught)
{
    rig r;
    REQUIRE(rig_open(&r, NM_PROTO_HTTP) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(2);   /* (its line is not this run's) */
        nm_conn_link_job(r.c, NM_LJ_POSTED, NM_LJ_TIMER);   /* it is a timer, not a posting */
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    rig_close(&r);
}
#endif
