#include "accept.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One spare descriptor per process. Threads of a model that all accept give
 * it up and take it back under the lock: two closing it at once would close
 * whatever descriptor took its number in between. */
static int reserve_fd = -1;
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;

static void reserve_open_locked(void)
{
    if (reserve_fd < 0) reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void nm_reserve_fd_open(void)
{
    pthread_mutex_lock(&reserve_lock);
    reserve_open_locked();
    pthread_mutex_unlock(&reserve_lock);
}

void nm_accept_fork_hold(int hold)
{
    if (hold) pthread_mutex_lock(&reserve_lock);
    else pthread_mutex_unlock(&reserve_lock);
}

void nm_refuse(nm_server *s, int fd)
{
    const char *r = s->refusal;
    if (r) (void)!send(fd, r, strlen(r), MSG_NOSIGNAL | MSG_DONTWAIT);
    nm_count(s, NM_C_REFUSED);
}

void nm_accept_backoff(void)
{
    struct timespec pause = { NM_ACCEPT_BACKOFF_MS / 1000, (NM_ACCEPT_BACKOFF_MS % 1000) * 1000L * 1000L };
    nanosleep(&pause, 0);
}

/* Out of descriptors: give up the spare one to take the waiting client off
 * the backlog and close it, so the listener does not stay readable and spin.
 * Another thread may take the freed number first and the spare be lost
 * until descriptors come back: then pause a moment instead of spinning.
 * Returns 1 when a client was taken off the backlog. */
static int refuse_emfile(nm_server *s)
{
    nm_count(s, NM_C_REFUSED);
    int drained = 0;
    pthread_mutex_lock(&reserve_lock);
    reserve_open_locked();
    if (reserve_fd >= 0) {
        close(reserve_fd);
        reserve_fd = -1;
        int fd = accept(s->listen_fd, 0, 0);
        if (fd >= 0) close(fd);
        drained = fd >= 0;
        reserve_open_locked();
    }
    pthread_mutex_unlock(&reserve_lock);
    if (!drained) nm_accept_backoff();
    return drained;
}

/* The run-time cap below the slot pool; 0 or less: the pool is the cap. */
static int over_cap(nm_server *s)
{
    int cap = s->cfg.max_conns;
    return cap > 0 && __atomic_load_n(nm_counter(s, NM_C_ACTIVE), __ATOMIC_RELAXED) >= (unsigned long)cap;
}

nm_conn *nm_accept(nm_server *s, int nonblocking, int *more)
{
    *more = 0;
    int fd = accept4(s->listen_fd, 0, 0, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
    if (fd < 0) {
        switch (errno) {
        case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
            *more = refuse_emfile(s);
            return 0;
        case ECONNABORTED: case EINTR: case EPROTO:
            *more = !nm_stop_requested(s);
            return 0;
        default:
            return 0;   /* EAGAIN, or the listener was closed by a stop */
        }
    }
    nm_count(s, NM_C_ACCEPTED);
    *more = 1;
    nm_conn *c = over_cap(s) ? 0 : nm_conn_open(s, fd);
    if (!c) {
        nm_refuse(s, fd);
        close(fd);
        return 0;
    }
#if !defined(__linux__) && !defined(__FreeBSD__)
    /* Linux and FreeBSD hand the listener's TCP_NODELAY to every accepted
     * socket: a syscall per connection saved there. */
    int one = 1;
    if (s->listen_family != AF_UNIX) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#endif
    return c;
}

void nm_accept_each(nm_server *s, int nonblocking, void (*take)(nm_conn *c, void *ctx), void *ctx)
{
    int more = 1;
    for (int i = 0; more && i < NM_ACCEPT_BATCH; i++) {
        nm_conn *c = nm_accept(s, nonblocking, &more);
        if (c) take(c, ctx);
    }
}
