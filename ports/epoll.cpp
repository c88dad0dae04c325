/* epoll.cpp - Linux epoll port, level- or edge-triggered. */
#include "port.h"
#ifdef __linux__
#include <stddef.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <errno.h>

static_assert(sizeof(epoll_event) * NM_MAX_EVENTS <= sizeof(((nm_port *)0)->u.native),
              "epoll batch does not fit the port");
static_assert(alignof(epoll_event) <= alignof(decltype(((nm_port *)0)->u)) &&
                  offsetof(nm_port, u) % alignof(epoll_event) == 0,
              "epoll batch misaligned in the port");

static int epoll_create_port(nm_port *p)
{
    p->fd = epoll_create1(EPOLL_CLOEXEC);
    return p->fd < 0 ? -1 : 0;
}

static void epoll_destroy(nm_port *p)
{
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

static int epoll_set(nm_port *p, int fd, int old_mask, int mask)
{
    struct epoll_event ev;
    ev.events = ((mask & NM_READ) ? EPOLLIN | EPOLLRDHUP : 0u) | ((mask & NM_WRITE) ? EPOLLOUT : 0u) |
                (p->edge ? (uint32_t)EPOLLET : 0u);
    ev.data.u64 = 0;
    ev.data.fd = fd;
#ifdef EPOLLEXCLUSIVE
    /* Only one of the processes waiting on a shared listener is woken; a
     * kernel without it (EINVAL) falls back to waking them all. */
    if ((mask & NM_SHARED) && !old_mask) {
        struct epoll_event ex = ev;
        ex.events = (ev.events & ~(uint32_t)EPOLLRDHUP) | EPOLLEXCLUSIVE;   /* RDHUP is not allowed with it */
        if (!epoll_ctl(p->fd, EPOLL_CTL_ADD, fd, &ex)) return 0;
    }
#endif
    return epoll_ctl(p->fd, old_mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
}

static void epoll_del(nm_port *p, int fd, int old_mask)
{
    struct epoll_event ev = {};
    if (old_mask) epoll_ctl(p->fd, EPOLL_CTL_DEL, fd, &ev);
}

static int epoll_wait_port(nm_port *p, nm_event *out, int max, int timeout_ms)
{
    struct epoll_event *evs = (struct epoll_event *)p->u.native;
    if (max > NM_MAX_EVENTS) max = NM_MAX_EVENTS;
    int n = epoll_wait(p->fd, evs, max, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        out[i].fd = evs[i].data.fd;
        out[i].mask = ((e & (EPOLLIN | EPOLLRDHUP)) ? NM_READ : 0) | ((e & EPOLLOUT) ? NM_WRITE : 0) |
                      ((e & EPOLLHUP) ? NM_HUP | NM_READ : 0) | ((e & EPOLLERR) ? NM_ERROR | NM_READ : 0);
    }
    return n;
}

const nm_port_ops nm_port_epoll = {
    "epoll", epoll_create_port, epoll_destroy, epoll_set, epoll_del, epoll_wait_port, 1, 1, 1, NM_MAX_FDS,
};
#endif
