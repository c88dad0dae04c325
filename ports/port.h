/* port.h - the one short interface every readiness mechanism implements.
 *
 * A port watches file descriptors for readability and writability and reports
 * which are ready. It knows nothing of connections or protocols; the loops
 * above it know nothing of epoll or kqueue. Each port is one file with the
 * same verbs in the same order: create, destroy, set, del, wait, and a name.
 * State is sized at compile time and lives inside nm_port. */
#ifndef NM_PORT_H
#define NM_PORT_H

#include <stdint.h>
#include <sys/select.h>
#include <poll.h>
#include "../lib/nm_config.h"

enum { NM_READ = 1, NM_WRITE = 2, NM_HUP = 4, NM_ERROR = 8 };
/* With NM_READ in set(): the fd (a listener) is watched by several
 * processes at once; a port that can (wakes_one_of_shared) wakes only one
 * of them per event, the others ignore the hint. */
enum { NM_SHARED = 16 };

struct nm_event { int fd; int mask; };

/* The ports this build has: poll and select are left out (NM_WITHOUT_PORT_*,
 * lib/models.mk) when nothing could run on them, and then so is their state,
 * below; poll stays where neither epoll nor kqueue is. */
#if !defined(NM_WITHOUT_PORT_poll) || !(defined(__linux__) || defined(NM_HAVE_KQUEUE))
#define NM_PORT_HAS_POLL 1
#endif
#ifndef NM_WITHOUT_PORT_select
#define NM_PORT_HAS_SELECT 1
#endif
/* A native event's bytes at most: a kevent is 32 (64 on FreeBSD 12 and
 * later, whose batch is half as many), an epoll_event 12 or 16. */
#ifdef NM_HAVE_KQUEUE
#define NM_PORT_EVENT_BYTES 32
#else
#define NM_PORT_EVENT_BYTES 16
#endif

struct nm_port;

struct nm_port_ops {
    const char *name;
    int  (*create)(nm_port *p);                                 /* 0 or -1 (errno) */
    void (*destroy)(nm_port *p);
    int  (*set)(nm_port *p, int fd, int old_mask, int mask);     /* watch fd for mask */
    void (*del)(nm_port *p, int fd, int old_mask);               /* stop watching fd */
    int  (*wait)(nm_port *p, nm_event *out, int max, int timeout_ms); /* ready count, -1 */
    int  edge_capable;                                           /* can report edges only */
    /* close() takes the fd out of the kernel's set by itself (epoll, when no
     * other descriptor shares the file): a connection closed for good needs no del. */
    int  closing_forgets;
    int  wakes_one_of_shared;                                    /* honours NM_SHARED */
    int  fd_limit;                                               /* set() refuses fds from here up */
};

struct nm_port {
    const nm_port_ops *ops;
    int fd;          /* epoll or kqueue descriptor, -1 for the others */
    int edge;        /* report edges only (ports that are edge_capable) */
    union {
        /* `next`: where the next report starts (select: an fd, poll: a slot),
         * just past the last one reported, so that with more ready than a
         * wait takes every one is reported within ceil(ready / max) waits. */
#ifdef NM_PORT_HAS_SELECT
        struct { fd_set rd, wr; int maxfd, next; } sel;
#endif
#ifdef NM_PORT_HAS_POLL
        struct {
            struct pollfd fds[NM_MAX_FDS];
            int16_t slot_of[NM_MAX_FDS];   /* fd -> index in fds, -1 if absent */
            int count, next;
        } pl;
#endif
        /* epoll_event / kevent batch. Both hold 64-bit fields: without the
         * alignment, 32-bit ARM and MIPS would place the batch 4 bytes off. */
        alignas(8) unsigned char native[NM_MAX_EVENTS * NM_PORT_EVENT_BYTES];
    } u;
};

extern const nm_port_ops nm_port_epoll;
extern const nm_port_ops nm_port_poll;
extern const nm_port_ops nm_port_select;
extern const nm_port_ops nm_port_kqueue;

/* The ports compiled in, best first; NULL past the end. */
const nm_port_ops *nm_port_at(int i);
const nm_port_ops *nm_port_find(const char *name);  /* NULL: unknown or not compiled */

#endif
