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
/* A connected blocking socket with no timeouts (SO_RCVBUF set to rcvbuf
 * first when it is not 0), or -1. Like tc_connect and every helper taking a
 * port, it connects to the address of the server tc_target names: `port`
 * on 127.0.0.1 or [::1], or a Unix socket's path (port unused). */
int tc_dial(int port, int rcvbuf);
void tc_close(tc_conn *c);
int tc_send(tc_conn *c, const void *p, size_t n);     /* all of it: 0, or -1 */
int tc_send_str(tc_conn *c, const char *s);
/* Read one whole answer; the body goes to body[0, cap). 0, or -1 on EOF,
 * timeout or a malformed answer. */
int tc_read_response(tc_conn *c, tc_response *r, char *body, size_t cap);
/* An answer's head through its blank line, taken off the input into
 * head[0, cap) with a NUL: its length, or -1. */
long tc_read_head(tc_conn *c, char *head, size_t cap);
/* Up to cap bytes as they come (what is buffered first): how many, 0 at
 * EOF, -1 on an error or the connection's timeout. */
long tc_read_upto(tc_conn *c, char *out, size_t cap);
/* 1 when the server closes the connection within timeout_ms (no more bytes). */
int tc_wait_eof(tc_conn *c, int timeout_ms);
/* Bytes that arrive within timeout_ms, at most cap. */
size_t tc_read_some(tc_conn *c, char *out, size_t cap, int timeout_ms);
/* One request on a new connection: status, body in body[0,cap). */
int tc_get(int port, const char *path, char *body, size_t cap);

struct tc_server {
    pid_t pid;
    int port;         /* 0 for a Unix socket */
    int out_fd;
    char line[256];   /* its first line */
    char addr[160];   /* the address it announced: 127.0.0.1:PORT, [::1]:PORT, unix:/path */
};

/* Start argv (argv[0] the program; $NM_RUN_PREFIX, e.g. "qemu-arm", goes in
 * front) and wait for its "listening on ADDRESS" line; clients connect to
 * it from then on (tc_target). 0, or -1. */
int tc_server_start(tc_server *s, const char *const *argv);
/* A listening socket that a started server inherits (no close-on-exec), on
 * "127.0.0.1" or "::1" (a free port) or "unix:/path" (an old file there
 * removed first); -1 on failure. For --listen-fd. */
int tc_listen(const char *addr);
/* Connect to s's address from now on (127.0.0.1 until a server starts). */
void tc_target(const tc_server *s);
/* SIGTERM it; its exit status (0 = clean), or -1 if it had to be killed. */
int tc_server_stop(tc_server *s, int timeout_ms);
int tc_fd_count(pid_t pid);   /* open descriptors of a process, -1 if unknown */
/* Resident memory of a process and its children, KiB (-1 if unknown). */
long tc_rss_kb(pid_t pid);
/* CPU time (user + system, clock ticks) of a process and its children that
 * run now, -1 if unknown. */
long tc_cpu_ticks(pid_t pid);

struct tc_stats {
    long accepted, active, requests, refused, errors, timeouts, free_slots, free_buffers;
    long waited;                    /* requests that waited for a buffer or a place (backpressure) */
    long opened, closed, unclean;   /* nmserve's on_open / on_close hooks (demos/app.h) */
    long resume_failed;             /* nmserve's POST /upload?pause: resumes refused */
    long slow;                      /* connections cut below the minimum rate (of the timeouts) */
};
int tc_stats_get(int port, tc_stats *st);   /* 0, or -1 */
/* Poll /stats until active == 0 (other connections), up to timeout_ms. */
int tc_wait_idle(int port, int timeout_ms, tc_stats *st);

/* body[0, n) in HTTP's chunked coding at out, chunks of sizes[0],
 * sizes[1], ... round and round (the last one shorter), chunk `ext` with
 * an extension (its size in upper case hex; -1: none); no last chunk.
 * Returns the bytes written: out holds n plus 32 a chunk. */
size_t tc_chunked(char *out, const void *body, size_t n, const size_t *sizes, size_t count, long ext);

void tc_sleep_ms(int ms);
long tc_now_ms(void);
/* A server's deadline that a check depends on, scaled to the build's speed:
 * ms times NM_TIME_SCALE (a whole number from the environment), else 3
 * under a sanitizer (NM_SANITIZED: the code runs several times slower),
 * else 1. A check that holds a deadline's length (a pause past it, say)
 * scales it the same way. */
int tc_scaled_ms(int ms);

#endif
