/* record_proxy - the record transport's client (record.h), between plain
 * TCP clients and a server that speaks records:
 *
 *   record_proxy SERVER [ARGS...]
 *
 * Runs SERVER ARGS with its output on a pipe, reads its "listening on
 * HOST:PORT ..." line, listens on 127.0.0.1 itself and says the same line
 * with its own port; then each client's connection gets one to the server,
 * whose hello it waits for (up to 5 s) before it forwards a byte, as a TLS
 * client waits for the handshake. A client's bytes go to the server in
 * records of at most REC_MAX, all the records of one read in one send; the
 * server's records come back as plain bytes, and its close record (or end)
 * ends the client's connection. So the conformance suite, given it as
 * NM_RUN_PREFIX, runs against the record transport unchanged. SIGTERM and
 * SIGINT go on to the server, and the proxy exits with its status. */
#include "record.h"
#ifdef PROXY_TLS
#include "../tls/pump.h"
#define PROXY "tls_proxy"
#define CLOSE_NAME "close_notify"
#define HELLO_NAME "handshake"
#else
#define PROXY "record_proxy"
#define CLOSE_NAME "close record"
#define HELLO_NAME "hello"
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int server_port;
static int stop_pipe[2];
/* Connections being served, and how the server's ends came: with its close
 * record, or without (said at exit, for test/record/check.sh). */
static int live, clean, abrupt;

#ifndef PROXY_TLS
static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}
#endif

struct pair_fds {
    int client, server;
};

#ifdef PROXY_TLS
static int talk(pair_fds *k) { return tls_pump(k->client, k->server); }
#else
/* The client's bytes to the server, in records. */
static void *upstream(void *arg)
{
    pair_fds *k = (pair_fds *)arg;
    unsigned char in[16384], out[16384 + 64 * REC_HEAD];
    for (;;) {
        ssize_t n = recv(k->client, in, sizeof(in), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t used;
        rec_pack(out, sizeof(out), in, (size_t)n, &used);
        if (send_all(k->server, out, used)) break;
    }
    shutdown(k->server, SHUT_WR);   /* the server reads its end (no close record: the client's was plain) */
    return 0;
}

/* The server's records to the client, as plain bytes; 1 at its close
 * record, 0 at its end or an error. */
static int downstream(pair_fds *k, unsigned char *buf, size_t cap, size_t len)
{
    for (;;) {
        int type = 0;
        long whole;
        while ((whole = rec_whole(buf, len, &type)) > 0) {
            if (type == REC_CLOSE) return 1;
            if (type != REC_DATA || send_all(k->client, buf + REC_HEAD, (size_t)whole - REC_HEAD)) return 0;
            memmove(buf, buf + whole, len - (size_t)whole);
            len -= (size_t)whole;
        }
        if (whole < 0) {
            fprintf(stderr, "record_proxy: not a record from the server\n");
            return 0;
        }
        ssize_t n = recv(k->server, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        len += (size_t)n;
    }
}

/* The server's hello (5 s at most), then records both ways until the
 * server ends: 1 with its close record, 0 without, -1 no hello. */
static int talk(pair_fds *k)
{
    unsigned char buf[4 * (REC_HEAD + REC_MAX)];
    size_t len = 0;
    int type = 0, r = -1;
    long whole = 0;
    struct timeval tv = { 5, 0 }, none = { 0, 0 };
    setsockopt(k->server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!(whole = rec_whole(buf, len, &type))) {   /* the hello first */
        ssize_t n = recv(k->server, buf + len, sizeof(buf) - len, 0);
        if (n <= 0 && !(n < 0 && errno == EINTR)) break;
        if (n > 0) len += (size_t)n;
    }
    setsockopt(k->server, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
    if (whole > 0 && type == REC_HELLO && (size_t)whole - REC_HEAD == sizeof(REC_HELLO_TEXT) - 1 &&
        !memcmp(buf + REC_HEAD, REC_HELLO_TEXT, sizeof(REC_HELLO_TEXT) - 1)) {
        memmove(buf, buf + whole, len - (size_t)whole);
        pthread_t up;
        if (!pthread_create(&up, 0, upstream, k)) {
            r = downstream(k, buf, sizeof(buf), len - (size_t)whole);
            shutdown(k->client, SHUT_RDWR);   /* the client sees the end; upstream ends */
            pthread_join(up, 0);
        }
    }
    return r;
}
#endif

static void *serve(void *arg)
{
    pair_fds *k = (pair_fds *)arg;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)server_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    k->server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(k->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int r = k->server >= 0 && !connect(k->server, (struct sockaddr *)&a, sizeof(a)) ? talk(k) : -1;
    if (r < 0) fprintf(stderr, PROXY ": no " HELLO_NAME " with the server\n");
    else __atomic_fetch_add(r ? &clean : &abrupt, 1, __ATOMIC_RELAXED);
    shutdown(k->client, SHUT_RDWR);
    if (k->server >= 0) close(k->server);
    close(k->client);
    free(k);
    __atomic_fetch_sub(&live, 1, __ATOMIC_RELEASE);   /* (after its count: main reads both) */
    return 0;
}

static void on_stop(int sig)
{
    char b = (char)sig;
    (void)!write(stop_pipe[1], &b, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: " PROXY " SERVER [ARGS...]\n");
        return 2;
    }
    int out[2];
    if (pipe(out) || pipe(stop_pipe)) return 1;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    close(out[1]);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    char line[512];
    size_t n = 0;
    while (n < sizeof(line) - 1 && read(out[0], line + n, 1) == 1 && line[n] != '\n') n++;
    line[n] = 0;
    const char *at = strstr(line, "listening on 127.0.0.1:");
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!at || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1024) ||
        getsockname(lfd, (struct sockaddr *)&a, &alen)) {
        printf("%s\n", line);   /* not a line it knows (an error): said as it came */
        fflush(stdout);
        kill(pid, SIGTERM);
    } else {
        server_port = atoi(at + 23);
        const char *rest = strchr(at + 23, ' ');
        printf("%.*slistening on 127.0.0.1:%d%s\n", (int)(at - line), line, ntohs(a.sin_port), rest ? rest : "");
        fflush(stdout);
    }
    struct pollfd p[3] = { { stop_pipe[0], POLLIN, 0 }, { out[0], POLLIN, 0 }, { lfd, POLLIN, 0 } };
    for (;;) {
        if (poll(p, at ? 3 : 2, -1) < 0) continue;
        if (p[0].revents) {
            kill(pid, SIGTERM);
            break;
        }
        if (p[1].revents) {   /* the server's output, passed on; its end: it has exited */
            char b[512];
            ssize_t k = read(out[0], b, sizeof(b));
            if (k <= 0) break;
            (void)!write(1, b, (size_t)k);
        }
        if (p[2].revents & POLLIN) {
            int c = accept(lfd, 0, 0);
            if (c < 0) continue;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            pair_fds *k = (pair_fds *)calloc(1, sizeof(pair_fds));
            pthread_t t;
            if (!k) {
                close(c);
                continue;
            }
            k->client = c;
            __atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
            if (pthread_create(&t, 0, serve, k)) {
                __atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
                close(c);
                free(k);
                continue;
            }
            pthread_detach(t);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    /* The server has closed its ends: let the connections see them (1 s). */
    for (int i = 0; i < 100 && __atomic_load_n(&live, __ATOMIC_ACQUIRE); i++) usleep(10000);
    fprintf(stderr, PROXY ": %d ended with the " CLOSE_NAME ", %d without\n", __atomic_load_n(&clean, __ATOMIC_RELAXED),
            __atomic_load_n(&abrupt, __ATOMIC_RELAXED));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
