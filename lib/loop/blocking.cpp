#include "blocking.h"
#include "accept.h"
#include "pause.h"
#include "../base/timer.h"
#include "../base/queue.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t close_lock = PTHREAD_MUTEX_INITIALIZER;

void nm_blocking_fork_hold(int hold)
{
    if (hold) pthread_mutex_lock(&close_lock);
    else pthread_mutex_unlock(&close_lock);
}

void nm_blocking_listener(int listen_fd)
{
    struct timeval tv;
    tv.tv_sec = NM_STOP_POLL_MS / 1000;
    tv.tv_usec = (NM_STOP_POLL_MS % 1000) * 1000;
    setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

nm_conn *nm_blocking_accept(nm_server *s)
{
    int more;
    nm_gauge_enter(s, NM_G_IN_ACCEPT);
    nm_conn *c = nm_accept(s, 0, &more);
    int timed_out = !c && (errno == EAGAIN || errno == EWOULDBLOCK);   /* the listener's NM_STOP_POLL_MS step */
    nm_gauge_leave(s, NM_G_IN_ACCEPT);
    if (!c && !more && !timed_out && !nm_stop_requested(s)) nm_accept_backoff();   /* accept failing: do not spin */
    nm_user_wait(s, 0);   /* the accepting thread runs the application's callbacks between accepts */
    return c;
}

void nm_blocking_close(nm_conn *c)
{
    pthread_mutex_lock(&close_lock);
    nm_conn_close(c);
    pthread_mutex_unlock(&close_lock);
}

int nm_listener_pending(const nm_server *s)
{
    struct pollfd p;
    p.fd = s->listen_fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* No buffer for a blocking connection's next request: sleep in short steps
 * until one is free (0), or queue_wait_ms or a stop (-1). The wait is not
 * the client's: its read deadline starts after it. */
static int wait_for_buffer(nm_conn *c)
{
    uint64_t start = nm_now_ms(), now = start;
    nm_count(c->srv, NM_C_WAITED);
    while (!nm_buf_spare()) {
        if (nm_stop_requested(c->srv) || now - start >= (uint64_t)c->srv->cfg.queue_wait_ms) return -1;
        struct timespec pause = { 0, NM_QUEUE_RETRY_MS * 1000L * 1000L };
        nanosleep(&pause, 0);
        now = nm_now_ms();
    }
    c->read_since = now;
    return 0;
}

/* Has the client begun its next request? Asked last before an idle
 * connection is given up, so that one whose bytes came as the worker's
 * wait ran out is served, not closed under them (a close with unread
 * bytes resets the connection): the close then goes out as a FIN, which
 * an HTTP client sees before it reuses the connection. */
static int bytes_waiting(const nm_conn *c)
{
    char b;
    return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Idle while others wait for a worker, past its slice or NM_IDLE_YIELD_MS:
 * give it up. */
static int give_up(const nm_conn *c)
{
    const nm_server *s = c->srv;
    return c->read_phase == NM_RP_IDLE && !c->in_len && !c->out_count &&
           ((s->cfg.yield_slice_ms > 0 && nm_conn_slice_spent(c)) || nm_now_ms() - c->read_since >= NM_IDLE_YIELD_MS) &&
           nm_clients_wait(s) && !bytes_waiting(c);
}

static void set_timeout(int fd, int opt, int ms)
{
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* The session's next event after `a` (not a CLOSE). The blocking calls
 * are the waits: a WAIT comes back when one of their steps ran out. */
static int next_event(nm_conn *c, nm_action a)
{
    nm_server *s = c->srv;
    if (a.kind == NM_ACT_PARK) return nm_pause_ops_of(c)->wait(c) ? NM_ON_STOP : NM_ON_READY;   /* a body paused */
    if (a.kind == NM_ACT_QUEUE) {   /* no buffer for its next request or answer */
        if (wait_for_buffer(c)) {
            nm_refuse(s, c->fd);   /* none came: refused (and closed as at a stop) */
            c->flags |= NM_CF_DEAD;
            return NM_ON_STOP;
        }
        c->queued = NM_Q_NONE;
        return NM_ON_READY;
    }
    nm_user_wait(s, 0);   /* a model that serves on the server's thread runs its callbacks here too */
    if (nm_stop_requested(s)) return NM_ON_STOP;
    if (!a.deadline) return NM_ON_TIMEOUT;
    if ((a.io & NM_READ) && give_up(c)) c->flags |= NM_CF_READ_EOF;   /* ended as its client's end would */
    return NM_ON_READY;
}

void nm_blocking_run(nm_conn *c)
{
    nm_server *s = c->srv;
    /* On a blocking socket EAGAIN only means a step ran out: the worker
     * then looks at the stop flag and at the deadline of the state it is in. */
    c->flags |= NM_CF_BLOCKING;
    c->held_since = (uint32_t)nm_now_ms();
    if (!c->in_len) c->read_since = c->held_since;   /* its wait for a worker is ours, not its client's */
    /* Taken while others wait, with a slice: an idle connection is given
     * up as its slice ends, not a whole step later. */
    int step = NM_STOP_POLL_MS, slice = s->cfg.yield_slice_ms;
    if (slice > 0 && slice < step && nm_clients_wait(s)) step = slice;
    set_timeout(c->fd, SO_RCVTIMEO, step);
    set_timeout(c->fd, SO_SNDTIMEO, NM_STOP_POLL_MS);
    for (nm_action a = s->drive->on(c, NM_ON_START); a.kind != NM_ACT_CLOSE;) a = s->drive->on(c, next_event(c, a));
}

void nm_blocking_serve(nm_conn *c)
{
    nm_blocking_run(c);
    nm_blocking_close(c);
}

int nm_room_wait(nm_room *r, const nm_server *s, int (*found)(void *arg, uint64_t until), void *arg)
{
    int got = found(arg, 0);   /* room at once, the usual case: no wait, no clock read here */
    if (!got) {
        uint64_t now = nm_now_ms();
        if (!r->full_since) r->full_since = now;   /* the first wait of a burst starts the bound */
        uint64_t deadline = r->full_since + (uint64_t)s->cfg.queue_wait_ms;
        while (!got && now < deadline && !nm_stop_requested(s)) {
            uint64_t until = now + NM_STOP_POLL_MS < deadline ? now + NM_STOP_POLL_MS : deadline;
            got = found(arg, until);
            now = nm_now_ms();
        }
    }
    if (got) r->full_since = 0;
    return got;
}

int nm_room_pushed(void *push, uint64_t until)
{
    nm_room_push *p = (nm_room_push *)push;
    return !nm_queue_push_until(p->q, p->item, until);
}

void nm_blocking_refuse(nm_conn *c)
{
    nm_refuse(c->srv, c->fd);
    nm_blocking_close(c);
}

void nm_blocking_wake(const nm_server *s, int how)
{
    pthread_mutex_lock(&close_lock);
    for (int fd = 0; fd < NM_MAX_FDS; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (c && c->srv == s) shutdown(fd, how);
    }
    pthread_mutex_unlock(&close_lock);
}
