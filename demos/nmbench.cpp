/* nmbench - an HTTP load generator built from the library's own ports, for
 * boards where wrk is not available.
 *
 *   nmbench [-H host] [-p port] [-c conns] [-d seconds] [--close]
 *           [--pipeline N] [--path /] [--rate R]
 *
 * Keeps `conns` connections busy for `seconds`, each sending `pipeline`
 * requests at a time (or one request per connection with --close), checks
 * every answer (status 200, complete body), and prints requests/s and
 * latency percentiles from a fixed-bucket histogram. An answer that says
 * "Connection: close" ends its connection and another is opened, as an
 * HTTP client does; keep-alive runs print how often (closed_by_server=N).
 * Exit 0, or 1 when any request failed.
 *
 * --rate R: an open load instead (keep-alive, one request at a time per
 * connection): R requests a second are due at even intervals whatever the
 * server's pace; a due request goes out on an idle connection, or waits for
 * one, and its latency counts from when it was due, so a slow server's
 * backlog is measured, not hidden. The client wakes at least every
 * millisecond (requests due within one go together). Prints "due=N" and
 * "late=N" (requests sent more than a millisecond after they were due, for
 * want of an idle connection) beside the rest. */
#include "../ports/port.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1000
#define RBUF 16384

/* Latency histogram: 1 us buckets below 1 ms, 10 us below 10 ms, 1 ms up to 10 s. */
#define H1 1000
#define H2 900
#define H3 9990
static unsigned long hist[H1 + H2 + H3 + 1];

static void record(unsigned long us)
{
    unsigned long i;
    if (us < 1000) i = us;
    else if (us < 10000) i = H1 + (us - 1000) / 10;
    else if (us < 10000000) i = H1 + H2 + (us - 10000) / 1000;
    else i = H1 + H2 + H3;
    hist[i]++;
}

static unsigned long bucket_us(unsigned long i)
{
    if (i < H1) return i;
    if (i < H1 + H2) return 1000 + (i - H1) * 10;
    return 10000 + (i - H1 - H2) * 1000;
}

static unsigned long percentile(unsigned long total, double q)
{
    unsigned long want = (unsigned long)(total * q), seen = 0;
    for (unsigned long i = 0; i <= H1 + H2 + H3; i++) {
        seen += hist[i];
        if (seen > want) return bucket_us(i);
    }
    return 0;
}

struct conn {
    int fd;
    int connected;
    int pending;            /* answers still expected */
    uint64_t sent_us;
    int rlen;
    char rbuf[RBUF];
};

static struct conn conns[MAX_CONNS];
static struct conn *by_fd[MAX_CONNS + 64];
static nm_port port;
static struct sockaddr_in addr;
static char request[512];
static int request_len, pipeline = 1, close_mode;
static unsigned long done, errors, bad, closes;
/* --rate: requests due and not yet sent, as their due times (a ring). */
static double rate;
#define DUE_MAX 65536
static uint64_t due_at[DUE_MAX];
static unsigned long due_head, due_tail, due_total, due_late;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int open_conn(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return -1;
    if (c->fd >= MAX_CONNS + 64) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    by_fd[c->fd] = c;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->connected = 0;
    c->pending = 0;
    c->rlen = 0;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return port.ops->set(&port, c->fd, 0, NM_WRITE);
}

static void close_conn(struct conn *c)
{
    port.ops->del(&port, c->fd, NM_READ | NM_WRITE);
    by_fd[c->fd] = 0;
    close(c->fd);
    c->fd = -1;
}

static void send_batch(struct conn *c)
{
    char buf[512 * 16];
    int n = 0;
    if (rate > 0 && due_head == due_tail) return;   /* idle until a request is due */
    for (int i = 0; i < pipeline; i++) {
        memcpy(buf + n, request, (size_t)request_len);
        n += request_len;
    }
    c->sent_us = now_us();
    if (rate > 0) {   /* one due request; late when it waited a millisecond for a connection */
        uint64_t due = due_at[due_head++ % DUE_MAX];
        if (c->sent_us - due > 1000) due_late++;
        c->sent_us = due;
    }
    if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
        errors++;
        close_conn(c);
        return;
    }
    c->pending = pipeline;
    if (rate <= 0) port.ops->set(&port, c->fd, NM_WRITE, NM_READ);   /* --rate: read from the connect on */
}

/* Length of the first complete answer in buf, 0 if incomplete, -1 if
 * malformed; *close: its head says "Connection: close". */
static int answer_len(const char *buf, int len, int *status, int *close)
{
    const char *end = (const char *)memmem(buf, (size_t)len, "\r\n\r\n", 4);
    if (!end) return len >= RBUF ? -1 : 0;
    if (len < 12 || memcmp(buf, "HTTP/1.", 7)) return -1;
    *status = atoi(buf + 9);
    long body = 0;
    *close = 0;
    for (const char *p = buf; p < end; p++) {
        if (*p != '\n') continue;
        if (!strncasecmp(p + 1, "Content-Length:", 15)) body = strtol(p + 16, 0, 10);
        if (!strncasecmp(p + 1, "Connection:", 11) && !strncasecmp(p + 12 + strspn(p + 12, " "), "close", 5)) *close = 1;
    }
    long total = (end + 4 - buf) + body;
    if (total > RBUF) return -1;
    return total <= len ? (int)total : 0;
}

static void on_readable(struct conn *c)
{
    ssize_t n = recv(c->fd, c->rbuf + c->rlen, (size_t)(RBUF - c->rlen), 0);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        errors += (unsigned long)c->pending;
        close_conn(c);
        return;
    }
    c->rlen += (int)n;
    for (;;) {
        int status = 0, closing = 0;
        int k = answer_len(c->rbuf, c->rlen, &status, &closing);
        if (k < 0) {
            bad += (unsigned long)c->pending;
            close_conn(c);
            return;
        }
        if (k == 0) return;
        if (status != 200) bad++;
        else done++;
        record((unsigned long)(now_us() - c->sent_us));
        memmove(c->rbuf, c->rbuf + k, (size_t)(c->rlen - k));
        c->rlen -= k;
        if (closing && !close_mode) {   /* the server ends the connection: open another */
            closes++;
            errors += (unsigned long)c->pending - 1;   /* pipelined requests it will not answer */
            close_conn(c);
            return;
        }
        if (--c->pending == 0) {
            if (close_mode) close_conn(c);
            else send_batch(c);
            return;
        }
    }
}

static int usage(const char *why, const char *arg)
{
    fprintf(stderr, "nmbench: %s%s\n", why, arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *path = "/";
    int port_no = 8080, nconns = 50;
    double seconds = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (!strcmp(a, "--close")) { close_mode = 1; continue; }
        if (!v) return usage("missing value for ", a);
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-p")) port_no = atoi(v);
        else if (!strcmp(a, "-c")) nconns = atoi(v);
        else if (!strcmp(a, "-d")) seconds = atof(v);
        else if (!strcmp(a, "--pipeline")) pipeline = atoi(v);
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else return usage("unknown option: ", a);
        i++;
    }
    if (nconns < 1 || nconns > MAX_CONNS) return usage("-c must be 1..1000", 0);
    if (pipeline < 1 || pipeline > 16) return usage("--pipeline must be 1..16", 0);
    if (seconds <= 0) return usage("-d must be positive", 0);
    if (rate < 0 || rate > 1e6 || (rate > 0 && (close_mode || pipeline != 1)))
        return usage("--rate must be 0..1000000 requests/s, keep-alive, pipeline 1", 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port_no);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return usage("bad host ", host);
    request_len = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, host,
                           close_mode ? "Connection: close\r\n" : "");
    port.ops = nm_port_at(0);
    port.edge = 0;
    if (port.ops->create(&port)) return usage("cannot create a poller", 0);

    for (int i = 0; i < nconns; i++) conns[i].fd = -1;
    uint64_t start = now_us(), stop = start + (uint64_t)(seconds * 1e6);
    static nm_event evs[NM_MAX_EVENTS];
    unsigned long due_n = 0;   /* --rate: request k is due at start + k / rate */
    while (now_us() < stop) {
        for (int i = 0; i < nconns; i++)
            if (conns[i].fd < 0 && open_conn(&conns[i])) errors++;
        int wait_ms = 10;
        if (rate > 0) {
            wait_ms = 1;
            uint64_t t = now_us();
            for (; start + (uint64_t)((double)due_n * 1e6 / rate) <= t; due_n++) {   /* due now: from when it was noticed */
                if (due_tail - due_head == DUE_MAX) { errors++; continue; }
                due_at[due_tail++ % DUE_MAX] = t;
                due_total++;
            }
            for (int i = 0; i < nconns && due_head != due_tail; i++)
                if (conns[i].fd >= 0 && conns[i].connected && !conns[i].pending) send_batch(&conns[i]);
        }
        int n = port.ops->wait(&port, evs, NM_MAX_EVENTS, wait_ms);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].fd < MAX_CONNS + 64 ? by_fd[evs[i].fd] : 0;
            if (!c) continue;
            if (!c->connected) {
                int err = 0;
                socklen_t len = sizeof(err);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { errors++; close_conn(c); continue; }
                c->connected = 1;
                if (rate > 0) port.ops->set(&port, c->fd, NM_WRITE, NM_READ);
                send_batch(c);
            } else {
                on_readable(c);
            }
        }
    }
    double elapsed = (double)(now_us() - start) / 1e6;
    unsigned long total = done + bad;
    printf("nmbench: %s:%d conns=%d pipeline=%d mode=%s duration=%.1fs\n", host, port_no, nconns, pipeline,
           close_mode ? "close" : "keep-alive", elapsed);
    printf("requests=%lu rps=%.0f p50_us=%lu p99_us=%lu max_us=%lu errors=%lu bad=%lu\n", done,
           (double)done / elapsed, percentile(total, 0.50), percentile(total, 0.99), percentile(total, 0.99999),
           errors, bad);
    if (rate > 0) printf("rate=%.0f due=%lu late=%lu\n", rate, due_total, due_late);
    if (!close_mode) printf("closed_by_server=%lu\n", closes);
    return errors || bad ? 1 : 0;
}
