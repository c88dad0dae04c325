#include "inv_family.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fam_get(tc_conn *c, const char *path, char *body, size_t cap)
{
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    tc_response r;
    if (tc_send_str(c, req) || tc_read_response(c, &r, body, cap - 1)) return -1;
    body[r.body_len] = 0;
    return r.status;
}

int fam_threads(pid_t pid, const char *prefix)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[400], name[32] = "";
        snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(name, sizeof(name), f) && !strncmp(name, prefix, strlen(prefix))) n++;
        if (f) fclose(f);
    }
    closedir(d);
    return n;
}

int fam_wait_threads(pid_t pid, const char *prefix, int n)
{
    long deadline = tc_now_ms() + 3000;
    int k = fam_threads(pid, prefix);
    while (k != n && tc_now_ms() < deadline) {
        tc_sleep_ms(10);
        k = fam_threads(pid, prefix);
    }
    return k;
}

int fam_children(pid_t pid, pid_t *out, int max)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    int n = 0, v;
    while (f && n < max && fscanf(f, "%d", &v) == 1) out[n++] = (pid_t)v;
    if (f) fclose(f);
    return n;
}

int fam_pipelined_echo_16(int port)
{
    tc_conn c;
    if (tc_connect(&c, port)) return 0;
    static char batch[8192];
    size_t len = 0;
    for (int i = 0; i < 16; i++) {
        char body[64];
        int bn = snprintf(body, sizeof(body), "request %d of 16 %.*s", i, i * 2, "abcdefghijklmnopqrstuvwxyz0123456789");
        len += (size_t)snprintf(batch + len, sizeof(batch) - len,
                                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", bn, body);
    }
    int good = 0;
    if (!tc_send(&c, batch, len))
        for (int i = 0; i < 16; i++) {
            tc_response r;
            char got[128] = { 0 }, want[64];
            if (tc_read_response(&c, &r, got, sizeof(got) - 1)) break;
            snprintf(want, sizeof(want), "request %d of 16 %.*s", i, i * 2, "abcdefghijklmnopqrstuvwxyz0123456789");
            if (r.status == 200 && !strcmp(got, want)) good++;
        }
    tc_close(&c);
    return good;
}

int fam_signal_blocked(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "SigBlk:", 7)) mask = strtoull(line + 7, 0, 16);
    if (f) fclose(f);
    return (mask >> (sig - 1)) & 1;
}

int fam_has_fd(pid_t pid, const char *what)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[400], link[128];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = 0;
            if (strstr(link, what)) found = 1;
        }
    }
    closedir(d);
    return found;
}

int fam_epoll_exclusive(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[400], line[256];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        unsigned long events;
        while (f && fgets(line, sizeof(line), f))
            if (sscanf(line, "tfd: %*d events: %lx", &events) == 1 && (events & 0x10000000ul)) found = 1;
        if (f) fclose(f);
    }
    closedir(d);
    return found;
}
