/* kqueue.cpp - BSD/macOS kqueue port. Read and write are separate filters;
 * EV_CLEAR gives edge-triggered reports. */
#include "port.h"
#ifdef NM_HAVE_KQUEUE
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>
#include <errno.h>

/* struct kevent is 32 bytes on macOS and older BSDs, 64 on FreeBSD 12+ and
 * NetBSD 10+: a batch is whatever fits the port's buffer. */
enum { KQ_BATCH = sizeof(((nm_port *)0)->u.native) / sizeof(struct kevent) };
static_assert(KQ_BATCH >= 16, "too few kevents fit the port");

static int kqueue_create(nm_port *p)
{
    p->fd = kqueue();
    return p->fd < 0 ? -1 : 0;
}

static void kqueue_destroy(nm_port *p)
{
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

static int kqueue_set(nm_port *p, int fd, int old_mask, int mask)
{
    struct kevent ch[2];
    int n = 0;
    unsigned short clear = p->edge ? EV_CLEAR : 0;
    if ((mask ^ old_mask) & NM_READ) {
        EV_SET(&ch[n], fd, EVFILT_READ, (mask & NM_READ) ? EV_ADD | EV_ENABLE | clear : EV_DELETE, 0, 0, 0);
        n++;
    }
    if ((mask ^ old_mask) & NM_WRITE) {
        EV_SET(&ch[n], fd, EVFILT_WRITE, (mask & NM_WRITE) ? EV_ADD | EV_ENABLE | clear : EV_DELETE, 0, 0, 0);
        n++;
    }
    return n ? kevent(p->fd, ch, n, 0, 0, 0) : 0;
}

static void kqueue_del(nm_port *p, int fd, int old_mask)
{
    kqueue_set(p, fd, old_mask, 0);
}

static int kqueue_wait(nm_port *p, nm_event *out, int max, int timeout_ms)
{
    struct kevent *evs = (struct kevent *)p->u.native;
    struct timespec ts, *tsp = 0;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    if (max > (int)KQ_BATCH) max = (int)KQ_BATCH;
    int n = kevent(p->fd, 0, 0, evs, max, tsp);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        out[i].fd = (int)evs[i].ident;
        out[i].mask = (evs[i].filter == EVFILT_READ ? NM_READ : 0) |
                      (evs[i].filter == EVFILT_WRITE ? NM_WRITE : 0) |
                      ((evs[i].flags & EV_EOF) ? NM_HUP | NM_READ : 0) |
                      ((evs[i].flags & EV_ERROR) ? NM_ERROR | NM_READ : 0);
    }
    return n;
}

const nm_port_ops nm_port_kqueue = {
    "kqueue", kqueue_create, kqueue_destroy, kqueue_set, kqueue_del, kqueue_wait, 1, 0, 0, NM_MAX_FDS,   /* the test emulation on Linux needs the del */
};
#endif
