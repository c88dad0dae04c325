/* Backpressure in a loop: a connection that found no buffer or no place
 * waits in its loop's queue (nm_loop_queue) watched for nothing and with no
 * timer, and each round the loop drives the oldest again (nm_loop_retry)
 * until one finds no room; one that waited its server's queue_wait_ms is
 * refused with the protocol's 503. */
#include "../check.h"
#include "rig.h"
#include "../../lib/loop/loop.h"
#include <string.h>
#include <sys/socket.h>

static nm_conn *tried[16];
static int ntried, room;

/* The model's drive, as a retry sees it: closed when refused (dead), on its
 * way while there is room, else queued again. */
static void retry_fn(nm_loop *l, nm_conn *c)
{
    tried[ntried++] = c;
    if (c->flags & NM_CF_DEAD) {
        nm_loop_drop(l, c);
    } else if (room > 0) {
        room--;
        nm_loop_rearm(l, c, NM_READ);
    } else {
        nm_loop_queue(l, c);
    }
}

static void never(nm_loop *, int, int, void *) {}

static void retry_round(nm_loop *l, int with_room)
{
    ntried = 0;
    room = with_room;
    nm_loop_tick(l);
}

TEST(loop_queue_waits_in_order_and_refuses_past_its_bound)
{
    rig r[3];
    for (int i = 0; i < 3; i++) REQUIRE(rig_open(&r[i], NM_PROTO_HTTP) == 0);
    nm_loop *l = nm_loop_open(&r[0].srv, &nm_port_poll, 0);
    REQUIRE(l != 0);
    l->conn_fn = never;
    l->retry = retry_fn;
    for (int i = 0; i < 3; i++) REQUIRE(nm_loop_adopt(l, r[i].c) == 0);
    unsigned armed = l->wheel.armed;
    uint64_t start = l->now, a_since = r[0].c->read_since;
    for (int i = 0; i < 3; i++) nm_loop_queue(l, r[i].c);
    /* watched for nothing, no timer running, counted once each */
    CHECK_EQ(l->wheel.armed, armed - 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(l->ch[r[i].c->fd].mask, 0);
        CHECK_EQ(r[i].c->queued, NM_Q_IN);
        CHECK_EQ(rig_counter(&r[i], NM_C_WAITED), 1);
    }
    CHECK(nm_loop_wait_ms(l) <= NM_QUEUE_RETRY_MS);   /* a loop with waiters looks again soon */

    /* Room for one: the oldest goes on, the next finds none and stops the round. */
    l->now = start + 40;
    r[0].c->read_since = start - 1000;   /* as if it had been accepted a second before */
    a_since = r[0].c->read_since;
    retry_round(l, 1);
    CHECK_EQ(ntried, 2);
    CHECK(tried[0] == r[0].c && tried[1] == r[1].c);
    CHECK_EQ(r[0].c->queued, NM_Q_NONE);
    CHECK_EQ(l->ch[r[0].c->fd].mask, NM_READ);
    CHECK_EQ(r[0].c->read_since, start + 40);   /* nothing read yet: its deadline starts now, the wait was ours */
    CHECK(a_since < start + 40);
    CHECK_EQ(rig_counter(&r[1], NM_C_WAITED), 1);   /* queued again: the same wait, first in line */
    retry_round(l, 0);
    CHECK_EQ(ntried, 1);
    CHECK(tried[0] == r[1].c);

    /* No buffer free for new requests: nobody without one is even tried. */
    static nm_buf *taken[NM_BUF_COUNT];
    unsigned n = 0;
    while (nm_buf_free() > NM_BUF_ANSWER_RESERVE) taken[n++] = nm_buf_get();
    retry_round(l, 5);
    CHECK_EQ(ntried, 0);
    while (n) nm_buf_put(taken[--n]);

    /* Past its bound the head is refused (503, counted) and handed to its
     * driver dead, which closes it (a fiber must unwind); the next one,
     * whose bound is longer, is tried and waits on. */
    r[1].srv.cfg.queue_wait_ms = 50;
    int fd1 = r[1].c->fd;
    nm_conn *c1 = r[1].c;
    l->now = start + 60;
    retry_round(l, 0);
    CHECK_EQ(ntried, 2);
    CHECK(tried[0] == c1 && tried[1] == r[2].c);
    CHECK_EQ(rig_counter(&r[1], NM_C_REFUSED), 1);
    CHECK(nm_conn_of_fd(fd1) == 0);
    r[1].c = 0;
    char got[128] = { 0 };
    CHECK(recv(r[1].peer, got, sizeof(got) - 1, MSG_DONTWAIT) > 0 && strstr(got, "HTTP/1.1 503") == got);
    CHECK_EQ(r[2].c->queued, NM_Q_IN);
    CHECK_EQ(rig_counter(&r[2], NM_C_REFUSED), 0);

    /* A close takes a waiting connection out of the queue. */
    nm_loop_drop(l, r[2].c);
    r[2].c = 0;
    CHECK(nm_link_empty(&l->queue));
    nm_loop_drop(l, r[0].c);
    r[0].c = 0;
    CHECK_EQ(l->live, 0);
    nm_loop_close(l);
    for (int i = 0; i < 3; i++) rig_close(&r[i]);
    nm_clock_round(0);
}
