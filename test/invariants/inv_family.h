/* inv_family.h - helpers for the invariant tests of the reactor family
 * (threads and processes seen through /proc, the demo's /pid and /thread
 * routes, pipelined echo order). */
#ifndef NM_INV_FAMILY_H
#define NM_INV_FAMILY_H

#include "inv.h"
#include <sys/types.h>

/* GET `path` on an open connection; the body (NUL-terminated) in body[0,cap).
 * The status, or -1. */
int fam_get(tc_conn *c, const char *path, char *body, size_t cap);
/* Threads of `pid` whose name starts with `prefix`, -1 if unknown. */
int fam_threads(pid_t pid, const char *prefix);
/* fam_threads, asked again for up to 3 s until it is n (threads name
 * themselves as they start); the last count. */
int fam_wait_threads(pid_t pid, const char *prefix, int n);
/* Child processes of `pid` into out[0,max); how many. */
int fam_children(pid_t pid, pid_t *out, int max);
/* Sixteen POST /echo with sixteen different bodies in one send; how many
 * of the answers came back with the right body in the right place. */
int fam_pipelined_echo_16(int port);
/* Does /proc/PID/status list `sig` as blocked? */
int fam_signal_blocked(pid_t pid, int sig);
/* Does PID hold a descriptor whose link names `what` (e.g. "signalfd")? */
int fam_has_fd(pid_t pid, const char *what);

/* Does one of PID's epoll descriptors watch something with EPOLLEXCLUSIVE? */
int fam_epoll_exclusive(pid_t pid);

#endif
