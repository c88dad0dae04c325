/* kqueue_emu.cpp - kqueue() and kevent() made of epoll, so that the kqueue
 * port runs in the Linux test suite.
 *
 * A kqueue is an epoll instance. kqueue keeps a filter per (fd, filter) where
 * epoll keeps one mask per fd, so each queue remembers the state of the two
 * filters of every fd in a fixed table and derives the epoll mask from it:
 * EPOLLIN for an enabled read filter, EPOLLOUT for an enabled write filter,
 * EPOLLET when either asks for EV_CLEAR.
 *
 * Where this differs from a real kqueue:
 *  - A change that fails makes kevent() return -1 with errno (changes before
 *    it stay applied); no EV_ERROR entry is put in the event list.
 *  - close() is not seen: a filter must be deleted before its fd is closed,
 *    or the next fd with that number inherits its state.
 *  - udata is not kept, data is 0, EV_CLEAR is shared by both filters of
 *    an fd, and fds from EMU_FDS up are refused (EBADF).
 *  - EV_EOF is set on the read filter when the peer stopped sending
 *    (EPOLLRDHUP) and on both on EPOLLHUP; EV_ERROR is set on EPOLLERR. */
#include <sys/event.h>
#include <sys/epoll.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

enum { EMU_QUEUES = 16, EMU_FDS = 4096, EMU_BATCH = 128 };

/* State of one filter. */
enum { F_ADDED = 1, F_ENABLED = 2, F_CLEAR = 4 };
enum { F_READ = 0, F_WRITE = 1 };

struct emu_queue {
    int used;
    int epfd;
    /* Events that did not fit the caller's list, handed out next time. */
    int pend_first, pend_count;
    struct kevent pending[EMU_BATCH];
    unsigned char filt[EMU_FDS][2];
};

static emu_queue queues[EMU_QUEUES];
static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER;

/* A slot whose epoll fd was closed can be taken again. Only a number that
 * still names an epoll instance is kept (at worst a slot is held too long). */
static int still_epoll(int fd)
{
    char path[32], link[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) return fcntl(fd, F_GETFD) >= 0;
    link[n] = 0;
    return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

static emu_queue *claim_queue(int epfd)
{
    emu_queue *spare = 0;
    for (int i = 0; i < EMU_QUEUES; i++) {
        emu_queue *q = &queues[i];
        /* The kernel handed out this number again: its old queue is gone. */
        if (q->used && q->epfd == epfd) return q;
        if (!q->used && !spare) spare = q;
    }
    for (int i = 0; i < EMU_QUEUES && !spare; i++)
        if (!still_epoll(queues[i].epfd)) spare = &queues[i];
    return spare;
}

extern "C" int kqueue(void)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -1;
    pthread_mutex_lock(&queues_lock);
    emu_queue *q = claim_queue(epfd);
    if (q) {
        memset(q, 0, sizeof(*q));
        q->used = 1;
        q->epfd = epfd;
    }
    pthread_mutex_unlock(&queues_lock);
    if (!q) {
        close(epfd);
        errno = EMFILE;
        return -1;
    }
    return epfd;
}

static emu_queue *find_queue(int kq)
{
    emu_queue *found = 0;
    pthread_mutex_lock(&queues_lock);
    for (int i = 0; i < EMU_QUEUES && !found; i++)
        if (queues[i].used && queues[i].epfd == kq) found = &queues[i];
    pthread_mutex_unlock(&queues_lock);
    return found;
}

static int filter_on(unsigned char s) { return (s & (F_ADDED | F_ENABLED)) == (F_ADDED | F_ENABLED); }

static uint32_t epoll_mask(const emu_queue *q, int fd)
{
    const unsigned char *s = q->filt[fd];
    uint32_t m = (filter_on(s[F_READ]) ? EPOLLIN | EPOLLRDHUP : 0u) | (filter_on(s[F_WRITE]) ? EPOLLOUT : 0u);
    if (m && ((s[F_READ] | s[F_WRITE]) & F_CLEAR)) m |= EPOLLET;
    return m;
}

/* Bring epoll's interest for fd from `old` to `mask`. Our table can be wrong
 * about membership when an fd was closed behind our back, so each verb falls
 * back to the other. Re-setting an unchanged mask still re-arms an edge,
 * as EV_ADD makes a kqueue look at the fd again. */
static int sync_epoll(int epfd, int fd, uint32_t old, uint32_t mask)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = mask;
    ev.data.fd = fd;
    if (!mask) {
        if (old) epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);   /* a closed fd has left already */
        return 0;
    }
    int first = old ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (!epoll_ctl(epfd, first, fd, &ev)) return 0;
    if (first == EPOLL_CTL_MOD && errno == ENOENT) return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    if (first == EPOLL_CTL_ADD && errno == EEXIST) return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    return -1;
}

/* The filter's next state under `flags`, or -1 with errno. */
static int next_state(unsigned char s, unsigned short flags)
{
    if (flags & EV_DELETE) {
        if (!(s & F_ADDED)) {
            errno = ENOENT;
            return -1;
        }
        return 0;
    }
    if (flags & EV_ADD) {
        if (!(s & F_ADDED)) s = F_ADDED | F_ENABLED;
        s = (unsigned char)((s & ~F_CLEAR) | ((flags & EV_CLEAR) ? F_CLEAR : 0));
    } else if (!(s & F_ADDED)) {
        errno = ENOENT;
        return -1;
    }
    if (flags & EV_ENABLE) s |= F_ENABLED;
    if (flags & EV_DISABLE) s &= (unsigned char)~F_ENABLED;
    return s;
}

static int apply_change(emu_queue *q, const struct kevent *kev)
{
    if (kev->filter != EVFILT_READ && kev->filter != EVFILT_WRITE) {
        errno = EINVAL;
        return -1;
    }
    if (kev->ident >= EMU_FDS) {
        errno = EBADF;
        return -1;
    }
    int fd = (int)kev->ident;
    unsigned char *s = &q->filt[fd][kev->filter == EVFILT_READ ? F_READ : F_WRITE];
    int next = next_state(*s, kev->flags);
    if (next < 0) return -1;
    unsigned char was = *s;
    uint32_t old = epoll_mask(q, fd);
    *s = (unsigned char)next;
    if (sync_epoll(q->epfd, fd, old, epoll_mask(q, fd))) {
        *s = was;
        return -1;
    }
    return 0;
}

/* The kevent filter f of fd reports for epoll events e, if any. */
static int make_event(const emu_queue *q, int fd, int f, uint32_t e, struct kevent *out)
{
    unsigned char s = q->filt[fd][f];
    uint32_t wakes = f == F_READ ? EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR : EPOLLOUT | EPOLLHUP | EPOLLERR;
    if (!filter_on(s) || !(e & wakes)) return 0;
    uint32_t eof = f == F_READ ? EPOLLRDHUP | EPOLLHUP : EPOLLHUP;
    unsigned short flags = (unsigned short)(((s & F_CLEAR) ? EV_CLEAR : 0) | ((e & eof) ? EV_EOF : 0) |
                                            ((e & EPOLLERR) ? EV_ERROR : 0));
    EV_SET(out, (uintptr_t)fd, f == F_READ ? EVFILT_READ : EVFILT_WRITE, flags, 0, 0, (void *)0);
    return 1;
}

/* Hand out what an earlier call could not fit, dropping any whose filter
 * has since been deleted or disabled. */
static int take_pending(emu_queue *q, struct kevent *out, int max)
{
    int got = 0;
    while (q->pend_count && got < max) {
        struct kevent *ev = &q->pending[q->pend_first];
        q->pend_first = (q->pend_first + 1) % EMU_BATCH;
        q->pend_count--;
        int f = ev->filter == EVFILT_READ ? F_READ : F_WRITE;
        if (filter_on(q->filt[ev->ident][f])) out[got++] = *ev;
    }
    return got;
}

static int collect(emu_queue *q, struct kevent *out, int max, int timeout_ms)
{
    struct epoll_event evs[EMU_BATCH];
    int n = epoll_wait(q->epfd, evs, max < EMU_BATCH ? max : EMU_BATCH, timeout_ms);
    if (n < 0) return -1;
    int got = 0;
    q->pend_first = q->pend_count = 0;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        for (int f = F_READ; f <= F_WRITE; f++) {
            struct kevent ev;
            if (!make_event(q, fd, f, evs[i].events, &ev)) continue;
            /* An fd gives at most two events and we asked for at most max
             * fds, so what overflows fits the pending list. */
            if (got < max) out[got++] = ev;
            else q->pending[q->pend_count++] = ev;
        }
    }
    return got;
}

/* Rounded up, so that a wait never ends before the time asked for. */
static int timeout_ms_of(const struct timespec *ts)
{
    if (!ts) return -1;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0) return 0;
    long long ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

extern "C" int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *events, int nevents,
                      const struct timespec *timeout)
{
    emu_queue *q = find_queue(kq);
    if (!q) {
        errno = EBADF;
        return -1;
    }
    for (int i = 0; i < nchanges; i++)
        if (apply_change(q, &changes[i])) return -1;
    if (nevents <= 0) return 0;
    int got = take_pending(q, events, nevents);
    return got ? got : collect(q, events, nevents, timeout_ms_of(timeout));
}
