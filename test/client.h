/* client.h - test-side helpers: start and stop an nmserve, talk HTTP to it. */
#ifndef NM_TEST_CLIENT_H
#define NM_TEST_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

/* A client connection with its read-ahead buffer (answers may be pipelined). */
struct tc_conn {
    int fd;
    size_t len;
    char buf[65536];
};

struct tc_response {
    int status;
    int closes;            /* carried "Connection: close" */
    long content_length;   /* -1 when absent */
    size_t body_len;       /* bytes stored in the caller's body buffer */
};

int tc_connect(tc_conn *c, int port);                 /* 0, or -1; 5 s I/O timeouts */
void tc_close(tc_conn *c);
int tc_send(tc_conn *c, const void *p, size_t n);     /* all of it: 0, or -1 */
int tc_send_str(tc_conn *c, const char *s);
/* Read one whole answer; the body goes to body[0, cap). 0, or -1 on EOF,
 * timeout or a malformed answer. */
int tc_read_response(tc_conn *c, tc_response *r, char *body, size_t cap);
/* 1 when the server closes the connection within timeout_ms (no more bytes). */
int tc_wait_eof(tc_conn *c, int timeout_ms);
/* Bytes that arrive within timeout_ms, at most cap. */
size_t tc_read_some(tc_conn *c, char *out, size_t cap, int timeout_ms);
/* One request on a new connection: status, body in body[0,cap). */
int tc_get(int port, const char *path, char *body, size_t cap);

struct tc_server {
    pid_t pid;
    int port;
    int out_fd;
    char line[256];   /* its first line */
};

/* Start argv (argv[0] the program; $NM_RUN_PREFIX, e.g. "qemu-arm", goes in
 * front) and wait for its "listening on HOST:PORT" line. 0, or -1. */
int tc_server_start(tc_server *s, const char *const *argv);
/* SIGTERM it; its exit status (0 = clean), or -1 if it had to be killed. */
int tc_server_stop(tc_server *s, int timeout_ms);
int tc_fd_count(pid_t pid);   /* open descriptors of a process, -1 if unknown */
/* CPU time (user + system, clock ticks) of a process and its children that
 * run now, -1 if unknown. */
long tc_cpu_ticks(pid_t pid);

struct tc_stats { long accepted, active, requests, refused, errors, timeouts, free_slots, free_buffers; };
int tc_stats_get(int port, tc_stats *st);   /* 0, or -1 */
/* Poll /stats until active == 0 (other connections), up to timeout_ms. */
int tc_wait_idle(int port, int timeout_ms, tc_stats *st);

void tc_sleep_ms(int ms);
long tc_now_ms(void);

#endif
