#include "inv_proc.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int inv_children(pid_t parent, pid_t *out, int cap, int *zombies)
{
    DIR *d = opendir("/proc");
    int n = 0;
    *zombies = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = 0;
        const char *close_paren = strrchr(buf, ')');   /* the name may hold spaces */
        char state;
        int ppid;
        if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != parent) continue;
        if (state == 'Z') (*zombies)++;
        if (n < cap) out[n] = (pid_t)atoi(e->d_name);
        n++;
    }
    if (d) closedir(d);
    return n;
}

int inv_child_count(pid_t parent)
{
    pid_t kids[512];
    int z;
    return inv_children(parent, kids, 512, &z);
}

int inv_stop_leaves_nothing(tc_server *s)
{
    pid_t kids[512];
    int zombies, n = inv_children(s->pid, kids, 512, &zombies);
    if (tc_server_stop(s, 5000) != 0) return -1;
    int alive = 0;
    for (int i = 0; i < n && i < 512; i++) alive += kill(kids[i], 0) == 0;
    return alive ? -1 : 0;
}

/* One line of /proc/PID/task/TID/FILE, without its newline. */
static void task_line(const char *task_dir, const char *tid, const char *file, char *out, size_t cap)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s/%s", task_dir, tid, file);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = 0;
    fclose(f);
}

/* Threads of pid named `name` (any name when NULL) and, when `in_sleep`,
 * sleeping in nanosleep() now. */
static int count_threads(pid_t pid, const char *name, int in_sleep)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char comm[32], wchan[64];
        task_line(dir, e->d_name, "comm", comm, sizeof(comm));
        task_line(dir, e->d_name, "wchan", wchan, sizeof(wchan));
        n += (!name || !strcmp(comm, name)) && (!in_sleep || strstr(wchan, "nanosleep"));
    }
    if (d) closedir(d);
    return n;
}

int inv_threads(pid_t pid) { return count_threads(pid, 0, 0); }

int inv_named_threads(pid_t pid, const char *name) { return count_threads(pid, name, 0); }

int inv_sleeping_threads(pid_t pid, const char *name) { return count_threads(pid, name, 1); }

int inv_wait_value(int (*f)(pid_t), pid_t pid, int want, int timeout_ms)
{
    long deadline = tc_now_ms() + timeout_ms;
    int v = f(pid);
    while (v != want && tc_now_ms() < deadline) {
        tc_sleep_ms(20);
        v = f(pid);
    }
    return v;
}

int inv_get_text(tc_conn *c, const char *path, char *out, size_t cap)
{
    char req[128];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    tc_response r;
    if (tc_send_str(c, req) || tc_read_response(c, &r, out, cap - 1) || r.status != 200) return -1;
    out[r.body_len] = 0;
    return 0;
}

long inv_get_number(tc_conn *c, const char *path)
{
    char body[64];
    return inv_get_text(c, path, body, sizeof(body)) ? -1 : strtol(body, 0, 10);
}

long inv_gauge(int port, const char *name)
{
    char path[64], body[64];
    snprintf(path, sizeof(path), "/gauge/%s", name);
    return tc_get(port, path, body, sizeof(body)) == 200 ? strtol(body, 0, 10) : -1;
}

int inv_listen_inodes(int port, unsigned long *out, int cap)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof(line), f)) {
        unsigned addr, lport, state;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*d %*d %lu", &addr, &lport, &state,
                   &inode) != 4)
            continue;
        if (state == 0x0A && (int)lport == port && n < cap) out[n++] = inode;
    }
    if (f) fclose(f);
    return n;
}

int inv_socket_inodes(pid_t pid, unsigned long *out, int cap)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char link[400], target[128];
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target, sizeof(target) - 1);
        if (k <= 0) continue;
        target[k] = 0;
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) == 1 && n < cap) out[n++] = inode;
    }
    if (d) closedir(d);
    return n;
}

int inv_common(const unsigned long *a, int na, const unsigned long *b, int nb)
{
    int n = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (a[i] == b[j]) {
                n++;
                break;
            }
    return n;
}

int inv_connect_small(tc_conn *c, int port)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct timeval tv = { 5, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(c->fd, (struct sockaddr *)&a, sizeof(a)) ? -1 : 0;
}

int inv_burst_open(int port, const char *req, int *fds, int n)
{
    static tc_conn c;
    for (int i = 0; i < n; i++) {
        if (tc_connect(&c, port)) return -1;
        fds[i] = c.fd;
        if (tc_send_str(&c, req)) return -1;
    }
    return 0;
}

int inv_burst_wait_any(const int *fds, int n, int timeout_ms)
{
    static struct pollfd p[1024];
    if (n > 1024) n = 1024;
    for (int i = 0; i < n; i++) {
        p[i].fd = fds[i];
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    return poll(p, (nfds_t)n, timeout_ms) > 0 ? 0 : -1;
}

int inv_burst_served(int port, int n)
{
    static int fds[1024];
    int ok = 0, refused;
    if (n > 1024 || inv_burst_open(port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", fds, n)) return -1;
    inv_burst_tally(fds, n, &ok, &refused);
    return ok;
}

void inv_burst_tally(int *fds, int n, int *ok, int *refused)
{
    *ok = *refused = 0;
    for (int i = 0; i < n; i++) {
        char head[32] = { 0 };
        ssize_t k = recv(fds[i], head, 12, MSG_WAITALL);
        if (k == 12 && !memcmp(head, "HTTP/1.1 200", 12)) (*ok)++;
        if (k == 12 && !memcmp(head, "HTTP/1.1 503", 12)) (*refused)++;
        close(fds[i]);
    }
}

long inv_unread_by_server(int port, const tc_conn *c)
{
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    if (getsockname(c->fd, (struct sockaddr *)&me, &len)) return -1;
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f) return -1;
    char line[512];
    long unread = -1;
    while (unread < 0 && fgets(line, sizeof(line), f)) {
        unsigned local_port, remote_port;
        unsigned long tx, rx;
        /* "sl: local_ip:port remote_ip:port st tx_queue:rx_queue ..." in hex */
        if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %lx:%lx", &local_port, &remote_port, &tx, &rx) != 4) continue;
        if ((int)local_port == port && remote_port == ntohs(me.sin_port)) unread = (long)rx;
    }
    fclose(f);
    return unread;
}
