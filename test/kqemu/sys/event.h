/* sys/event.h - the part of BSD kqueue the kqueue port uses, for Linux tests.
 *
 * Put test/kqemu first on the include path and link kqueue_emu.cpp, and
 * ports/kqueue.cpp builds and runs unchanged on Linux. Names and values are
 * FreeBSD's, so the port cannot come to rely on anything a real kqueue does
 * not have; the struct is the 32-byte one of macOS and OpenBSD (FreeBSD 12
 * and later append ext[4]). Only EVFILT_READ and EVFILT_WRITE exist here. */
#ifndef NM_KQEMU_SYS_EVENT_H
#define NM_KQEMU_SYS_EVENT_H

/* On BSD this is a system header; -Wshadow would otherwise flag the function
 * kevent() beside struct kevent, as the BSD header has them. */
#pragma GCC system_header

#include <stdint.h>
#include <time.h>

#define EVFILT_READ  (-1)
#define EVFILT_WRITE (-2)

/* flags on input */
#define EV_ADD     0x0001
#define EV_DELETE  0x0002
#define EV_ENABLE  0x0004
#define EV_DISABLE 0x0008
#define EV_CLEAR   0x0020   /* report a change of state once, then reset */
/* flags on output */
#define EV_ERROR   0x4000
#define EV_EOF     0x8000

struct kevent {
    uintptr_t ident;       /* the file descriptor */
    short filter;
    unsigned short flags;
    unsigned int fflags;
    int64_t data;
    void *udata;
};

#define EV_SET(kevp, a, b, c, d, e, f) \
    do {                               \
        struct kevent *ev_set_ = (kevp); \
        ev_set_->ident = (a);          \
        ev_set_->filter = (b);         \
        ev_set_->flags = (c);          \
        ev_set_->fflags = (d);         \
        ev_set_->data = (e);           \
        ev_set_->udata = (f);          \
    } while (0)

#ifdef __cplusplus
extern "C" {
#endif

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents,
           const struct timespec *timeout);

#ifdef __cplusplus
}
#endif
#endif
