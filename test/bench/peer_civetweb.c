/* peer_civetweb - civetweb answering GET / with "Hello, World!" (13 bytes,
 * keep-alive), a peer of the models in the benchmark (bench.sh).
 *
 *   peer_civetweb [PORT] [THREADS]
 *
 * civetweb serves each connection on one of THREADS worker threads (128 by
 * default: a keep-alive connection holds its worker, so fewer workers than
 * clients would leave the rest waiting), with TCP_NODELAY (its header and
 * body go out in two writes: without it every keep-alive answer waits for
 * the client's delayed ACK, some 40 ms). Binds 127.0.0.1:PORT (0, the
 * default: any free port), prints "listening on 127.0.0.1:PORT
 * model=peer-civetweb poller=poll" when ready and serves until SIGTERM or
 * SIGINT. Built by make bench only. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

static const char hello[] = "Hello, World!";

static int answer(struct mg_connection *conn, void *data)
{
    (void)data;
    const struct mg_request_info *info = mg_get_request_info(conn);
    if (strcmp(info->request_method, "GET") || strcmp(info->local_uri, "/"))
        return 0;   /* civetweb's own answer (404) */
    mg_send_http_ok(conn, "text/plain", (long long)(sizeof(hello) - 1));
    mg_write(conn, hello, sizeof(hello) - 1);
    return 200;
}

int main(int argc, char **argv)
{
    char ports[32];
    snprintf(ports, sizeof(ports), "127.0.0.1:%d", argc > 1 ? atoi(argv[1]) : 0);
    const char *threads = argc > 2 ? argv[2] : "128";
    const char *options[] = { "listening_ports", ports, "num_threads", threads, "enable_keep_alive", "yes",
                              "keep_alive_timeout_ms", "600000", "request_timeout_ms", "600000",
                              "listen_backlog", "4096", "tcp_nodelay", "1", NULL };

    /* SIGTERM and SIGINT are waited for below: blocked before civetweb's
     * threads start, so none of them takes one. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    mg_init_library(0);
    struct mg_callbacks callbacks;
    memset(&callbacks, 0, sizeof(callbacks));
    struct mg_context *ctx = mg_start(&callbacks, NULL, options);
    if (!ctx) {
        fprintf(stderr, "peer_civetweb: mg_start failed (%s)\n", ports);
        return 1;
    }
    mg_set_request_handler(ctx, "/", answer, NULL);
    struct mg_server_port bound[1];
    int port = mg_get_server_ports(ctx, 1, bound) > 0 ? bound[0].port : atoi(ports + 10);
    printf("listening on 127.0.0.1:%d model=peer-civetweb poller=poll\n", port);
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    mg_stop(ctx);
    mg_exit_library();
    return 0;
}
