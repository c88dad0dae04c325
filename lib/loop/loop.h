/* loop.h - an event loop over one port: the Reactor of the reactor family.
 *
 * A loop owns a port, a timer wheel and a table of channels (fd -> callback).
 * Handlers register interest and the loop calls them back when the port
 * reports their fd ready ("don't call us, we call you"). One loop belongs to
 * one thread. The connection parts (adopt, serve, drop) are shared by every
 * loop-based model, so a model file is wiring. */
#ifndef NM_LOOP_H
#define NM_LOOP_H

#include "conn.h"
#include "../base/wakeup.h"
#include "../../ports/port.h"

struct nm_loop;
typedef void (*nm_io_fn)(nm_loop *l, int fd, int mask, void *ctx);

struct nm_channel {
    nm_io_fn fn;
    void *ctx;
    uint8_t mask;
};

struct nm_loop {
    nm_port port;
    nm_wheel wheel;
    uint64_t now;            /* ms, refreshed after every wait */
    nm_server *srv;
    int live;                /* connections this loop owns */
    int draining;            /* stop seen: listener closed, idle ones closed */
    uint64_t drain_deadline;
    nm_io_fn conn_fn;        /* channel callback for adopted connections */
    /* Where nm_loop_accept puts a new connection; NULL: adopt it here. */
    int (*place)(nm_loop *l, nm_conn *c);
    void *user;              /* the model's, e.g. the loop thread that runs it */
    int max_wait_ms;         /* the longest sleep in a wait; 0: the default (500), < 0: none */
    /* A connection posted back with nm_loop_return arrives here, on the
     * loop's thread; NULL: take it back and wait for what it wants. */
    void (*on_return)(nm_loop *l, nm_conn *c, int want);
    /* The inbox: what other threads hand this loop (nm_loop_post), a stack
     * linked through the postings themselves, taken whole each round. */
    nm_posting *posted;
    nm_wakeup wake;
    int sleeping;            /* in (or about to enter) its wait: posters wake it */
    int signalled;           /* a wakeup is on its way: posters need not send another */
    int closed;              /* nm_loop_close has begun: what arrives now is closed */
    nm_user_svc *svc;        /* the application's watches, timers and posts it runs, or NULL */
    /* Serve c, which has bytes queued from outside its handler (nm_send);
     * NULL: this loop's model does not take them. */
    void (*kick)(nm_loop *l, nm_conn *c);
    /* Drive c again, its paused body resumed (pause.h); NULL: watch it and
     * call conn_fn as if it were readable, or kick without one. */
    void (*unpark)(nm_loop *l, nm_conn *c);
    /* Connections waiting for a buffer or a place (nm_loop_queue), oldest
     * first, linked through their wait entries (conn.h: nm_conn.wait). */
    nm_link queue;
    nm_conn *retrying;       /* the one nm_loop_retry drives again now */
    uint64_t retrying_since; /* ... which has waited since (ms) */
    int stuck;               /* ... which found no room and waits on */
    /* Drive a waiting connection again; NULL: its channel's callback (as if
     * readable), or kick in a loop without channels. */
    void (*retry)(nm_loop *l, nm_conn *c);
    nm_event events[NM_MAX_EVENTS];
    nm_channel ch[NM_MAX_FDS];
};

/* Take a loop from the static loop pool and open its port; NULL on failure. */
nm_loop *nm_loop_open(nm_server *s, const nm_port_ops *port, int edge);
void nm_loop_close(nm_loop *l);

/* Watch fd for mask (0: stop watching). fn may be NULL for loops that
 * dispatch themselves. 0 or -1 when the port refuses the fd. */
int nm_loop_watch(nm_loop *l, int fd, int mask, nm_io_fn fn, void *ctx);

/* Wait for readiness (bounded by the next timer) and fill l->events;
 * returns how many. */
int nm_loop_wait(nm_loop *l);
/* What a wait may sleep (ms), and the clock read after any wait: for loops
 * that sleep in something other than their port. */
int nm_loop_wait_ms(const nm_loop *l);
void nm_loop_clock(nm_loop *l);
/* Readiness now, without sleeping: how many events. */
int nm_loop_poll(nm_loop *l);
/* Call the registered handler of each ready fd. */
void nm_loop_dispatch(nm_loop *l, int n);
/* Fire due timers and handle a stop; returns 1 when the loop should end. */
int nm_loop_tick(nm_loop *l);
/* Run l on this thread, round after round (wait, dispatch, tick), until
 * its server stops and it has drained. */
void nm_loop_run_until_drained(nm_loop *l);

/* Handing work to a loop from any thread: the one verb. A posting
 * (conn.h: nm_posting) lives in the storage of what is posted (a
 * connection's link, a task's, a call's); the loop calls `arrive` with it
 * on its own thread, in the order posted, within a round (a sleeping loop
 * is woken, once per batch). Posting never fails and never waits: the inbox
 * is linked through the postings, so it is never full. */
void nm_loop_post(nm_loop *l, nm_posting *p, void (*arrive)(nm_posting *p));
/* Wake l if it sleeps (or is about to) and no wakeup is on its way: 1 if
 * this rang. Work published before the call is seen by its next round. */
int nm_loop_nudge(nm_loop *l);
/* Run what was posted to l (nm_loop_tick does, each round; for loops that
 * do not tick). */
void nm_loop_run_posted(nm_loop *l);
/* Wake l unconditionally (a stop to pass on, work to come and steal). */
void nm_loop_wake(nm_loop *l);
/* For loops that sleep in something other than nm_loop_wait: call before
 * the sleep (returns the ms it may last: 0 when posts wait) and after it. */
int nm_loop_sleep_begin(nm_loop *l, int ms);
void nm_loop_sleep_end(nm_loop *l);
/* Call the channel of ready event i (for loops that dispatch themselves). */
void nm_loop_dispatch_one(nm_loop *l, int i);

/* Connections handed between loops and threads, through nm_loop_post. */
/* Give a new connection to loop `to` (from another loop's thread). */
void nm_loop_hand_over(nm_loop *to, nm_conn *c);
/* Loop thread: c leaves to be served by another thread (unwatched, no
 * timer, left alone by a draining loop) until it comes back. */
void nm_loop_send_away(nm_loop *l, nm_conn *c);
/* Any thread: c (lent or sent away) goes back to the loop that owns it,
 * wanting `want` (NM_READ, NM_WRITE, or 0: finished); the loop calls its
 * on_return with it. */
void nm_loop_return(nm_conn *c, int want);
/* What on_return does by default: take c home and rearm it for `want`
 * (nm_loop_rearm), dropped if idle while the loop drains; 1 if it is still
 * open. */
int nm_loop_take_back(nm_loop *l, nm_conn *c, int want);

/* Connection parts. */
void nm_loop_accept(nm_loop *l);              /* accept a batch, adopt each */
/* Watch a new connection for what the session answers NM_ON_START: 0, or
 * -1 (closed: the port refused it, or its transport did not start). */
int nm_loop_adopt(nm_loop *l, nm_conn *c);
/* The timeout of an adopted connection: once its deadline has really
 * passed, the session is told (NM_ON_TIMEOUT, counted) and it is dropped. */
void nm_loop_conn_timeout(nm_timer *t);    /* 0, or -1: refused and closed */
/* Tell the session c is ready (NM_ON_READY) and do what it answers. */
void nm_loop_serve(nm_loop *l, nm_conn *c);
/* Do an action of the session (lib/session/session.h): wait for its io
 * with its deadline, park, queue, or drop the connection. */
void nm_loop_act(nm_loop *l, nm_conn *c, nm_action a);
void nm_loop_drop(nm_loop *l, nm_conn *c);    /* unwatch and close */
/* After a model's own drive: wait for `want` with the session's timeout,
 * or drop the connection when want is 0 or the port refuses it (NM_PARK,
 * NM_QUEUE: nm_loop_hold); 1 if it waits for its port. */
int nm_loop_rearm(nm_loop *l, nm_conn *c, int want);
/* c's body is paused: watch nothing (events already reported for it are
 * ignored; its channel's ctx kept), no timer, until nm_body_resume posts it
 * back (nm_loop_unpark_post); a resume that came first posts it at once. */
void nm_loop_park(nm_loop *l, nm_conn *c);
/* Any thread that resumed c: l drives it again on its own thread. */
void nm_loop_unpark_post(nm_loop *l, nm_conn *c);

/* Backpressure. c found no buffer, or no place to go (a full worker queue,
 * no free fiber, full mailboxes): it waits in l's queue, watched for nothing
 * (what the client sent stays in the kernel, or in its buffer), with no
 * timer: time in our queue is not the client's (one with nothing read yet
 * has its read deadline start when it is driven again). Each round
 * (nm_loop_tick) the loop drives the oldest again, then the next, until one
 * finds no room yet; one that has waited cfg.queue_wait_ms gets the
 * protocol's 503 and is driven once more marked dead, for its driver to
 * close. A connection the retry queues again keeps its place at the head. */
void nm_loop_queue(nm_loop *l, nm_conn *c);
void nm_loop_retry(nm_loop *l);
/* c waits for nothing from its port: want NM_PARK (its body paused:
 * nm_loop_park) or NM_QUEUE (no room: nm_loop_queue) holds it here, 1;
 * any other want, 0. For the drivers' rearms. */
int nm_loop_hold(nm_loop *l, nm_conn *c, int want);
/* Out of the queue, if in it (a close). */
void nm_loop_unqueue(nm_conn *c);

#endif
