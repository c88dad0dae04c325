#include "client.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void tc_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

long tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int tc_scaled_ms(int ms)
{
    const char *scale = getenv("NM_TIME_SCALE");
    long k = scale ? strtol(scale, 0, 10) : getenv("NM_SANITIZED") ? 3 : 1;
    return ms * (int)(k < 1 ? 1 : k > 100 ? 100 : k);
}

/* The address clients connect to: the family, and a Unix socket's path. */
static int target_family = AF_INET;
static char target_path[108];

void tc_target(const tc_server *s)
{
    target_family = AF_INET;
    if (!strncmp(s->addr, "unix:", 5)) {
        target_family = AF_UNIX;
        snprintf(target_path, sizeof(target_path), "%s", s->addr + 5);
    } else if (s->addr[0] == '[') {
        target_family = AF_INET6;
    }
}

static socklen_t target_address(int port, struct sockaddr_storage *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (target_family == AF_UNIX) {
        struct sockaddr_un *u = (struct sockaddr_un *)sa;
        u->sun_family = AF_UNIX;
        memcpy(u->sun_path, target_path, sizeof(target_path));
        return sizeof(*u);
    }
    if (target_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        v6->sin6_addr = in6addr_loopback;
        return sizeof(*v6);
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof(*v4);
}

/* A socket connected to the target; I/O timeouts (connect's too) when
 * timeout_s is not 0. */
static int dial(int port, int rcvbuf, int timeout_s)
{
    struct sockaddr_storage sa;
    socklen_t len = target_address(port, &sa);
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (timeout_s) {
        struct timeval tv = { timeout_s, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    int one = 1;
    if (sa.ss_family != AF_UNIX) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, len)) {
        close(fd);
        return -1;
    }
    return fd;
}

int tc_dial(int port, int rcvbuf) { return dial(port, rcvbuf, 0); }

int tc_connect(tc_conn *c, int port)
{
    c->len = 0;
    /* 5 s of no progress either way, scaled as the server's deadlines are
     * (tc_scaled_ms): a send held by a paused body (the server's deadline
     * scaled, its pause too) must outlast the pause however slow the build */
    c->fd = dial(port, 0, tc_scaled_ms(5000) / 1000);
    return c->fd < 0 ? -1 : 0;
}

void tc_close(tc_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

int tc_send(tc_conn *c, const void *p, size_t n)
{
    const char *s = (const char *)p;
    while (n) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int tc_send_str(tc_conn *c, const char *s) { return tc_send(c, s, strlen(s)); }

static int fill(tc_conn *c)
{
    if (c->len == sizeof(c->buf)) return -1;
    ssize_t n;
    do n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    c->len += (size_t)n;
    return 0;
}

static void drop(tc_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

int tc_read_response(tc_conn *c, tc_response *r, char *body, size_t cap)
{
    /* A failed read leaves no field unset: status 0 is no answer. */
    r->status = 0;
    r->closes = 0;
    r->content_length = -1;
    r->body_len = 0;
    char *end;
    while (!(end = (char *)memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (fill(c)) return -1;
    size_t head = (size_t)(end + 4 - c->buf);
    if (head < 12 || memcmp(c->buf, "HTTP/1.1 ", 9)) return -1;
    r->status = atoi(c->buf + 9);
    r->closes = 0;
    r->content_length = -1;
    for (char *p = c->buf; p < end; p++) {
        if (*p != '\n') continue;
        if (!strncasecmp(p + 1, "Content-Length:", 15)) r->content_length = strtol(p + 16, 0, 10);
        if (!strncasecmp(p + 1, "Connection: close", 17)) r->closes = 1;
    }
    drop(c, head);
    size_t want = r->content_length < 0 ? 0 : (size_t)r->content_length;
    r->body_len = 0;
    while (want) {
        if (!c->len && fill(c)) return -1;
        size_t k = c->len < want ? c->len : want;
        size_t keep = r->body_len + k <= cap ? k : (r->body_len < cap ? cap - r->body_len : 0);
        if (keep) memcpy(body + r->body_len, c->buf, keep);
        r->body_len += keep;
        want -= k;
        drop(c, k);
    }
    return 0;
}

long tc_read_head(tc_conn *c, char *head, size_t cap)
{
    char *end;
    while (!(end = (char *)memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (fill(c)) return -1;
    size_t n = (size_t)(end + 4 - c->buf);
    if (n >= cap) return -1;
    memcpy(head, c->buf, n);
    head[n] = 0;
    drop(c, n);
    return (long)n;
}

long tc_read_upto(tc_conn *c, char *out, size_t cap)
{
    if (!c->len) {
        ssize_t n;
        do n = recv(c->fd, c->buf, sizeof(c->buf), 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0) return n;
        c->len = (size_t)n;
    }
    size_t k = c->len < cap ? c->len : cap;
    memcpy(out, c->buf, k);
    drop(c, k);
    return (long)k;
}

size_t tc_read_some(tc_conn *c, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    long deadline = tc_now_ms() + timeout_ms;
    while (got < cap) {
        if (c->len) {
            size_t k = c->len < cap - got ? c->len : cap - got;
            memcpy(out + got, c->buf, k);
            drop(c, k);
            got += k;
            continue;
        }
        long left = deadline - tc_now_ms();
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        if (fill(c)) break;
    }
    return got;
}

int tc_wait_eof(tc_conn *c, int timeout_ms)
{
    long deadline = tc_now_ms() + timeout_ms;
    if (c->len) return 0;
    for (;;) {
        long left = deadline - tc_now_ms();
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) return 0;
        char b[512];
        ssize_t n = recv(c->fd, b, sizeof(b), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return 1;
        if (n > 0) return 0;
    }
}

int tc_get(int port, const char *path, char *body, size_t cap)
{
    static tc_conn c;
    if (tc_connect(&c, port)) return -1;
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    tc_response r;
    int rc = tc_send_str(&c, req) || tc_read_response(&c, &r, body, cap) ? -1 : r.status;
    if (rc > 0 && r.body_len < cap) body[r.body_len] = 0;
    tc_close(&c);
    return rc;
}

int tc_listen(const char *addr)
{
    struct sockaddr_storage sa;
    memset(&sa, 0, sizeof(sa));
    socklen_t len;
    if (!strncmp(addr, "unix:", 5)) {
        struct sockaddr_un *u = (struct sockaddr_un *)&sa;
        u->sun_family = AF_UNIX;
        snprintf(u->sun_path, sizeof(u->sun_path), "%s", addr + 5);
        unlink(u->sun_path);
        len = sizeof(*u);
    } else if (strchr(addr, ':')) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
        v6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, addr, &v6->sin6_addr) != 1) return -1;
        len = sizeof(*v6);
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
        v4->sin_family = AF_INET;
        if (inet_pton(AF_INET, addr, &v4->sin_addr) != 1) return -1;
        len = sizeof(*v4);
    }
    int fd = socket(sa.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 1024)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The servers this program started and has not stopped: none outlives it.
 * At its exit (a test that failed before its stop) and at a SIGTERM or
 * SIGINT (a time bound ran out) each is sent SIGTERM, then SIGKILL. */
enum { LIVE_MAX = 256 };
static volatile pid_t live[LIVE_MAX];

static void live_kill(int sig)
{
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i] > 0) kill(live[i], sig);
}

static void live_stop_all(void)
{
    live_kill(SIGTERM);
    long deadline = tc_now_ms() + 2000;
    for (int i = 0; i < LIVE_MAX; i++) {
        while (live[i] > 0 && waitpid(live[i], 0, WNOHANG) == 0 && tc_now_ms() < deadline) tc_sleep_ms(10);
        if (live[i] > 0 && waitpid(live[i], 0, WNOHANG) == 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], 0, 0);
        }
        live[i] = 0;
    }
}

static void live_on_signal(int sig)
{
    live_kill(SIGTERM);   /* (async-signal-safe: kill only) */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void live_add(pid_t pid)
{
    static int armed;
    if (!armed) {
        armed = 1;
        atexit(live_stop_all);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = live_on_signal;
        sigaction(SIGTERM, &sa, 0);
        sigaction(SIGINT, &sa, 0);
    }
    for (int i = 0; i < LIVE_MAX; i++)
        if (__sync_bool_compare_and_swap(&live[i], 0, pid)) return;
}

static void live_remove(pid_t pid)
{
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i] == pid) live[i] = 0;
}

int tc_server_start(tc_server *s, const char *const *argv)
{
    int out[2];
    if (pipe(out)) return -1;
    const char *args[64];
    int n = 0;
    static char prefix[256];
    const char *env = getenv("NM_RUN_PREFIX");
    if (env && *env) {
        snprintf(prefix, sizeof(prefix), "%s", env);
        for (char *tok = strtok(prefix, " "); tok && n < 16; tok = strtok(0, " ")) args[n++] = tok;
    }
    for (int i = 0; argv[i] && n < 63; i++) args[n++] = argv[i];
    args[n] = 0;
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execvp(args[0], (char *const *)args);
        _exit(127);
    }
    live_add(s->pid);
    close(out[1]);
    s->out_fd = out[0];
    size_t len = 0;
    long deadline = tc_now_ms() + 20000;
    while (len < sizeof(s->line) - 1) {
        struct pollfd p = { s->out_fd, POLLIN, 0 };
        long left = deadline - tc_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        ssize_t k = read(s->out_fd, s->line + len, 1);
        if (k <= 0) break;
        if (s->line[len] == '\n') break;
        len += (size_t)k;
    }
    s->line[len] = 0;
    const char *at = strstr(s->line, "listening on ");
    if (!at) {
        fprintf(stderr, "  server did not start: '%s'\n", s->line);
        tc_server_stop(s, 1000);
        return -1;
    }
    snprintf(s->addr, sizeof(s->addr), "%s", at + 13);
    s->addr[strcspn(s->addr, " ")] = 0;
    const char *colon = strrchr(s->addr, ':');
    s->port = strncmp(s->addr, "unix:", 5) && colon ? atoi(colon + 1) : 0;
    tc_target(s);
    return 0;
}

int tc_server_stop(tc_server *s, int timeout_ms)
{
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    long deadline = tc_now_ms() + timeout_ms;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) break;
        if (tc_now_ms() > deadline) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            close(s->out_fd);
            live_remove(s->pid);
            s->pid = 0;
            return -1;
        }
        tc_sleep_ms(10);
    }
    close(s->out_fd);
    live_remove(s->pid);
    s->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int tc_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* utime + stime of /proc/PID/stat, and its parent's pid; -1 if unreadable. */
static long proc_ticks(const char *pid, long *ppid)
{
    char path[300], line[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = 0;
    const char *p = strrchr(line, ')');   /* the command name may hold spaces */
    long v[16];
    if (!p || sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &v[0], &v[1], &v[2]) != 3)
        return -1;
    *ppid = v[0];
    return v[1] + v[2];
}

static long proc_cpu(const char *pid)
{
    long ppid;
    return proc_ticks(pid, &ppid);
}

/* VmRSS of /proc/PID/status in KiB; -1 if unreadable. */
static long proc_rss(const char *pid)
{
    char path[300], line[256];
    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (kb < 0 && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, 0, 10);
    fclose(f);
    return kb;
}

/* value() of a process plus that of each of its children running now. */
static long with_children(pid_t pid, long (*value)(const char *pid))
{
    char self[32];
    snprintf(self, sizeof(self), "%d", (int)pid);
    long total = value(self);
    if (total < 0) return -1;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        long ppid;
        if (proc_ticks(e->d_name, &ppid) < 0 || ppid != (long)pid) continue;
        long v = value(e->d_name);
        if (v > 0) total += v;
    }
    if (d) closedir(d);
    return total;
}

long tc_cpu_ticks(pid_t pid) { return with_children(pid, proc_cpu); }
long tc_rss_kb(pid_t pid) { return with_children(pid, proc_rss); }

static long field(const char *json, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = strstr(json, key);
    return p ? strtol(p + strlen(key), 0, 10) : -1;
}

int tc_stats_get(int port, tc_stats *st)
{
    char body[1024];
    if (tc_get(port, "/stats", body, sizeof(body)) != 200) return -1;
    st->accepted = field(body, "accepted");
    st->active = field(body, "active");
    st->requests = field(body, "requests");
    st->refused = field(body, "refused");
    st->errors = field(body, "errors");
    st->timeouts = field(body, "timeouts");
    st->waited = field(body, "waited");
    st->free_slots = field(body, "free_slots");
    st->free_buffers = field(body, "free_buffers");
    st->opened = field(body, "opened");
    st->closed = field(body, "closed");
    st->unclean = field(body, "unclean");
    st->resume_failed = field(body, "resume_failed");
    st->slow = field(body, "slow");
    return st->active < 0 ? -1 : 0;
}

int tc_wait_idle(int port, int timeout_ms, tc_stats *st)
{
    long deadline = tc_now_ms() + timeout_ms;
    for (;;) {
        if (tc_stats_get(port, st) == 0 && st->active == 0) return 0;
        if (tc_now_ms() > deadline) return -1;
        tc_sleep_ms(20);
    }
}

size_t tc_chunked(char *out, const void *body, size_t n, const size_t *sizes, size_t count, long ext)
{
    size_t w = 0;
    for (size_t at = 0, i = 0; at < n; i++) {
        size_t k = sizes[i % count];
        if (k > n - at) k = n - at;
        w += (size_t)snprintf(out + w, 64, (long)i == ext ? "%zX;name=value\r\n" : "%zx\r\n", k);
        memcpy(out + w, (const char *)body + at, k);
        w += k;
        memcpy(out + w, "\r\n", 2);
        w += 2;
        at += k;
    }
    return w;
}
