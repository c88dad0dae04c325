/* The demo routes:
 *   GET /       -> "Hello, World!" (13 bytes)
 *   GET /stats  -> the server's counters as JSON
 *   POST /echo  -> the request body back
 *   GET /big    -> 1 MiB body, sent by reference (larger than any socket buffer)
 *   GET /pid    -> the id of the process that ran the handler
 *   GET /thread -> the name of the thread that ran the handler (Linux; the
 *                  models name their loop, worker and task threads)
 *   otherwise   -> 404
 * Under the echo protocol every request's bytes go back as they came. */
#include "app.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static char big[APP_BIG_SIZE];

void app_init(void)
{
    for (int i = 0; i < APP_BIG_SIZE; i++) big[i] = APP_BIG_BYTE(i);
}

static int is(nm_slice s, const char *lit)
{
    return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static int stats(const nm_request *req, nm_response *res)
{
    nm_stats st;
    nm_server_stats(req->server, &st);
    char json[512];
    /* "active" counts the other connections: the one asking is open too. */
    int n = snprintf(json, sizeof(json),
                     "{\"accepted\":%lu,\"active\":%lu,\"requests\":%lu,\"refused\":%lu,\"errors\":%lu",
                     st.accepted, st.active ? st.active - 1 : 0, st.requests, st.refused, st.errors);
    const char *name;
    unsigned long value;
    for (int i = 0; n < (int)sizeof(json) - 64 && !nm_model_stat(i, &name, &value); i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"%.24s\":%lu", name, value);
    n += snprintf(json + n, sizeof(json) - (size_t)n, "}\n");
    nm_resp_header(res, "Content-Type", "application/json");
    return nm_resp_body(res, json, (size_t)n);
}

static int text(nm_response *res, const char *s)
{
    nm_resp_header(res, "Content-Type", "text/plain");
    return nm_resp_body(res, s, strlen(s));
}

static int pid(nm_response *res)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%ld", (long)getpid());
    return text(res, buf);
}

static int thread_name(nm_response *res)
{
    char name[32] = "?";
#ifdef __linux__
    prctl(PR_GET_NAME, name, 0, 0, 0);
#endif
    return text(res, name);
}

int app_handle(const nm_request *req, nm_response *res, void *user)
{
    (void)user;
    if (req->protocol == NM_PROTO_ECHO) return nm_resp_body(res, req->body.p, req->body.n);
    int get = is(req->method, "GET") || is(req->method, "HEAD");
    if (get && is(req->target, "/")) {
        nm_resp_header(res, "Content-Type", "text/plain");
        return nm_resp_body(res, "Hello, World!", 13);
    }
    if (get && is(req->target, "/stats")) return stats(req, res);
    if (get && is(req->target, "/big")) return nm_resp_body_static(res, big, sizeof(big));
    if (get && is(req->target, "/pid")) return pid(res);
    if (get && is(req->target, "/thread")) return thread_name(res);
    if (is(req->method, "POST") && is(req->target, "/echo")) return nm_resp_body(res, req->body.p, req->body.n);
    nm_resp_status(res, 404);
    return nm_resp_body(res, "not found\n", 10);
}
