/* peer_mhd - libmicrohttpd answering GET / with "Hello, World!" (13 bytes,
 * keep-alive), a peer of the models in the benchmark (bench.sh).
 *
 *   peer_mhd epoll|pool|thread [PORT]
 *
 * epoll:  one internal thread on epoll;
 * pool:   a pool of internal threads (PEER_MHD_POOL, 2 by default), each on epoll;
 * thread: a thread per connection (on poll).
 * Binds 127.0.0.1:PORT (0, the default: any free port), prints
 * "listening on 127.0.0.1:PORT model=peer-mhd-MODE poller=POLLER" when ready
 * and serves until a signal ends it. Built by make bench only. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static const char hello[] = "Hello, World!";
static struct MHD_Response *response;

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    static int seen;
    (void)cls, (void)version, (void)upload_data, (void)upload_data_size;
    if (strcmp(method, "GET") || strcmp(url, "/"))
        return MHD_NO;   /* the benchmark sends nothing else: drop the connection */
    /* The first call comes with the header only; answered there, before the
     * (empty) body is known to be read, libmicrohttpd closes the connection
     * after the answer. Answered on the second call, it keeps it open. */
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int port = argc > 2 ? atoi(argv[2]) : 0;
    unsigned flags;
    unsigned pool = 0;
    const char *poller = "epoll";
    if (!strcmp(mode, "epoll")) {
        flags = MHD_USE_EPOLL_INTERNAL_THREAD;
    } else if (!strcmp(mode, "pool")) {
        flags = MHD_USE_EPOLL_INTERNAL_THREAD;
        pool = getenv("PEER_MHD_POOL") ? (unsigned)atoi(getenv("PEER_MHD_POOL")) : 2;
    } else if (!strcmp(mode, "thread")) {
        flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
        poller = "poll";
    } else {
        fprintf(stderr, "usage: peer_mhd epoll|pool|thread [PORT]\n");
        return 2;
    }
    /* SIGTERM and SIGINT are waited for below: blocked before the daemon's
     * threads start, so they inherit the mask and none of them takes one. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    response = MHD_create_response_from_buffer(sizeof(hello) - 1, (void *)hello, MHD_RESPMEM_PERSISTENT);
    if (!response) return 1;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d;
    if (pool > 1)
        d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U, MHD_OPTION_CONNECTION_LIMIT, 12000U,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096U, MHD_OPTION_THREAD_POOL_SIZE, pool,
                             MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U, MHD_OPTION_CONNECTION_LIMIT, 12000U,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096U, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "peer_mhd: MHD_start_daemon failed (port %d)\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on 127.0.0.1:%u model=peer-mhd-%s poller=%s\n", info ? info->port : (unsigned)port, mode,
           poller);
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
