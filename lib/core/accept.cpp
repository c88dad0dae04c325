#include "accept.h"
#include "../proto/protocol.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int reserve_fd = -1;

void nm_reserve_fd_open(void)
{
    if (reserve_fd < 0) reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void refuse(nm_server *s, int fd)
{
    const char *r = s->proto->refusal;
    if (r) (void)!send(fd, r, strlen(r), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
    nm_count(s, NM_C_REFUSED);
}

/* Out of descriptors: give up the spare one to take the waiting client off
 * the backlog and close it, so the listener does not stay readable and spin. */
static void refuse_emfile(nm_server *s)
{
    if (reserve_fd < 0) {
        nm_count(s, NM_C_REFUSED);
        return;
    }
    close(reserve_fd);
    reserve_fd = -1;
    int fd = accept(s->listen_fd, 0, 0);
    if (fd >= 0) close(fd);
    nm_count(s, NM_C_REFUSED);
    nm_reserve_fd_open();
}

nm_conn *nm_accept(nm_server *s, int nonblocking, int *more)
{
    *more = 0;
    int fd = accept4(s->listen_fd, 0, 0, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
    if (fd < 0) {
        switch (errno) {
        case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
            refuse_emfile(s);
            *more = reserve_fd >= 0;
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
    nm_conn *c = nm_conn_open(s, fd);
    if (!c) {
        refuse(s, fd);
        return 0;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
