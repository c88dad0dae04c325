/* firmware.c - what a device's firmware looks like: plain C, one handler,
 * linked against libnetmodels.a through the C API. It answers every request
 * with its uptime counter and serves until SIGTERM.
 *
 *   firmware [PORT] [MODEL]     (defaults: 8080, epoll) */
#include "netmodels.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long hits;

static int status_page(const nm_request *req, nm_response *res, void *user)
{
    char body[64];
    int n;
    (void)req;
    (void)user;
    n = snprintf(body, sizeof(body), "device ok, request %lu\n", ++hits);
    nm_resp_header(res, "Content-Type", "text/plain");
    return nm_resp_body(res, body, (size_t)n);
}

static void stop(int sig)
{
    (void)sig;
    nm_server_stop(NULL);
}

static void ready(const nm_server *srv, int port, void *user)
{
    (void)user;
    printf("firmware: serving on port %d with %s\n", port, nm_server_poller(srv));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    nm_config cfg;
    nm_handler handler = { status_page, NULL };
    const char *model = argc > 2 ? argv[2] : "epoll";
    int rc;
    nm_config_init(&cfg);
    cfg.port = argc > 1 ? atoi(argv[1]) : 8080;
    cfg.on_ready = ready;
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    rc = nm_run(model, &cfg, &handler);
    if (rc == NM_ERR_USAGE) fprintf(stderr, "firmware: %s\n", nm_last_error());
    return rc;
}
