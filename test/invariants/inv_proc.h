/* inv_proc.h - what the invariant tests of the process and thread models
 * look at from outside: /proc, and the demo's /pid, /thread, /gauge routes. */
#ifndef NM_INV_PROC_H
#define NM_INV_PROC_H

#include "inv.h"
#include <sys/types.h>

/* Children of `parent` (pids into out[0, cap)); *zombies gets how many of
 * them are zombies. Returns the count. */
int inv_children(pid_t parent, pid_t *out, int cap, int *zombies);
int inv_threads(pid_t pid);                  /* tasks of a process */
/* Threads of pid whose name is `name` (a model names its threads by role). */
int inv_named_threads(pid_t pid, const char *name);
/* Poll until f(pid) == want, up to timeout_ms; returns the last value. */
int inv_wait_value(int (*f)(pid_t), pid_t pid, int want, int timeout_ms);
int inv_child_count(pid_t parent);
/* Threads of pid named `name` sleeping in nanosleep() now (the demo's
 * GET /sleep/MS). */
int inv_sleeping_threads(pid_t pid, const char *name);

/* SIGTERM the server: 0 when it exits 0 and none of the children it had
 * just before is left alive (no orphan keeps running). */
int inv_stop_leaves_nothing(tc_server *s);

/* GET path on an open keep-alive connection: the number in the body, -1. */
long inv_get_number(tc_conn *c, const char *path);
/* GET path on an open connection: the body as text into out. 0, or -1. */
int inv_get_text(tc_conn *c, const char *path, char *out, size_t cap);
long inv_gauge(int port, const char *name);  /* -1 if unknown */

/* Inodes of the sockets listening on 127.0.0.1:port (IPv4). */
int inv_listen_inodes(int port, unsigned long *out, int cap);
/* Inodes of every socket process pid has open. */
int inv_socket_inodes(pid_t pid, unsigned long *out, int cap);
/* How many of a[0,na) are in b[0,nb). */
int inv_common(const unsigned long *a, int na, const unsigned long *b, int nb);

/* Bytes the server has not read yet of what the client on c sent it (the
 * receive queue of the server's end, from /proc/net/tcp); -1 if unknown. */
long inv_unread_by_server(int port, const tc_conn *c);

/* Connect with a 4 KiB receive buffer (set before the handshake, so the
 * window stays small): a large answer fills the server's socket. 0, or -1. */
int inv_connect_small(tc_conn *c, int port);
/* Open n raw connections, each sending `req`. 0, or -1. */
int inv_burst_open(int port, const char *req, int *fds, int n);
/* n clients at once, each one request with Connection: close: how many got 200. */
int inv_burst_served(int port, int n);
/* Wait until one of them has something to read: 0, or -1 on the timeout. */
int inv_burst_wait_any(const int *fds, int n, int timeout_ms);
/* Read one answer from each (5 s each); count the 200s and 503s; close all. */
void inv_burst_tally(int *fds, int n, int *ok, int *refused);

#endif
