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
/* Call the registered handler of each ready fd. */
void nm_loop_dispatch(nm_loop *l, int n);
/* Fire due timers and handle a stop; returns 1 when the loop should end. */
int nm_loop_tick(nm_loop *l);

/* Connection parts. */
void nm_loop_accept(nm_loop *l);              /* accept a batch, adopt each */
int nm_loop_adopt(nm_loop *l, nm_conn *c);
/* The timeout of an adopted connection: dropped (counted) once its
 * deadline has really passed. */
void nm_loop_conn_timeout(nm_timer *t);    /* 0, or -1: refused and closed */
void nm_loop_serve(nm_loop *l, nm_conn *c);   /* drive the session, update interest */
void nm_loop_drop(nm_loop *l, nm_conn *c);    /* unwatch and close */
/* After a model's own drive: wait for `want` with the session's timeout,
 * or drop the connection when want is 0. */
void nm_loop_rearm(nm_loop *l, nm_conn *c, int want);

#endif
