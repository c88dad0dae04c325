/* idle - hold many keep-alive connections open on a server, for measuring
 * what an idle connection costs it; or, with -b, a burst.
 *
 *   idle -p PORT [-n CONNECTIONS] [-H 127.0.0.1] [-t SECONDS] [-b 1|2]
 *
 * -b 1: a burst of one-request clients. All CONNECTIONS connect at once
 * (each connect returns when the server's backlog has taken it) and send
 * one keep-alive GET /; then every answer is awaited, up to SECONDS, each
 * connection closed once answered; -b 2: each stays connected, idle,
 * until the last is answered (a worker must give it up to serve others). Prints
 * "answered N failed M ms T", T the time from the first connect to the last
 * answer (or to the give-up), and exits 0 when all were answered 200.
 *
 * Opens the connections one after the other; on each it sends one GET / and
 * reads the whole answer, so the server has seen a full request on every one
 * before it is left idle. Then prints "held N failed M" and keeps them all
 * open until its standard input closes. One at a time keeps the server's
 * accept backlog short, so no connect waits for a SYN retry. It stops trying
 * after SECONDS (60) or 20 failures in a row, so a server that stops
 * answering ends the measurement instead of stalling it. Exit 0 when all
 * were held, 1 otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The whole answer arrived: a header section and Content-Length body bytes. */
static int answer_complete(const char *buf, int len)
{
    const char *end = (const char *)memmem(buf, (size_t)len, "\r\n\r\n", 4);
    if (!end) return 0;
    long body = 0;
    for (const char *p = buf; p + 15 < end; p++)
        if ((*p == 'C' || *p == 'c') && !strncasecmp(p, "Content-Length:", 15)) {
            body = strtol(p + 15, 0, 10);
            break;
        }
    return (end + 4 - buf) + body <= len;
}

/* One connection with one answered request; its fd, or -1. */
static int hold_one(const struct sockaddr_in *addr, const char *request, int request_len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
        send(fd, request, (size_t)request_len, MSG_NOSIGNAL) != request_len) {
        close(fd);
        return -1;
    }
    char buf[2048];
    int len = 0;
    while (len < (int)sizeof(buf)) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - (size_t)len, 0);
        if (n <= 0) break;
        len += (int)n;
        if (answer_complete(buf, len)) return !memcmp(buf, "HTTP/1.1 200", 12) ? fd : (close(fd), -1);
    }
    close(fd);
    return -1;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

enum { BURST_MAX = 4096, ANSWER_MAX = 512 };

/* The burst: connect and send on every connection, then read every answer. */
static int burst(const struct sockaddr_in *addr, const char *request, int request_len, int n, int seconds, int stay)
{
    static int fd[BURST_MAX], len[BURST_MAX], held[BURST_MAX];
    int nheld = 0;
    static char answer[BURST_MAX][ANSWER_MAX];
    static struct pollfd p[BURST_MAX];
    static int at[BURST_MAX];
    long t0 = now_ms(), deadline = t0 + seconds * 1000L;
    int answered = 0, failed = 0, open = 0;
    for (int i = 0; i < n; i++) {
        len[i] = 0;
        fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd[i] < 0 || connect(fd[i], (const struct sockaddr *)addr, sizeof(*addr)) ||
            send(fd[i], request, (size_t)request_len, MSG_NOSIGNAL) != request_len) {
            if (fd[i] >= 0) close(fd[i]);
            fd[i] = -1;
            failed++;
        } else {
            open++;
        }
    }
    while (open > 0 && now_ms() < deadline) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (fd[i] >= 0) p[k].fd = fd[i], p[k].events = POLLIN, p[k].revents = 0, at[k++] = i;
        if (poll(p, (nfds_t)k, 100) <= 0) continue;
        for (int j = 0; j < k; j++) {
            if (!p[j].revents) continue;
            int i = at[j];
            ssize_t r = recv(fd[i], answer[i] + len[i], (size_t)(ANSWER_MAX - 1 - len[i]), MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r > 0) len[i] += (int)r;
            int done = len[i] > 0 && answer_complete(answer[i], len[i]);
            if (!done && r > 0 && len[i] < ANSWER_MAX - 1) continue;
            if (done && !memcmp(answer[i], "HTTP/1.1 200", 12)) answered++;
            else failed++;
            if (stay && done) held[nheld++] = fd[i];   /* answered: idle until the burst ends */
            else close(fd[i]);
            fd[i] = -1;
            open--;
        }
    }
    long took = now_ms() - t0;
    for (int i = 0; i < n; i++)
        if (fd[i] >= 0) close(fd[i]), failed++;
    for (int i = 0; i < nheld; i++) close(held[i]);
    printf("answered %d failed %d ms %ld\n", answered, failed, took);
    return answered == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, want = 10000, seconds = 60, is_burst = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-p")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-n")) want = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-H")) host = argv[i + 1];
        else if (!strcmp(argv[i], "-t")) seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-b")) is_burst = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "idle: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (port <= 0 || want <= 0 || is_burst < 0 || is_burst > 2 || (is_burst && want > BURST_MAX) || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "usage: idle -p PORT [-n CONNECTIONS] [-H ADDRESS] [-t SECONDS] [-b 1|2 (at most %d)]\n", BURST_MAX);
        return 2;
    }
    char request[256];
    int request_len = snprintf(request, sizeof(request), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
    if (is_burst) return burst(&addr, request, request_len, want, seconds, is_burst == 2);
    int held = 0, failed = 0, in_a_row = 0;
    time_t deadline = time(0) + seconds;
    for (int i = 0; i < want && in_a_row < 20 && time(0) < deadline; i++) {
        int fd = hold_one(&addr, request, request_len);
        if (fd >= 0) {
            held++;
            in_a_row = 0;
        } else {
            failed++;
            in_a_row++;
        }
    }
    printf("held %d failed %d\n", held, failed);
    fflush(stdout);
    char drain[64];
    while (read(0, drain, sizeof(drain)) > 0) {
    }
    return held == want ? 0 : 1;
}
