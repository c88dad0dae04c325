#include "blocking.h"
#include "accept.h"
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

void nm_blocking_waits_for_buffers(void)
{
    __atomic_store_n(&nm_buffer_wait, &wait_for_buffer, __ATOMIC_RELAXED);   /* (the same value from every worker) */
}

void nm_blocking_serve(nm_conn *c)
{
    nm_blocking_waits_for_buffers();
    if (!c->in_len) c->read_since = nm_now_ms();   /* its wait for a worker is ours, not its client's */
    c->srv->drive->run_blocking(c);
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
