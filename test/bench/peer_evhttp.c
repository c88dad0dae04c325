/* peer_evhttp - libevent's evhttp answering GET / with "Hello, World!"
 * (13 bytes, keep-alive), a peer of the models in the benchmark (bench.sh).
 *
 *   peer_evhttp [PORT]
 *
 * One event base in one thread. Binds 127.0.0.1:PORT (0, the default: any
 * free port), prints "listening on 127.0.0.1:PORT model=peer-evhttp
 * poller=METHOD" (libevent's backend, epoll on Linux) when ready and serves
 * until SIGTERM or SIGINT. Built by make bench only. */
#define _POSIX_C_SOURCE 200809L
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static const char hello[] = "Hello, World!";

static void answer(struct evhttp_request *req, void *arg)
{
    (void)arg;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_send_error(req, HTTP_BADMETHOD, NULL);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (!body) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evbuffer_add_reference(body, hello, sizeof(hello) - 1, NULL, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, HTTP_OK, "OK", body);
    evbuffer_free(body);
}

static void quit(evutil_socket_t sig, short events, void *base)
{
    (void)sig, (void)events;
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    struct event_base *base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;
    if (!http) return 1;
    evhttp_set_timeout(http, 600);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
    evhttp_set_cb(http, "/", answer, NULL);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port);
    if (!sock) {
        fprintf(stderr, "peer_evhttp: cannot bind 127.0.0.1:%d\n", port);
        return 1;
    }
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    if (!getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&addr, &len))
        port = ntohs(addr.sin_port);
    struct event *term = evsignal_new(base, SIGTERM, quit, base);
    struct event *intr = evsignal_new(base, SIGINT, quit, base);
    if (!term || !intr || event_add(term, NULL) || event_add(intr, NULL)) return 1;
    printf("listening on 127.0.0.1:%d model=peer-evhttp poller=%s\n", port, event_base_get_method(base));
    fflush(stdout);

    event_base_dispatch(base);
    event_free(term);
    event_free(intr);
    evhttp_free(http);
    event_base_free(base);
    return 0;
}
