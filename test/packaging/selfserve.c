/* selfserve.c - a program built against an installed netmodels (through
 * pkg-config, and through CMake), natively or for a board under qemu-user.
 * It prints the version and configuration it was compiled with, then sends
 * itself one request carrying NM_MAX_HEADERS headers, the most it may: the
 * handler must see every one of them, and the body and size behind the
 * array, where a program compiled against another layout would read the
 * wrong memory.
 *
 *   selfserve [MODEL]     (default: the library's first)
 * Exit 0 when the answer came back right. */
#define _POSIX_C_SOURCE 200809L
#include "netmodels.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int port_of_server;
static const nm_server *server;
static char answer[512];
static pthread_t client_thread;

static int handle(const nm_request *req, nm_response *res, void *user)
{
    char body[128];
    const nm_slice *last = &req->headers[req->header_count - 1].name;
    int n = snprintf(body, sizeof(body), "headers %d, last %.*s, size %lu", req->header_count,
                     (int)last->n, last->p, (unsigned long)req->size);
    (void)user;
    if (req->server != server) return -1;
    return nm_resp_body(res, body, (size_t)n);
}

/* One HTTP/1.0 request (the server closes after it), its answer read to the end. */
static void *client(void *arg)
{
    char req[2048];
    size_t n = 0, got = 0;
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), i;
    ssize_t r;
    (void)arg;
    n += (size_t)snprintf(req + n, sizeof(req) - n, "GET / HTTP/1.0\r\n");
    for (i = 1; i <= NM_MAX_HEADERS; i++) n += (size_t)snprintf(req + n, sizeof(req) - n, "X-%d: %d\r\n", i, i);
    n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port_of_server);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, req, n) == (ssize_t)n)
        while (got + 1 < sizeof(answer) && (r = read(fd, answer + got, sizeof(answer) - 1 - got)) > 0) got += (size_t)r;
    answer[got] = 0;
    if (fd >= 0) close(fd);
    nm_server_stop(server);   /* the pointer on_ready handed over */
    return 0;
}

static void ready(const nm_server *srv, int port, void *user)
{
    (void)user;
    server = srv;
    port_of_server = port;
    if (pthread_create(&client_thread, 0, client, 0)) nm_server_stop(srv);
}

int main(int argc, char **argv)
{
    nm_config cfg;
    nm_handler h = { handle, 0 };
    const char *model = argc > 1 ? argv[1] : nm_model_name(0);
    char want[64];
    int rc;
    printf("netmodels %d.%d.%d NM_MAX_HEADERS=%d model %s\n", NM_VERSION_MAJOR, NM_VERSION_MINOR,
           NM_VERSION_PATCH, NM_MAX_HEADERS, model);
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = ready;
    rc = nm_run(model, &cfg, &h);
    if (rc != NM_OK) {
        fprintf(stderr, "selfserve: nm_run: %d %s\n", rc, nm_last_error());
        return 1;
    }
    pthread_join(client_thread, 0);
    snprintf(want, sizeof(want), "headers %d, last X-%d, size ", NM_MAX_HEADERS, NM_MAX_HEADERS);
    printf("answer: %s\n", strstr(answer, "\r\n\r\n") ? strstr(answer, "\r\n\r\n") + 4 : answer);
    return strncmp(answer, "HTTP/1.1 200 ", 13) || !strstr(answer, want);
}
