/* poll.cpp - POSIX poll() port: a dense pollfd array, fd -> slot index. */
#include "port.h"
#ifdef NM_PORT_HAS_POLL   /* (else left out: port.h) */
#include <errno.h>

static int poll_create(nm_port *p)
{
    p->fd = -1;
    p->u.pl.count = p->u.pl.next = 0;
    for (int i = 0; i < NM_MAX_FDS; i++) p->u.pl.slot_of[i] = -1;
    return 0;
}

static void poll_destroy(nm_port *p) { p->u.pl.count = 0; }

static short poll_bits(int mask)
{
    return (short)(((mask & NM_READ) ? POLLIN : 0) | ((mask & NM_WRITE) ? POLLOUT : 0));
}

static int poll_set(nm_port *p, int fd, int old_mask, int mask)
{
    (void)old_mask;
    if (fd < 0 || fd >= NM_MAX_FDS) { errno = EBADF; return -1; }
    int slot = p->u.pl.slot_of[fd];
    if (slot < 0) {
        slot = p->u.pl.count++;
        p->u.pl.slot_of[fd] = (int16_t)slot;
        p->u.pl.fds[slot].fd = fd;
        p->u.pl.fds[slot].revents = 0;
    }
    p->u.pl.fds[slot].events = poll_bits(mask);
    return 0;
}

static void poll_del(nm_port *p, int fd, int old_mask)
{
    (void)old_mask;
    if (fd < 0 || fd >= NM_MAX_FDS || p->u.pl.slot_of[fd] < 0) return;
    int slot = p->u.pl.slot_of[fd];
    int last = --p->u.pl.count;
    if (slot != last) {  /* keep the array dense: move the last entry into the hole */
        p->u.pl.fds[slot] = p->u.pl.fds[last];
        p->u.pl.slot_of[p->u.pl.fds[slot].fd] = (int16_t)slot;
    }
    p->u.pl.slot_of[fd] = -1;
}

static int poll_wait(nm_port *p, nm_event *out, int max, int timeout_ms)
{
    int n = poll(p->u.pl.fds, (nfds_t)p->u.pl.count, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    int got = 0, count = p->u.pl.count, start = p->u.pl.next < count ? p->u.pl.next : 0;
    for (int k = 0; k < count && got < n && got < max; k++) {
        int i = start + k < count ? start + k : start + k - count;
        short r = p->u.pl.fds[i].revents;
        if (!r) continue;
        out[got].fd = p->u.pl.fds[i].fd;
        out[got].mask = ((r & POLLIN) ? NM_READ : 0) | ((r & POLLOUT) ? NM_WRITE : 0) |
                        ((r & POLLHUP) ? NM_HUP | NM_READ : 0) | ((r & (POLLERR | POLLNVAL)) ? NM_ERROR | NM_READ : 0);
        p->u.pl.next = i + 1;
        got++;
    }
    return got;
}

const nm_port_ops nm_port_poll = {
    "poll", poll_create, poll_destroy, poll_set, poll_del, poll_wait, 0, 0, 0, NM_MAX_FDS,
};

#endif
