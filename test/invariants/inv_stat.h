/* inv_stat.h - a model's own counter from GET /stats ("steals", ...). */
#ifndef NM_INV_STAT_H
#define NM_INV_STAT_H

#include "../client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

/* The value of "name" in a /stats body, or -1 when absent. */
static inline long inv_stat_in(const char *body, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *at = strstr(body, key);
    return at ? strtol(at + strlen(key), 0, 10) : -1;
}

/* The value of "name" in /stats, or -1 when absent or unreachable. */
static inline long inv_model_stat(int port, const char *name)
{
    char body[1024];
    if (tc_get(port, "/stats", body, sizeof(body)) != 200) return -1;
    return inv_stat_in(body, name);
}

/* POST /echo with `id` on c and check that exactly `id` comes back. */
static inline int inv_echo_roundtrip(tc_conn *c, const char *id)
{
    char req[256], body[128];
    snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s", strlen(id), id);
    tc_response r;
    if (tc_send_str(c, req) || tc_read_response(c, &r, body, sizeof(body) - 1)) return -1;
    body[r.body_len] = 0;
    return r.status == 200 && !strcmp(body, id) ? 0 : -1;
}

/* Threads of process pid whose name is `name` (Linux /proc; -1 elsewhere). */
static inline int inv_threads_named(int pid, const char *name)
{
    char path[320], comm[32];
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof(comm), f)) {
            comm[strcspn(comm, "\n")] = 0;
            n += !strcmp(comm, name);
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Wait (up to 5 s) until `want` threads carry `name`, as a started thread
 * names itself once it runs; returns the last count seen. */
static inline int inv_wait_threads_named(int pid, const char *name, int want)
{
    int n = -1;
    for (long deadline = tc_now_ms() + 5000; tc_now_ms() < deadline; tc_sleep_ms(20))
        if ((n = inv_threads_named(pid, name)) == want) break;
    return n;
}

#endif
