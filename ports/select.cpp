/* select.cpp - select() port, the fallback every POSIX system has.
 * An fd at or above FD_SETSIZE cannot be put in an fd_set: set() refuses it
 * with EBADF rather than write past the set. */
#include "port.h"
#ifdef NM_PORT_HAS_SELECT   /* (else left out: port.h) */
#include <errno.h>

static int select_create(nm_port *p)
{
    p->fd = -1;
    FD_ZERO(&p->u.sel.rd);
    FD_ZERO(&p->u.sel.wr);
    p->u.sel.maxfd = -1;
    p->u.sel.next = 0;
    return 0;
}

static void select_destroy(nm_port *p) { p->u.sel.maxfd = -1; }

static int select_set(nm_port *p, int fd, int old_mask, int mask)
{
    (void)old_mask;
    if (fd < 0 || fd >= FD_SETSIZE || fd >= NM_MAX_FDS) { errno = EBADF; return -1; }
    if (mask & NM_READ) FD_SET(fd, &p->u.sel.rd); else FD_CLR(fd, &p->u.sel.rd);
    if (mask & NM_WRITE) FD_SET(fd, &p->u.sel.wr); else FD_CLR(fd, &p->u.sel.wr);
    if (fd > p->u.sel.maxfd) p->u.sel.maxfd = fd;
    return 0;
}

static void select_del(nm_port *p, int fd, int old_mask)
{
    (void)old_mask;
    if (fd < 0 || fd >= FD_SETSIZE || fd >= NM_MAX_FDS) return;
    FD_CLR(fd, &p->u.sel.rd);
    FD_CLR(fd, &p->u.sel.wr);
    while (p->u.sel.maxfd >= 0 && !FD_ISSET(p->u.sel.maxfd, &p->u.sel.rd) &&
           !FD_ISSET(p->u.sel.maxfd, &p->u.sel.wr))
        p->u.sel.maxfd--;
}

static int select_wait(nm_port *p, nm_event *out, int max, int timeout_ms)
{
    fd_set rd = p->u.sel.rd, wr = p->u.sel.wr;
    struct timeval tv, *tvp = 0;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    int n = select(p->u.sel.maxfd + 1, &rd, &wr, 0, tvp);
    if (n < 0) return errno == EINTR ? 0 : -1;
    int got = 0, span = p->u.sel.maxfd + 1, start = p->u.sel.next < span ? p->u.sel.next : 0;
    for (int k = 0; k < span && got < max && got < n; k++) {
        int fd = start + k < span ? start + k : start + k - span;
        int mask = (FD_ISSET(fd, &rd) ? NM_READ : 0) | (FD_ISSET(fd, &wr) ? NM_WRITE : 0);
        if (!mask) continue;
        out[got].fd = fd;
        out[got].mask = mask;
        p->u.sel.next = fd + 1;
        got++;
    }
    return got;
}

const nm_port_ops nm_port_select = {
    "select", select_create, select_destroy, select_set, select_del, select_wait, 0, 0, 0, FD_SETSIZE,
};

#endif
